"""Parent invitations (issue 15, contract "Parents"): POST/DELETE /api/parent-invitations, who
may invite, the abuse-path hold, hashed tokens and codes, and staff never changing the parents'
own words."""

import hashlib
import re
from datetime import datetime

from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.parents.models import ParentInvitation
from backend.people.models import Child, Guardian
from backend.records.models import Record, Task
from backend.records.service import store_parents_words
from tests.admin_support import new_client
from tests.parents_support import (
    HEALTH_VISITOR,
    csrf_of,
    guardians,
    hv_child,
    invite,
    invited,
    link_path,
    signed_in_parent,
    transition_for,
)
from tests.support import children_of_unit, login, put_record


def test_an_invitation_gives_a_one_time_link_and_a_six_digit_code_stored_only_as_hashes(
    client, demo, db
) -> None:
    record, invitation, guardian = invited(client, db)
    assert re.fullmatch(r"\d{6}", invitation["code"])
    token = link_path(invitation).removeprefix("/p/")
    assert len(token) >= 22  # ≥ 128 bits, URL-safe base64
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert (expires.date() - today()).days in (13, 14)
    db.expire_all()
    stored = db.get(ParentInvitation, invitation["id"])
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    columns = {k: v for k, v in stored.model_dump().items() if isinstance(v, str)}
    assert token not in str(columns) and invitation["code"] not in (stored.code_hash, stored.token_hash)
    assert stored.record_id == record["id"] and stored.guardian_id == guardian.id
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "parent_invitation.create")).one()
    assert event.child_id == record["child_id"] and event.detail["guardian_id"] == guardian.id
    assert token not in str(event.detail) and invitation["code"] not in str(event.detail)


def test_the_part_must_fit_the_record_and_the_guardian_must_be_the_childs(client, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child, other = hv_child(db, 0), hv_child(db, 1)
    record = transition_for(client, db, child)
    mine = guardians(db, child)[0]
    response = invite(client, record["id"], mine.id, "meeting_preparation")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "part"
    response = invite(client, record["id"], guardians(db, other)[0].id)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "guardian_id"
    assert invite(client, record["id"], mine.id, "nonsense").status_code == 422
    assert invite(client, record["id"], mine.id, "consent").status_code == 201


def test_only_a_professional_who_may_change_the_record_may_invite(client, demo, db) -> None:
    record, _, guardian = invited(client, db)
    client.cookies.clear()
    login(client, "demo-paedagog")  # another unit: the record does not exist for them
    assert invite(client, record["id"], guardian.id).status_code == 404
    client.cookies.clear()
    login(client, "demo-admin")
    assert invite(client, record["id"], guardian.id).status_code == 404


def test_no_invitation_while_the_childs_concern_is_on_the_abuse_path(client, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = transition_for(client, db, child)
    note = {"observed_on": today().isoformat(), "text": "Mærker på armen", "abuse_path": True}
    assert put_record(client, "concern_note", child.id, note).status_code == 201
    db.expire_all()
    assert db.exec(select(Task).where(Task.child_id == child.id, Task.kind == "abuse_path_review")).first()
    response = invite(client, record["id"], guardians(db, child)[0].id)
    assert response.status_code == 409
    assert "vold eller overgreb" in response.json()["detail"]
    assert db.exec(select(ParentInvitation)).first() is None


def test_revoking_an_invitation_is_audited_and_other_units_cannot(client, demo, db) -> None:
    record, invitation, _ = invited(client, db)
    assert client.delete(f"/api/parent-invitations/{invitation['id']}").status_code == 204
    db.expire_all()
    assert db.get(ParentInvitation, invitation["id"]).revoked_at is not None
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == invitation["id"]))]
    assert actions == ["parent_invitation.create", "parent_invitation.revoke"]
    client.cookies.clear()
    login(client, "demo-paedagog")
    assert client.delete(f"/api/parent-invitations/{invitation['id']}").status_code == 404
    assert client.delete("/api/parent-invitations/not-an-id").status_code == 404


