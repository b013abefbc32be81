"""'What we agreed' (issue 15): after a dialogue meeting the parents read only what the
professional chose to share — the agreements (what, who, by when) and the plain-words summary,
never the colour positions or the rest of the minutes; their read confirmation is kept on the
meeting, attributed, audited and shown to staff; 404 for anything the link does not cover."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.records.models import Record
from tests.parents_support import (
    HEALTH_VISITOR,
    csrf_of,
    guardians,
    hv_child,
    invite,
    link_path,
    signed_in_parent,
)
from tests.support import login, put_record

SUMMARY = "Vi talte om søvn. Nu prøver vi <fast> sengetid."
CHALLENGE = "Hemmelig udfordring fra referatet"
WHAT = "Fast sengetid kl. 19"


def _held_meeting(client, child, share: bool | None) -> dict:
    data = {
        "planned_on": (today() - timedelta(days=2)).isoformat(),
        "held_on": (today() - timedelta(days=1)).isoformat(),
        "purpose": "Tale om søvn",
        "participants": [{"name": "Mor", "role": "parent"}],
        "going_well": "Leger godt",
        "challenges": CHALLENGE,
        "possibilities": "Mere ro",
        "agreements": [
            {"what": WHAT, "who": "Mor og far", "due_on": (today() + timedelta(days=14)).isoformat()}
        ],
        "best_today": "Smilet",
        "shared_summary": SUMMARY,
    }
    if share is not None:
        data["share_with_parents"] = share
    response = put_record(client, "dialogue_meeting", child.id, data, status="final")
    assert response.status_code == 201, response.text
    return response.json()


def _invited(client, db, share: bool | None):
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    meeting = _held_meeting(client, child, share)
    guardian = guardians(db, child)[0]
    response = invite(client, meeting["id"], guardian.id, "agreements")
    assert response.status_code == 201, response.text
    return meeting, response.json(), guardian


def test_the_parents_read_only_the_shared_agreements_and_summary(client, app, demo, db) -> None:
    meeting, invitation, guardian = _invited(client, db, True)
    parent, page = signed_in_parent(app, invitation)
    assert page.status_code == 200 and "Det aftalte vi" in page.text
    assert WHAT in page.text and "Mor og far" in page.text
    assert "Vi talte om søvn. Nu prøver vi &lt;fast&gt; sengetid." in page.text
    for hidden in (
        CHALLENGE,
        "Leger godt",
        "Mere ro",
        "Smilet",
        "Trivsel",
        "Bekymring",
        "Ekstra opmærksomhed",
    ):
        assert hidden not in page.text, hidden
    assert "<script" not in page.text

    read = parent.post(
        f"{link_path(invitation)}/read",
        data={"version": str(meeting["version"]), "csrf_token": csrf_of(page.text)},
    )
    assert read.status_code == 200 and "Fagpersonen kan nu se" in read.text
    db.expire_all()
    stored = db.get(Record, meeting["id"])
    [entry] = [w for w in stored.data["parents_words"] if w["part"] == "agreements"]
    assert entry["guardian_id"] == guardian.id and entry["answers"] == {
        "read_version": str(meeting["version"])
    }
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "parent.agreements_read")).one()
    assert event.actor_id is None and event.detail["guardian_id"] == guardian.id
    # The health visitor sees the confirmation on the meeting, attributed.
    shown = client.get(f"/records/{meeting['id']}")
    assert shown.status_code == 200
    assert f"Læst og bekræftet af {guardian.name} via link" in shown.text
    # Staff keep editing the meeting; the confirmation stays.
    again = put_record(
        client,
        "dialogue_meeting",
        stored.child_id,
        {k: v for k, v in stored.data.items() if k != "parents_words"},
        base_version=stored.version,
        record_id=stored.id,
    )
    assert again.status_code == 200, again.text
    assert any(w["part"] == "agreements" for w in again.json()["data"]["parents_words"])
    assert parent.get(link_path(invitation)).status_code == 410


def test_nothing_is_shown_before_the_professional_shares_it(client, app, demo, db) -> None:
    meeting, invitation, _ = _invited(client, db, None)
    parent, page = signed_in_parent(app, invitation)
    assert page.status_code == 200 and "har ikke delt aftalerne" in page.text
    assert WHAT not in page.text and SUMMARY not in page.text and "/read" not in page.text
    refused = parent.post(
        f"{link_path(invitation)}/read", data={"version": "1", "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 404
    db.expire_all()
    assert "parents_words" not in db.get(Record, meeting["id"]).data


def test_an_agreements_link_covers_nothing_else(client, app, demo, db) -> None:
    meeting, invitation, _ = _invited(client, db, True)
    parent, page = signed_in_parent(app, invitation)
    path = link_path(invitation)
    token = csrf_of(page.text)
    data = {"choice": "given", "typed_name": "Mor", "version": str(meeting["version"]), "csrf_token": token}
    assert parent.post(f"{path}/consent", data=data).status_code == 404
    assert parent.post(path, data={"everyday_life": "x", "csrf_token": token}).status_code == 404
    assert parent.get(f"/records/{meeting['id']}").status_code in (303, 401, 404)
    db.expire_all()
    assert db.exec(select(Record).where(Record.type == "consent")).all() == [] or all(
        r.data.get("scope") != meeting["id"] for r in db.exec(select(Record).where(Record.type == "consent"))
    )


def test_the_share_toggle_and_summary_are_on_the_staff_form(client, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    page = client.get(f"/forms/dialogue_meeting?child={child.id}").text
    assert 'name="data.share_with_parents"' in page and 'name="data.shared_summary"' in page
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    fields = {
        "csrf_token": csrf_of(page),
        "type": "dialogue_meeting",
        "child_id": child.id,
        "status": "final",
        "data.held_on": (today() - timedelta(days=1)).isoformat(),
        "data.purpose": "Søvn",
        "data.participants.0.name": "Mor",
        "data.participants.0.role": "parent",
        "data.agreements.0.what": WHAT,
        "data.agreements.0.who": "Mor",
        "data.agreements.0.due_on": (today() + timedelta(days=5)).isoformat(),
        "data.shared_summary": SUMMARY,
        "data.share_with_parents": "on",
    }
    saved = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert saved.status_code == 303, saved.text
    db.expire_all()
    stored = db.get(Record, record_id)
    assert stored.data["share_with_parents"] is True and stored.data["shared_summary"] == SUMMARY
    shown = client.get(f"/records/{record_id}")
    assert "Aftalerne og resuméet er delt med forældrene." in shown.text
    # Unticking the box (a form sends nothing for it) stops sharing.
    edit = client.get(f"/records/{record_id}/edit").text
    assert 'name="data.share_with_parents" value="on" checked' in edit
    unshared = {k: v for k, v in fields.items() if k != "data.share_with_parents"}
    unshared |= {"csrf_token": csrf_of(edit), "base_version": str(stored.version)}
    assert (
        client.post(f"/records/{record_id}", data=unshared, headers={"accept": "text/html"}).status_code
        == 303
    )
    db.expire_all()
    assert db.get(Record, record_id).data["share_with_parents"] is False
    assert "Ikke delt med forældrene." in client.get(f"/records/{record_id}").text


def test_the_demo_has_a_dialogue_meeting_with_agreements_shared_with_the_parents(demo_full, db) -> None:
    meetings = db.exec(select(Record).where(Record.type == "dialogue_meeting")).all()
    shared = [m for m in meetings if m.data.get("share_with_parents") is True]
    assert len(shared) == 1 and shared[0].data["shared_summary"] and shared[0].data["agreements"]
