"""The forum screens (domain §11): the leader plans a meeting, puts cases on the agenda and
prepares them; a named child without consent is refused with a way to get it; the partner's
start page shows the coming meeting and the shared case."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.people.forum_models import ForumCase, ForumMeeting
from tests.forum_support import forum_world, give_forum_consent
from tests.support import login, unit_named


@pytest.fixture
def world(db, demo):
    return forum_world(db)


def _csrf(client) -> dict:
    return {"csrf_token": client.headers["X-CSRF-Token"]}


def test_the_leader_plans_a_meeting_and_prepares_the_agenda(client, db, world) -> None:
    login(client, "demo-leder")
    assert "Ressourceteam Solsikken" in client.get("/forums").text
    bad = client.post(f"/forums/{world.forum_id}/meetings", data={**_csrf(client), "held_on": "i morgen"})
    assert bad.status_code == 422 and "Skriv datoen" in bad.text and 'href="#f-held_on"' in bad.text
    held_on = (today() + timedelta(days=20)).isoformat()
    made = client.post(
        f"/forums/{world.forum_id}/meetings", data={**_csrf(client), "held_on": held_on, "place": "Salen"}
    )
    assert made.status_code == 303
    meeting_url = made.headers["location"]
    meeting_id = meeting_url.rsplit("/", 1)[1]
    child = world.children[0]
    refused = client.post(
        f"{meeting_url}/cases", data={**_csrf(client), "case_kind": "named", "child_id": child}
    )
    assert refused.status_code == 422 and "samtykke" in refused.text
    assert f"/forms/consent?child={child}&amp;kind=meeting&amp;scope={world.forum_id}" in refused.text
    assert db.exec(select(ForumCase).where(ForumCase.meeting_id == meeting_id)).all() == []
    give_forum_consent(db, child, world.forum_id, unit_named(db, "Børnehuset Solsikken").id, world.leader_id)
    db.commit()
    named = client.post(
        f"{meeting_url}/cases", data={**_csrf(client), "case_kind": "named", "child_id": child}
    )
    assert named.status_code == 303
    case_url = named.headers["location"]
    empty = client.post(case_url, data={**_csrf(client), "question": "", "action": "share"})
    assert empty.status_code == 422 and 'href="#f-question"' in empty.text
    shared = client.post(
        case_url,
        data={
            **_csrf(client),
            "question": "Hvad gør vi nu?",
            "tried": "Ro",
            "parents_view": "",
            "action": "share",
        },
    )
    assert shared.status_code == 303
    assert "Forberedelsen er delt" in client.get(case_url).text
    anonymous = client.post(
        f"{meeting_url}/cases",
        data={**_csrf(client), "case_kind": "anonymous", "age_band": "3-6", "description": "<b>Tvivl</b>"},
    )
    assert anonymous.status_code == 303
    agenda = client.get(meeting_url).text
    assert "Anonym sag" in agenda and "<b>Tvivl</b>" not in agenda


def test_the_partner_starts_on_their_meetings_and_reads_only_shared_cases(client, db, world) -> None:
    from tests.forum_support import shared_case

    unit_id = unit_named(db, "Børnehuset Solsikken").id
    shared = shared_case(db, world.meeting_id, world.children[0], unit_id, world.leader_id)
    unshared = shared_case(db, world.meeting_id, world.children[1], unit_id, world.leader_id, shared=False)
    db.commit()
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    start = client.get("/", follow_redirects=True)
    assert start.url.path == "/forums" and "Kommende møder" in start.text
    assert client.get(f"/forums/cases/{shared}").status_code == 200
    assert client.get(f"/forums/cases/{unshared}").status_code == 404
    # Read-only: a partner can neither prepare a case nor plan a meeting.
    csrf = _csrf(client)
    assert client.post(f"/forums/cases/{shared}", data={**csrf, "question": "x"}).status_code == 404
    assert (
        client.post(
            f"/forums/{world.forum_id}/meetings", data={**csrf, "held_on": today().isoformat()}
        ).status_code
        == 404
    )
    assert db.get(ForumMeeting, world.meeting_id).status == "planned"


def test_the_consent_form_offers_the_forum_as_what_the_consent_covers(client, db, world) -> None:
    login(client, "demo-paedagog")
    child = world.children[0]
    page = client.get(f"/forms/consent?child={child}&kind=meeting&scope={world.forum_id}").text
    assert f'value="{world.forum_id}" selected' in page and "Drøftelse i Ressourceteam Solsikken" in page


def test_i_dag_shows_each_members_coming_forum_meeting_with_its_cases(client, db, world) -> None:
    """Issue 17: "I dag" shows the cases for the next forum meeting — the forum, the date and the
    number of cases, linking the agenda, for its members only, and naming no child."""
    from backend.people.forum_models import ForumMember
    from backend.people.models import Child
    from tests.forum_support import shared_case, user_named

    unit_id = unit_named(db, "Børnehuset Solsikken").id
    for child_id in world.children[:2]:
        shared_case(db, world.meeting_id, child_id, unit_id, world.leader_id)
    far = ForumMeeting(
        forum_id=world.forum_id,
        held_on=today() + timedelta(days=30),
        status="planned",
        created_by_id=world.leader_id,
    )
    db.add(far)
    db.add(ForumMember(forum_id=world.forum_id, user_id=user_named(db, "demo-paedagog").id, role="internal"))
    db.commit()
    names = [db.get(Child, child_id).name for child_id in world.children[:2]]

    login(client, "demo-paedagog")
    page = client.get("/").text
    card = page[page.index("Ressourceteam Solsikken") :]
    card = card[: card.index("</li>")]
    assert "2 sager på dagsordenen" in card and "Personalestuen" in card
    assert f'href="/forums/meetings/{world.meeting_id}"' in card
    assert f"/forums/meetings/{far.id}" not in page  # only the next meeting within two weeks
    assert not any(name in card for name in names)

    db.get(ForumMeeting, world.meeting_id).status = "cancelled"
    db.commit()
    assert "Ressourceteam Solsikken" not in client.get("/").text  # the next is a month away

    client.post("/logout", data=_csrf(client))
    login(client, "demo-dagplejer")  # not a member of the forum
    assert "Ressourceteam Solsikken" not in client.get("/").text
