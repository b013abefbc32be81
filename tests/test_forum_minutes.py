"""A forum case's minutes (domain §11): the plan with its action path; who does what by when
becomes tasks for those people; "tell the parents" a task for the professional; partners add
only their own, attributed contributions; a case brought back shows the earlier plan and what
came of it."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from backend.audit import AuditTrail
from backend.auth.policy import load_scope
from backend.domain.dates import today
from backend.forums.minutes import add_contribution, save_minutes
from backend.forums.service import ForumError, add_named_case, plan_meeting, save_preparation
from backend.people.forum_models import ForumCase, ForumContribution, ForumMember
from backend.records.models import Task
from backend.records.tasks import open_tasks_for
from tests.forum_support import forum_world, give_forum_consent, shared_case, user_named
from tests.support import login, unit_named


@pytest.fixture
def world(db, demo):
    return forum_world(db)


def _as(db, username: str):
    user = user_named(db, username)
    return load_scope(db, user), AuditTrail(actor_id=user.id)


def _case(db, world, child_index: int = 0, meeting_id: str | None = None) -> str:
    """A consented named case on the meeting, prepared and shared by the pædagog (an internal member)."""
    unit = unit_named(db, "Børnehuset Solsikken")
    paedagog = user_named(db, "demo-paedagog")
    if db.exec(select(ForumMember).where(ForumMember.user_id == paedagog.id)).first() is None:
        db.add(ForumMember(forum_id=world.forum_id, user_id=paedagog.id, role="internal", title="Pædagog"))
    child = world.children[child_index]
    give_forum_consent(db, child, world.forum_id, unit.id, world.leader_id)
    scope, audit = _as(db, "demo-leder")
    case = add_named_case(db, scope, audit, meeting_id or world.meeting_id, child, today())
    scope, audit = _as(db, "demo-paedagog")
    save_preparation(db, scope, audit, case.id, {"question": "Hvad gør vi?"}, today(), share=True)
    db.commit()
    return case.id


def _minutes(db, **extra) -> dict[str, str]:
    paedagog, partner = user_named(db, "demo-paedagog"), user_named(db, "raadgiver-test")
    return {
        "plan": "Tværfagligt forløb med PPR og opfølgning om seks uger.",
        "action_path": "cross_disciplinary",
        "action_what_0": "Observation i stuen",
        "action_who_0": partner.id,
        "action_by_0": (today() + timedelta(days=14)).isoformat(),
        "action_what_1": "Samtale med forældrene om legen",
        "action_who_1": paedagog.id,
        "action_by_1": (today() + timedelta(days=10)).isoformat(),
        "tell_parents": "on",
        **extra,
    }


def test_the_minutes_make_tasks_for_the_people_named(db, world) -> None:
    case_id = _case(db, world)
    scope, audit = _as(db, "demo-leder")
    save_minutes(db, scope, audit, case_id, _minutes(db), today())
    db.commit()
    case = db.get(ForumCase, case_id)
    paedagog, partner = user_named(db, "demo-paedagog"), user_named(db, "raadgiver-test")
    assert case.minutes["action_path"] == "cross_disciplinary" and len(case.minutes["actions"]) == 2

    tasks = {t.key: t for t in db.exec(select(Task).where(Task.key.like(f"%{case_id}%"))).all()}
    observe, talk = tasks[f"forum_action:{case_id}:0"], tasks[f"forum_action:{case_id}:1"]
    assert observe.assignee_id == partner.id and observe.child_id is None  # the partner's names no child
    assert observe.due_on == today() + timedelta(days=14)
    assert talk.assignee_id == paedagog.id and talk.child_id == case.child_id
    tell = tasks[f"forum_tell_parents:{case_id}"]
    assert tell.assignee_id == paedagog.id and tell.kind == "forum_tell_parents" and tell.parent_facing

    partner_tasks = open_tasks_for(db, load_scope(db, partner), today())
    assert [v.title for v in partner_tasks] == ["Opgave fra forummøde: Observation i stuen"]
    assert partner_tasks[0].url == f"/forums/cases/{case_id}"
    paedagog_titles = {v.title for v in open_tasks_for(db, load_scope(db, paedagog), today())}
    assert "Opgave fra forummøde: Samtale med forældrene om legen" in paedagog_titles
    assert "Fortæl forældrene, hvad der skal ske efter forummødet" in paedagog_titles

    # Written again with one line less: the dropped line's task is cancelled, not left open.
    again = _minutes(db, action_what_1="", action_who_1="", action_by_1="", tell_parents="")
    save_minutes(db, scope, audit, case_id, again, today())
    db.commit()
    db.expire_all()
    assert db.get(Task, talk.id).status == "cancelled"
    assert db.get(Task, tell.id).status == "cancelled"
    assert db.get(Task, observe.id).status == "open"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"plan": "  "}, "plan"),
        ({"action_path": "escalate"}, "action_path"),
        ({"action_who_0": "00000000-0000-4000-8000-000000000000"}, "action_who_0"),
        ({"action_by_0": "i morgen"}, "action_by_0"),
        ({"action_what_1": ""}, "action_what_1"),
    ],
)
def test_bad_minutes_are_refused_naming_the_field(db, world, change, field) -> None:
    case_id = _case(db, world)
    scope, audit = _as(db, "demo-leder")
    with pytest.raises(ForumError) as refused:
        save_minutes(db, scope, audit, case_id, _minutes(db, **change), today())
    assert refused.value.field == field
    db.rollback()
    assert db.exec(select(Task).where(Task.key.like(f"forum_action:{case_id}%"))).all() == []


def test_a_partner_adds_only_their_own_attributed_contribution_and_writes_no_minutes(db, world) -> None:
    case_id = _case(db, world)
    unit_id = unit_named(db, "Børnehuset Solsikken").id
    unshared = shared_case(db, world.meeting_id, world.children[1], unit_id, world.leader_id, shared=False)
    db.commit()
    scope, audit = _as(db, "raadgiver-test")
    with pytest.raises(ForumError) as refused:
        save_minutes(db, scope, audit, case_id, _minutes(db), today())
    assert refused.value.code == "not_found"
    with pytest.raises(ForumError):
        add_contribution(db, scope, audit, unshared, "Mit bidrag", today())
    contribution = add_contribution(db, scope, audit, case_id, "PPR kan observere i uge 12.", today())
    db.commit()
    assert contribution.author_id == user_named(db, "raadgiver-test").id
    assert db.exec(select(ForumContribution).where(ForumContribution.case_id == unshared)).all() == []


def test_the_case_page_writes_minutes_and_shows_the_partners_contribution(client, db, world) -> None:
    case_id = _case(db, world)
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    csrf = {"csrf_token": client.headers["X-CSRF-Token"]}
    added = client.post(
        f"/forums/cases/{case_id}/contributions", data={**csrf, "contribution": "<i>PPR</i> deltager"}
    )
    assert added.status_code == 303
    empty = client.post(f"/forums/cases/{case_id}/contributions", data={**csrf, "contribution": " "})
    assert (
        empty.status_code == 422
        and '<a href="#f-contribution">Skriv dit bidrag til referatet.</a>' in empty.text
    )
    assert client.post(f"/forums/cases/{case_id}/minutes", data={**csrf, **_minutes(db)}).status_code == 404
    page = client.get(f"/forums/cases/{case_id}").text
    assert "Rikke Rådgiver:" in page and "&lt;i&gt;PPR&lt;/i&gt; deltager" in page
    client.delete("/api/session")

    csrf = {"csrf_token": login(client, "demo-leder")}
    bad = client.post(
        f"/forums/cases/{case_id}/minutes", data={**csrf, **_minutes(db, plan="", action_what_0="Ring")}
    )
    assert bad.status_code == 422
    assert "Skriv planen for næste skridt." in bad.text and 'value="Ring"' in bad.text
    assert '<a href="#f-plan">Skriv planen for næste skridt.</a>' in bad.text  # the summary links the field
    saved = client.post(f"/forums/cases/{case_id}/minutes", data={**csrf, **_minutes(db)})
    assert saved.status_code == 303
    page = client.get(f"/forums/cases/{case_id}").text
    assert "2 · Tværfagligt samarbejde" in page and "Observation i stuen — Rikke Rådgiver" in page
    client.delete("/api/session")

    login(client, "demo-paedagog")
    tasks = client.get("/tasks").text
    assert "Samtale med forældrene om legen" in tasks and "Fortæl forældrene" in tasks


def test_a_case_brought_back_shows_the_earlier_plan_and_what_came_of_it(client, db, world) -> None:
    from backend.forums.minutes import minutes_page

    first = _case(db, world)
    scope, audit = _as(db, "demo-leder")
    save_minutes(db, scope, audit, first, _minutes(db), today())
    later = plan_meeting(db, scope, audit, world.forum_id, today() + timedelta(days=49), "", today())
    db.commit()
    second = _case(db, world, meeting_id=later.id)
    view = minutes_page(db, scope, audit, second, today())
    [earlier] = view.earlier
    assert earlier.minutes["plan"].startswith("Tværfagligt forløb") and earlier.came_of_it == "open"
    for task in db.exec(select(Task).where(Task.key.like(f"forum_action:{first}%"))).all():
        task.status = "done"
        db.add(task)
    db.commit()
    assert minutes_page(db, scope, audit, second, today()).earlier[0].came_of_it == "done"
    assert minutes_page(db, scope, audit, first, today()).earlier == []  # nothing before the first
    login(client, "demo-leder")
    page = client.get(f"/forums/cases/{second}").text
    assert "Tidligere plan" in page and "Opgaverne er udført" in page
