"""The parents' consent to a cross-disciplinary forum through their own link (issue 16): the
professional prepares a draft consent of kind `meeting` scoped to the forum and invites a guardian;
the parent reads which forum, what a discussion there is for and who takes part (partners with
their titles), in Danish or English, and gives or refuses with their typed name. The decision is
the consent the agenda checks; a withdrawal through the parent's link ends a partner's access to
a child already on the agenda."""

from __future__ import annotations

import gzip
import re

import httpx
import pyotp
import pytest
from sqlmodel import select

from backend.audit import AuditEvent
from backend.notify.models import OutgoingEmail
from backend.parents.consent_models import ParentConsentLink
from backend.people.models import Child, Guardian
from backend.records.models import Record
from tests.forum_support import forum_world
from tests.parents_support import csrf_of, invite, link_path, parent_client, signed_in_parent
from tests.support import login, put_record

LEADER = "demo-leder"
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def world(db, demo):
    return forum_world(db)


def _csrf(client) -> dict:
    return {"csrf_token": client.headers["X-CSRF-Token"]}


def _child_with_guardian(db, world) -> tuple[Child, Guardian]:
    for child_id in world.children:
        guardian = db.exec(select(Guardian).where(Guardian.child_id == child_id)).first()
        if guardian is not None:
            return db.get(Child, child_id), guardian
    raise AssertionError("no child with a guardian in Solsikken")


def _invite_to_forum(client, db, world) -> tuple[Child, Guardian, dict, dict]:
    """The leader prepares the forum consent and invites a guardian to decide it."""
    login(client, LEADER)
    child, guardian = _child_with_guardian(db, world)
    prepared = put_record(
        client, "consent", child.id, {"kind": "meeting", "scope": world.forum_id}, status="draft"
    )
    assert prepared.status_code == 201, prepared.text
    response = invite(client, prepared.json()["id"], guardian.id, "consent")
    assert response.status_code == 201, response.text
    return child, guardian, prepared.json(), response.json()


def _decide(parent, invitation: dict, page: httpx.Response, choice: str, name: str = "Mor Hansen"):
    data = {
        "choice": choice,
        "typed_name": name,
        "version": VERSION.search(page.text).group(1),
        "csrf_token": csrf_of(page.text),
    }
    return parent.post(f"{link_path(invitation)}/consent", data=data)


def _add_named_case(client, world, child_id: str) -> httpx.Response:
    return client.post(
        f"/forums/meetings/{world.meeting_id}/cases",
        data={**_csrf(client), "case_kind": "named", "child_id": child_id},
    )


def test_the_parent_reads_the_forum_its_purpose_and_participants_in_danish_and_english(
    client, app, db, world
) -> None:
    child, guardian, prepared, invitation = _invite_to_forum(client, db, world)
    # The professional's side: the prepared consent offers "Inviter forældrene" to a consent.
    assert f'href="/records/{prepared["id"]}/parents"' in client.get(f"/records/{prepared['id']}").text
    assert 'value="consent"' in client.get(f"/records/{prepared['id']}/parents").text
    parent, page = signed_in_parent(app, invitation)
    assert page.status_code == 200, page.text
    text = page.text
    assert "Ressourceteam: Ressourceteam Solsikken" in text
    assert "hvordan jeres barn bedst kan støttes i hverdagen" in text
    # The participants as they stand: the partner's name and title, the convener.
    assert "Rikke Rådgiver" in text and "Forebyggende rådgiver" in text and "Samarbejdspartner" in text
    assert "Mødeindkalder" in text and "Samtykket gælder netop disse deltagere." in text
    assert child.name.split()[0] in text and child.name not in text  # the first name only
    assert "Næste møde" in text and "Ikke planlagt endnu" not in text
    # The page weight budget of the parent pages: no JavaScript, ≤ 20 KB compressed with its CSS.
    css_url = re.search(r'href="(/static/[^"]+parents\.css)"', text).group(1)
    weight = len(gzip.compress(text.encode())) + len(gzip.compress(parent.get(css_url).content))
    assert "<script" not in text and weight <= 20_000, weight
    english = parent.post(
        f"{link_path(invitation)}/language", data={"language": "en", "csrf_token": csrf_of(text)}
    )
    assert english.status_code in (200, 303)
    page_en = parent.get(link_path(invitation)).text
    assert "Resource team" in page_en and "Ressourceteam Solsikken" in page_en
    assert "how your child can best be supported in everyday life" in page_en
    assert "Rikke Rådgiver" in page_en and "Forebyggende rådgiver" in page_en and "Partner" in page_en
    assert "The consent covers exactly these participants." in page_en


