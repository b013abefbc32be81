"""The professional's invite screen (issue 15): from the record, choose a guardian and a task,
see the link as a QR code (server-side SVG) and the code in large digits, e-mail the link (never
the code), revoke; secrets never in logs."""

import logging
import re

from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.notify.models import OutgoingEmail
from backend.parents.models import ParentInvitation
from tests.parents_support import HEALTH_VISITOR, guardians, hv_child, transition_for
from tests.support import login, put_record

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _screen(client, db, child=None):
    token = login(client, HEALTH_VISITOR)
    child = child or hv_child(db)
    record = transition_for(client, db, child)
    return record, child, token


def _create(client, record, guardian_id, token, part="transition_parents_part"):
    return client.post(
        f"/records/{record['id']}/parents",
        data={"guardian_id": guardian_id, "part": part, "csrf_token": token},
    )


def test_the_record_page_links_to_the_invite_screen(client, demo, db) -> None:
    record, child, _ = _screen(client, db)
    assert f'href="/records/{record["id"]}/parents"' in client.get(f"/records/{record['id']}").text
    page = client.get(f"/records/{record['id']}/parents")
    assert page.status_code == 200
    for guardian in guardians(db, child):
        assert guardian.name in page.text
    assert (
        "Forældrenes del af overgangsbeskrivelsen" in page.text
        and "Forberedelse til dialogmødet" not in page.text
    )


def test_an_invitation_shows_a_qr_code_and_the_code_once(client, demo, db, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    record, child, token = _screen(client, db)
    guardian = guardians(db, child)[0]
    created = _create(client, record, guardian.id, token)
    assert created.status_code == 200, created.text
    assert created.headers["Cache-Control"] == "no-store"
    assert 'src="data:image/svg+xml' in created.text and "<script" not in created.text.split("<main", 1)[-1]
    digits = re.search(r'class="big-number"[^>]*><span>(\d{3})&nbsp;(\d{3})</span>', created.text)
    assert digits, created.text
    code = digits.group(1) + digits.group(2)
    link = re.search(r'name="token" value="([^"]+)"', created.text).group(1)
    invitation = db.exec(select(ParentInvitation)).one()
    assert invitation.guardian_id == guardian.id
    # The screen's list: the invitation is waiting; shown again, the code is not.
    again = client.get(f"/records/{record['id']}/parents")
    assert "Venter på svar" in again.text and code not in again.text and link not in again.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged and link not in logged


def test_the_link_is_emailed_without_the_code(client, demo, db, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    record, child, token = _screen(client, db)
    guardian = guardians(db, child)[0]
    guardian.email = "forælder@example.org"
    db.add(guardian)
    db.commit()
    created = _create(client, record, guardian.id, token)
    code = "".join(re.search(r'class="big-number"[^>]*><span>(\d{3})&nbsp;(\d{3})', created.text).groups())
    link = re.search(r'name="token" value="([^"]+)"', created.text).group(1)
    invitation = db.exec(select(ParentInvitation)).one()
    sent = client.post(
        f"/records/{record['id']}/parents/{invitation.id}/email", data={"token": link, "csrf_token": token}
    )
    assert sent.status_code == 200 and "Linket er sendt på e-mail" in sent.text
    email = db.exec(select(OutgoingEmail)).one()
    assert email.to_address == guardian.email and f"/p/{link}" in email.body and code not in email.body
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "parent_invitation.email")).one()
    assert link not in str(event.detail) and code not in str(event.detail)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged and link not in logged
    # A wrong token (the link is not known to the server) sends nothing.
    wrong = client.post(
        f"/records/{record['id']}/parents/{invitation.id}/email",
        data={"token": "x" * 43, "csrf_token": token},
    )
    assert wrong.status_code == 422
    assert len(db.exec(select(OutgoingEmail)).all()) == 1


def test_no_email_address_is_a_clear_message(client, demo, db) -> None:
    record, child, token = _screen(client, db)
    guardian = guardians(db, child)[0]
    guardian.email = ""
    db.add(guardian)
    db.commit()
    created = _create(client, record, guardian.id, token)
    link = re.search(r'name="token" value="([^"]+)"', created.text).group(1)
    invitation = db.exec(select(ParentInvitation)).one()
    sent = client.post(
        f"/records/{record['id']}/parents/{invitation.id}/email", data={"token": link, "csrf_token": token}
    )
    assert sent.status_code == 422 and "ingen e-mailadresse" in sent.text


def test_revoke_from_the_screen(client, demo, db) -> None:
    record, child, token = _screen(client, db)
    _create(client, record, guardians(db, child)[0].id, token)
    invitation = db.exec(select(ParentInvitation)).one()
    revoked = client.post(
        f"/records/{record['id']}/parents/{invitation.id}/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 303
    assert "Trukket tilbage" in client.get(f"/records/{record['id']}/parents").text
    db.expire_all()
    assert db.get(ParentInvitation, invitation.id).revoked_at is not None


def test_a_wrong_guardian_keeps_the_form_with_the_field_named(client, demo, db) -> None:
    record, child, token = _screen(client, db)
    other = guardians(db, hv_child(db, 1))[0]
    refused = _create(client, record, other.id, token)
    assert refused.status_code == 422 and 'id="f-guardian_id-error"' in refused.text


def test_the_screen_is_held_on_the_abuse_path(client, demo, db) -> None:
    record, child, token = _screen(client, db)
    note = {"observed_on": today().isoformat(), "text": "Mærker", "abuse_path": True}
    assert put_record(client, "concern_note", child.id, note).status_code == 201
    page = client.get(f"/records/{record['id']}/parents")
    assert "vold eller overgreb" in page.text and 'name="guardian_id"' not in page.text
    assert _create(client, record, guardians(db, child)[0].id, token).status_code == 409
    assert db.exec(select(ParentInvitation)).first() is None


def test_other_units_do_not_find_the_screen(client, demo, db) -> None:
    record, child, _ = _screen(client, db)
    client.cookies.clear()
    token = login(client, "demo-paedagog")
    assert client.get(f"/records/{record['id']}/parents").status_code == 404
    assert _create(client, record, guardians(db, child)[0].id, token).status_code == 404
