"""The notification assistant (issue 16): the content the social services need, printable, and
the professional's personal duty — no role or state stops the author from finalising it; a leader
may co-sign, never veto."""

import re

import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.records.models import Record, Task
from tests.support import add_user, children_of_unit, login, put_record

UNITS = {
    "health_visitor": "Sundhedsplejen Nord",
    "childminder": "Dagplejen Syd",
    "childminder_supervisor": "Dagplejen Syd",
    "pedagogue": "Børnehuset Solsikken",
    "leader": "Børnehuset Solsikken",
}


def _assistant(**extra: object) -> dict:
    return {
        "observed_on": today().isoformat(),
        "observed": "Blå mærker på overarmen, set ved bleskift kl. 10",
        "child_words": "»Far bliver vred«",
        "done_so_far": "Talt med lederen samme dag",
        "parents_told": "no",
        "parents_not_told_reason": "Mistanke om vold: forældrene må ikke orienteres.",
        "sent_on": today().isoformat(),
        "authority": "Børn og Familie, Demo Kommune",
        "summary": "Mistanke om vold i hjemmet",
        **extra,
    }


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("role", sorted(UNITS))
def test_no_role_or_state_blocks_the_author_from_finalising(client, demo, db, role) -> None:
    unit = UNITS[role]
    add_user(db, f"forfatter-{role}", role, unit)
    child = children_of_unit(db, unit)[0]
    login(client, f"forfatter-{role}")
    # The hardest state: the abuse path is open (parent-facing work held, the leader alerted),
    # the notification was drafted by the action-path decision, and no leader has co-signed.
    note = {"observed_on": today().isoformat(), "text": "Blå mærker", "abuse_path": True}
    note_id = put_record(client, "concern_note", child.id, note).json()["id"]
    decision = {
        "source_record_id": note_id,
        "decided_on": today().isoformat(),
        "with_parents": "no",
        "why_not_with_parents": "Sporet om vold eller overgreb",
        "notification": True,
    }
    plan = put_record(client, "action_paths", child.id, decision)
    assert plan.status_code == 201, plan.text
    draft_id = plan.json()["derived"]["notification_record_id"]
    draft = client.get(f"/api/records/{draft_id}").json()
    assert draft["status"] == "draft" and draft["data"]["parents_told"] == "no"
    final = put_record(client, "notification", child.id, _assistant(), record_id=draft_id, base_version=1)
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "final"
    db.expire_all()
    assert db.get(Record, draft_id).status == "final"
    kinds = {t.kind: t.status for t in db.exec(select(Task).where(Task.child_id == child.id))}
    assert kinds["notification_write"] == "done"  # the assistant's task is done
    assert kinds["notification_receipt"] == "open"  # the receipt tracking follows (6 working days)


def test_a_leader_co_signs_but_cannot_veto(client, demo, db) -> None:
    child = children_of_unit(db, "Børnehuset Solsikken")[0]
    login(client, "demo-paedagog")
    created = put_record(client, "notification", child.id, _assistant(parents_told="yes"))
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    login(client, "demo-leder")
    view = client.get(f"/records/{record_id}").text
    assert 'id="co-sign"' in view
    signed = client.post(f"/records/{record_id}/co-sign", data={"csrf_token": _csrf(view)})
    assert signed.status_code == 303
    assert "Anne Vestergaard" in client.get(f"/records/{record_id}").text
    # The leader cannot take it back to a draft: a final notification stays final.
    back = put_record(
        client,
        "notification",
        child.id,
        _assistant(parents_told="yes"),
        status="draft",
        record_id=record_id,
        base_version=1,
    )
    assert back.status_code == 422
    # The author corrects it afterwards; the co-signature stays.
    login(client, "demo-paedagog")
    again = put_record(
        client,
        "notification",
        child.id,
        _assistant(parents_told="yes", summary="Rettet"),
        record_id=record_id,
        base_version=1,
    )
    assert again.status_code == 200, again.text
    assert again.json()["derived"]["co_signed_by_name"] == "Anne Vestergaard"


def test_a_colleague_who_is_not_the_leader_cannot_co_sign(client, demo, db) -> None:
    add_user(db, "kollega-paedagog", "pedagogue", "Børnehuset Solsikken")
    child = children_of_unit(db, "Børnehuset Solsikken")[0]
    login(client, "demo-paedagog")
    record_id = put_record(client, "notification", child.id, _assistant(parents_told="yes")).json()["id"]
    view = client.get(f"/records/{record_id}").text
    assert 'id="co-sign"' not in view
    assert client.post(f"/records/{record_id}/co-sign", data={"csrf_token": _csrf(view)}).status_code == 404


def test_on_the_abuse_path_the_parents_must_not_be_told(client, demo, db) -> None:
    child = children_of_unit(db, "Børnehuset Solsikken")[0]
    login(client, "demo-paedagog")
    note = {"observed_on": today().isoformat(), "text": "Blå mærker", "abuse_path": True}
    assert put_record(client, "concern_note", child.id, note).status_code == 201
    told = put_record(client, "notification", child.id, _assistant(parents_told="yes"))
    assert told.status_code == 422
    assert any(e["field"] == "data.parents_told" for e in told.json()["errors"])
    no_reason = put_record(client, "notification", child.id, _assistant(parents_not_told_reason=""))
    assert no_reason.status_code == 422
    assert any(e["field"] == "data.parents_not_told_reason" for e in no_reason.json()["errors"])


def test_the_notification_prints_for_the_secure_channel(client, demo, db) -> None:
    child = children_of_unit(db, "Børnehuset Solsikken")[0]
    login(client, "demo-paedagog")
    record_id = put_record(client, "notification", child.id, _assistant(), status="draft").json()["id"]
    page = client.get(f"/records/{record_id}/print")
    assert page.status_code == 200
    text = page.text
    assert 'class="print-sheet notification-sheet"' in text
    assert "&raquo;Far bliver vred&laquo;" in text or "»Far bliver vred«" in text
    assert "Opspor sender ikke underretningen" in text
    assert child.name in text
    # Someone outside the child's units gets nothing.
    login(client, "demo-sundhedsplejerske")
    assert client.get(f"/records/{record_id}/print").status_code == 404