def test_a_consent_given_lets_the_case_on_and_a_withdrawal_ends_the_partners_access(
    client, app, db, world
) -> None:
    child, guardian, prepared, invitation = _invite_to_forum(client, db, world)
    guardian.email = "mor@example.org"
    db.add(guardian)
    db.commit()
    refused = _add_named_case(client, world, child.id)
    assert refused.status_code == 422 and "samtykke" in refused.text
    parent, page = signed_in_parent(app, invitation)
    done = _decide(parent, invitation, page, "given")
    assert done.status_code == 200, done.text
    db.expire_all()
    consent = db.get(Record, prepared["id"])
    assert consent.status == "final" and consent.data["scope"] == world.forum_id
    assert consent.data["state"] == "given" and consent.data["guardian"] == guardian.id
    assert consent.derived["channel"] == "parent_link" and consent.derived["forum_name"]
    assert "Rikke Rådgiver" in [p["name"] for p in consent.derived["participants"]]
    # The receipt names the forum, never the child.
    receipt = db.exec(select(OutgoingEmail).where(OutgoingEmail.to_address == "mor@example.org")).one()
    assert "Det gælder drøftelsen i Ressourceteam Solsikken og dem, der deltager." in receipt.body
    assert child.name.split()[0] not in receipt.body and "/p/withdraw/" in receipt.body
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "parent.consent")).one()
    assert event.actor_id is None and event.detail["forum_id"] == world.forum_id

    # The named case goes on the agenda on the parents' own consent; the partner reads it.
    added = _add_named_case(client, world, child.id)
    assert added.status_code == 303, added.text
    case_url = added.headers["location"]
    shared = client.post(
        case_url, data={**_csrf(client), "question": "Hvordan støtter vi legen?", "action": "share"}
    )
    assert shared.status_code == 303
    partner = parent_client(app)
    login(partner, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    assert partner.get(f"/api/children/{child.id}").status_code == 200

    # The parent withdraws through the link on the thank-you page.
    withdraw = httpx.URL(re.search(r'href="([^"]*/p/withdraw/[^"]+)"', done.text).group(1)).path
    browser = parent_client(app)
    opened = browser.get(withdraw)
    assert opened.status_code == 200
    assert "Samtykket gælder drøftelsen i Ressourceteam Solsikken" in opened.text
    gone = browser.post(withdraw, data={"csrf_token": csrf_of(opened.text)})
    assert gone.status_code == 200 and "Samtykket er trukket tilbage" in gone.text
    db.expire_all()
    link = db.exec(select(ParentConsentLink).where(ParentConsentLink.consent_record_id == consent.id)).one()
    assert link.withdrawn_at is not None
    withdrawn = db.get(Record, link.withdrawal_record_id)
    assert withdrawn.data["state"] == "withdrawn" and withdrawn.data["scope"] == world.forum_id

    # The partner's access to the child ends at once; the case page says why.
    assert partner.get(f"/api/children/{child.id}").status_code == 404
    assert partner.get(case_url).status_code == 404
    assert child.id not in [c["id"] for c in partner.get("/api/children").json()]
    assert "Forældrene har trukket samtykket til drøftelsen tilbage." in client.get(case_url).text
    # And the child cannot be put on an agenda by name again.
    again = _add_named_case(client, world, child.id)
    assert again.status_code == 422 and "samtykke" in again.text
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == invitation["id"]))]
    assert "parent.consent" in actions and "parent.consent_withdraw" in actions


def test_a_refusal_keeps_the_named_case_off_the_agenda(client, app, db, world) -> None:
    child, _guardian, prepared, invitation = _invite_to_forum(client, db, world)
    parent, page = signed_in_parent(app, invitation)
    done = _decide(parent, invitation, page, "refused")
    assert done.status_code == 200 and "/p/withdraw/" not in done.text
    db.expire_all()
    assert db.get(Record, prepared["id"]).data["state"] == "refused"
    refused = _add_named_case(client, world, child.id)
    assert refused.status_code == 422
    assert "Forældrene har ikke givet samtykke til, at barnet drøftes i dette forum." in refused.text