def test_staff_cannot_change_the_parents_words_but_keep_them_when_editing(client, demo, db) -> None:
    record, invitation, guardian = invited(client, db)
    stored = db.get(Record, record["id"])
    entry = {
        "part": "transition_parents_part",
        "guardian_id": guardian.id,
        "guardian_name": guardian.name,
        "invitation_id": invitation["id"],
        "submitted_at": "2026-12-01T10:00:00+00:00",
        "answers": {"about_child": "Hun elsker at tegne"},
    }
    store_parents_words(db, stored, entry, stored.author_id)
    db.commit()
    version = stored.version
    data = {k: v for k, v in stored.data.items() if k != "parents_words"}
    # An edit that does not carry the parents' words keeps them (the form, a phone).
    data["parents_part"] = {"what_helps": "Vi har talt med mor: ro om morgenen"}
    response = put_record(
        client,
        "transition",
        record["child_id"],
        data,
        status="draft",
        base_version=version,
        record_id=record["id"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"]["parents_words"][0]["answers"] == {"about_child": "Hun elsker at tegne"}
    # An edit that changes them is refused, naming the field.
    changed = dict(body["data"])
    changed["parents_words"] = [
        dict(changed["parents_words"][0], answers={"about_child": "Rettet af personalet"})
    ]
    response = put_record(
        client,
        "transition",
        record["child_id"],
        changed,
        status="draft",
        base_version=body["version"],
        record_id=record["id"],
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.parents_words"
    # Staff can neither add words in a parent's name nor remove them.
    for words in ([], [*body["data"]["parents_words"], dict(body["data"]["parents_words"][0])]):
        response = put_record(
            client,
            "transition",
            record["child_id"],
            {**body["data"], "parents_words": words},
            status="draft",
            base_version=body["version"],
            record_id=record["id"],
        )
        assert response.status_code == 422, words


def test_staff_cannot_put_words_in_the_parents_mouth_on_a_new_record(client, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    guardian = guardians(db, child)[0]
    words = [
        {
            "part": "transition_parents_part",
            "guardian_id": guardian.id,
            "guardian_name": guardian.name,
            "invitation_id": guardian.id,
            "submitted_at": "2026-12-01T10:00:00+00:00",
            "answers": {"about_child": "x"},
        }
    ]
    response = put_record(client, "transition", child.id, {"parents_words": words}, status="draft")
    assert response.status_code == 422


def test_children_of_another_unit_are_not_found(client, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    other = children_of_unit(db, "Børnehuset Solsikken")[0]
    assert (
        invite(client, "00000000-0000-4000-8000-000000000000", guardians(db, other)[0].id).status_code == 404
    )


def test_removing_a_guardian_removes_their_invitations_and_keeps_their_words(client, app, demo, db) -> None:
    record, invitation, guardian = invited(client, db)
    guardian_id, guardian_name = guardian.id, guardian.name
    parent, page = signed_in_parent(app, invitation)
    sent = parent.post(
        link_path(invitation), data={"about_child": "Glad dreng", "csrf_token": csrf_of(page.text)}
    )
    assert sent.status_code == 200
    child = db.get(Child, record["child_id"])
    form = {
        "name": child.name,
        "birth_date": child.birth_date.isoformat(),
        "reason": "Forælderen er fjernet fra registret",
        "guardian-0-id": guardian_id,
        "guardian-0-name": guardian_name,
        "guardian-0-remove": "on",
    }
    saved = new_client(app, "demo-admin").post(f"/admin/children/{child.id}", data=form)
    assert saved.status_code == 303, saved.text
    db.expire_all()
    assert db.get(Guardian, guardian_id) is None and db.get(ParentInvitation, invitation["id"]) is None
    words = db.get(Record, record["id"]).data["parents_words"]
    assert words[0]["guardian_name"] == guardian_name and words[0]["answers"] == {"about_child": "Glad dreng"}


def test_retention_deletes_the_invitations_with_the_record_and_the_child(client, app, demo, db) -> None:
    from datetime import timedelta

    from backend.admin.retention import run_retention_job
    from backend.domain.retention import add_years
    from tests.admin_support import on_day

    child = hv_child(db, 2)
    record, invitation, _ = invited(client, db, child=child)
    leaves_on = (today() + timedelta(days=1)).isoformat()
    admin = new_client(app, "demo-admin")
    assert admin.post(f"/admin/children/{child.id}/leave", data={"leaves_on": leaves_on}).status_code == 303
    child_id, birth_date = child.id, child.birth_date
    db.expunge_all()
    with on_day(add_years(birth_date, 12) + timedelta(days=1)):
        result = run_retention_job()
    assert result.counts["records"] >= 1
    db.expire_all()
    assert db.get(Record, record["id"]) is None and db.get(ParentInvitation, invitation["id"]) is None
    assert db.get(Child, child_id) is None