def test_participants_changed_while_the_parent_reads_are_shown_again(client, app, db, world) -> None:
    from backend.people.forum_models import ForumMember
    from backend.people.models import User

    _child, _guardian, prepared, invitation = _invite_to_forum(client, db, world)
    parent, page = signed_in_parent(app, invitation)
    leader = db.exec(select(User).where(User.username == "demo-dagplejer")).one()
    db.add(ForumMember(forum_id=world.forum_id, user_id=leader.id, role="internal", title="Dagplejer"))
    db.commit()
    changed = _decide(parent, invitation, page, "given")
    assert changed.status_code == 422 and leader.display_name in changed.text
    db.expire_all()
    assert db.get(Record, prepared["id"]).status == "draft"


def test_the_meetings_decision_comes_before_the_forums() -> None:
    from datetime import datetime

    from backend.domain.consent import fact_of
    from backend.domain.forums import consent_holds

    def fact(scope: str, state: str, minute: int):
        return fact_of(
            {
                "kind": "meeting",
                "scope": scope,
                "state": state,
                "decided_at": datetime(2026, 1, 1, 9, minute).isoformat(),
            }
        )

    assert consent_holds([fact("forum", "given", 1)], "meeting", "forum")
    assert not consent_holds([fact("forum", "given", 1), fact("forum", "withdrawn", 2)], "meeting", "forum")
    assert not consent_holds([fact("forum", "given", 1), fact("meeting", "refused", 0)], "meeting", "forum")
    assert consent_holds([fact("forum", "refused", 3), fact("meeting", "given", 0)], "meeting", "forum")
    assert not consent_holds([fact("other", "given", 1)], "meeting", "forum")
    assert fact_of({"kind": "meeting", "scope": "x", "state": "given", "decided_at": "i går"}) is None


def test_a_consent_to_the_forums_next_meeting_shows_its_date_and_covers_that_meeting(
    client, app, db, world
) -> None:
    from backend.people.forum_models import ForumMeeting

    login(client, LEADER)
    child, guardian = _child_with_guardian(db, world)
    meeting = db.get(ForumMeeting, world.meeting_id)
    prepared = put_record(
        client, "consent", child.id, {"kind": "meeting", "scope": world.meeting_id}, status="draft"
    ).json()
    invitation = invite(client, prepared["id"], guardian.id, "consent").json()
    parent, page = signed_in_parent(app, invitation)
    assert page.status_code == 200 and "Ressourceteam Solsikken" in page.text
    assert f"{meeting.held_on.day}." in page.text and "Ikke planlagt endnu" not in page.text
    assert _decide(parent, invitation, page, "given").status_code == 200
    db.expire_all()
    assert db.get(Record, prepared["id"]).data["scope"] == world.meeting_id
    assert _add_named_case(client, world, child.id).status_code == 303


def _new_partner(db, world, username: str, name: str) -> tuple[str, str]:
    """A partner added to the forum (after the parents decided): their user id and TOTP secret."""
    from backend.auth.passwords import hash_password
    from backend.people.forum_models import Forum, ForumMember
    from backend.people.models import Role, RoleAssignment, User
    from tests.support import give_totp

    forum = db.get(Forum, world.forum_id)
    user = User(
        municipality_id=forum.municipality_id,
        username=username,
        display_name=name,
        password_hash=hash_password("demo"),
    )
    db.add(user)
    db.flush()
    db.add(RoleAssignment(user_id=user.id, role=Role.partner, unit_id=forum.unit_ids[0]))
    db.add(ForumMember(forum_id=forum.id, user_id=user.id, role="partner", title="Psykolog, PPR"))
    db.commit()
    return user.id, give_totp(db, user.id)


def _partner(app, username: str, secret: str):
    partner = parent_client(app)
    login(partner, username, code=pyotp.TOTP(secret).now())
    return partner


def test_a_partner_added_after_the_consent_reads_the_case_only_once_the_parents_covered_them(
    client, app, db, world
) -> None:
    child, guardian, prepared, invitation = _invite_to_forum(client, db, world)
    parent, page = signed_in_parent(app, invitation)
    assert _decide(parent, invitation, page, "given").status_code == 200
    added = _add_named_case(client, world, child.id)
    assert added.status_code == 303, added.text
    case_url = added.headers["location"]
    shared = client.post(
        case_url, data={**_csrf(client), "question": "Hvordan leger hun?", "action": "share"}
    )
    assert shared.status_code == 303
    db.expire_all()
    partner_ids = [p.get("user_id") for p in db.get(Record, prepared["id"]).derived["participants"]]

    # The partner the parents read about (covered) reads the child and the case.
    covered = _partner(app, "raadgiver-test", world.partner_secret)
    assert covered.get(f"/api/children/{child.id}").status_code == 200
    assert covered.get(case_url).status_code == 200

    # A partner added to the forum afterwards is not among the participants the parents read.
    new_id, secret = _new_partner(db, world, "psykolog-test", "Pia Psykolog")
    assert new_id not in partner_ids
    newcomer = _partner(app, "psykolog-test", secret)
    assert newcomer.get(f"/api/children/{child.id}").status_code == 404
    assert newcomer.get(f"/children/{child.id}").status_code == 404
    assert newcomer.get(case_url).status_code == 404
    assert child.id not in [c["id"] for c in newcomer.get("/api/children").json()]
    for url in ("/forums", f"/forums/meetings/{world.meeting_id}"):
        seen = newcomer.get(url)
        assert seen.status_code == 200 and child.name not in seen.text and case_url not in seen.text
    assert child.name in covered.get(f"/forums/meetings/{world.meeting_id}").text
    # The staff case page names the member not covered and offers to ask the parents again.
    staff_page = client.get(case_url).text
    uncovered = re.search(r'<p[^>]*id="consent-uncovered".*?</p>', staff_page, re.S).group(0)
    assert "Ikke omfattet af forældrenes samtykke:" in uncovered and "spørg forældrene igen" in uncovered
    assert "Pia Psykolog" in uncovered and "Rikke Rådgiver" not in uncovered
    assert f"/forms/consent?child={child.id}&amp;kind=meeting&amp;scope={world.forum_id}" in uncovered

    # A new consent whose participants include the newcomer lets them read the case.
    again = put_record(
        client, "consent", child.id, {"kind": "meeting", "scope": world.forum_id}, status="draft"
    )
    assert again.status_code == 201, again.text
    second = invite(client, again.json()["id"], guardian.id, "consent")
    assert second.status_code == 201, second.text
    parent2, page2 = signed_in_parent(app, second.json())
    assert "Pia Psykolog" in page2.text
    assert _decide(parent2, second.json(), page2, "given").status_code == 200
    assert newcomer.get(f"/api/children/{child.id}").status_code == 200
    assert newcomer.get(case_url).status_code == 200
    assert covered.get(case_url).status_code == 200
    assert 'id="consent-uncovered"' not in client.get(case_url).text


def test_a_consent_covers_the_participants_it_recorded_or_all_when_it_recorded_none() -> None:
    from dataclasses import replace
    from datetime import datetime

    from backend.domain.consent import fact_of
    from backend.domain.forums import consent_covers, covered_ids, uncovered

    def fact(state: str, minute: int, covers=None):
        data = {
            "kind": "meeting",
            "scope": "forum",
            "state": state,
            "decided_at": datetime(2026, 1, 1, 9, minute),
        }
        return replace(fact_of({**data, "decided_at": data["decided_at"].isoformat()}), covers=covers)

    listed = covered_ids({"participants": [{"user_id": "rikke", "name": "Rikke"}, {"name": "Uden id"}]})
    assert listed == frozenset({"rikke"}) and covered_ids({"guardian_name": "Mor"}) is None
    assert consent_covers([fact("given", 1, listed)], "meeting", "forum", "rikke")
    assert not consent_covers([fact("given", 1, listed)], "meeting", "forum", "pia")
    assert consent_covers([fact("given", 1)], "meeting", "forum", "pia")  # staff form: no list
    assert consent_covers(
        [fact("given", 1, listed), fact("given", 2, frozenset({"pia"}))], "meeting", "forum", "pia"
    )
    assert not consent_covers([fact("given", 1, listed), fact("withdrawn", 2)], "meeting", "forum", "rikke")
    members = [("rikke", "Rikke"), ("pia", "Pia")]
    assert uncovered(members, {"participants": [{"user_id": "rikke"}]}) == ["Pia"]
    assert uncovered(members, {}) == []
