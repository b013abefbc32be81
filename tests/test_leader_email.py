"""The leader's e-mail after a final reflection, through a real SMTP server on loopback.

The e-mail is queued in the save's transaction and sent after the response; it names no child
and carries no record text, only a link that works for the leader. STARTTLS is used when the
server offers it; a dead server leaves the e-mail queued for a retry and never fails a save.
"""

from __future__ import annotations

import email
import ipaddress
import logging
import re
import ssl
import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func
from sqlmodel import select

from backend.config import get_settings
from backend.domain.dates import today
from backend.notify import email as outbox
from backend.notify.models import OutgoingEmail
from backend.people.models import Child
from backend.records.models import Task
from tests.meetings_helpers import CHILDMINDING, INSTITUTION, anonymous, give_consent, reflection
from tests.support import add_user, children_of_unit, free_port, login, put_record, unit_named, user_named

LEADER_ADDRESS = "demo-leder@demo-kommune.example"
SENDER = "opspor@demo-kommune.example"


class Inbox:
    """An aiosmtpd handler that keeps what it receives (and can refuse a recipient)."""

    def __init__(self, refuse: str | None = None) -> None:
        self.envelopes: list = []
        self.sessions: list = []
        self.logins: list[tuple[str, str, bool]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.sessions.append(session.ssl is not None)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode(), session.ssl is not None))
        return AuthResult(success=auth_data.password == b"hemmelig-kode")


@pytest.fixture
def smtp(app_env, monkeypatch):
    """Start an SMTP server on loopback and point the app at it: `smtp(**server_options)`."""
    controllers: list[Controller] = []

    def start(inbox: Inbox | None = None, port: int | None = None, **options: object) -> Inbox:
        inbox = inbox or Inbox()
        port = port or free_port()
        controller = Controller(
            inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate, **options
        )
        controller.start()
        controllers.append(controller)
        configure(port)
        return inbox

    def configure(port: int, **env: str) -> None:
        monkeypatch.setenv("OPSPOR_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OPSPOR_SMTP_PORT", str(port))
        monkeypatch.setenv("OPSPOR_SMTP_FROM", SENDER)
        for name, value in env.items():
            monkeypatch.setenv(f"OPSPOR_SMTP_{name.upper()}", value)
        get_settings.cache_clear()

    start.configure = configure  # type: ignore[attr-defined]
    yield start
    for controller in controllers:
        controller.stop()


def _child_with_cpr(db) -> Child:
    return next(c for c in children_of_unit(db, INSTITUTION) if c.cpr)


def _named_final(client, db, child: Child) -> dict:
    record_id = str(uuid.uuid4())
    give_consent(client, db, child, "sparring_case", record_id)
    response = put_record(client, "reflection", child.id, reflection(), record_id=record_id)
    assert response.status_code == 201, response.text
    return response.json()


def _forbidden(child: Child, data: dict) -> list[str]:
    """Everything about the child and the sparring that must stay out of the e-mail."""
    texts = [child.name, *child.name.split(), child.cpr, f"{child.cpr[:6]}-{child.cpr[6:]}"]
    texts += [child.birth_date.isoformat(), child.birth_date.strftime("%d.%m.%Y")]
    for key in ("situation", "adult_perspective", "child_perspective", "analysis"):
        texts.append(data[key])
    texts += [action["what"] for action in data["trial_actions"]]
    return [t for t in texts if t]


def _everything_in(envelope) -> tuple[str, list[str]]:
    """The raw message and every decoded header and body part."""
    raw = envelope.original_content.decode("utf-8", "replace")
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    decoded = [f"{name}: {value}" for name, value in message.items()]
    decoded += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return raw, decoded


def test_the_leader_gets_a_link_and_no_child_data(client, demo, db, smtp, caplog) -> None:
    inbox = smtp()
    add_user(db, "leder-uden-mail", "leader", INSTITUTION)
    child = _child_with_cpr(db)
    login(client, "demo-paedagog")
    with caplog.at_level(logging.DEBUG, logger="opspor"):
        record = _named_final(client, db, child)
    app_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))

    [envelope] = inbox.envelopes  # sent right after the save's commit
    assert envelope.mail_from == SENDER and envelope.rcpt_tos == [LEADER_ADDRESS]
    assert inbox.logins == []  # no user configured: no login
    raw, decoded = _everything_in(envelope)
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["To"] == LEADER_ADDRESS and message["From"] == SENDER
    assert message["Subject"] == "Nyt referat fra faglig sparring i Opspor"
    body = message.get_content()
    assert "Anne Vestergaard" in body and "Børnehuset Solsikken" in body
    for text in _forbidden(child, record["data"]):
        assert text not in raw, text
        for part in decoded:
            assert text not in part, text

    [link] = re.findall(r"https?://\S+", body)
    assert link == f"http://127.0.0.1/records/{record['id']}"
    login(client, "demo-leder")
    minutes = client.get(link)
    assert minutes.status_code == 200
    assert record["data"]["situation"] in minutes.text and child.name in minutes.text

    stored = db.exec(select(OutgoingEmail)).one()
    assert stored.sent_at is not None and stored.attempts == 0 and stored.to_address == LEADER_ADDRESS
    # The leader without an address learns it in the app instead.
    [task] = db.exec(select(Task).where(Task.kind == "reflection_minutes")).all()
    assert task.assignee_id == user_named(db, "leder-uden-mail").id
    assert f"e-mail {stored.id} sent" in app_log  # the log names the row ...
    for text in (link, stored.subject, "Hej Anne", LEADER_ADDRESS):  # ... never the message
        assert text not in app_log


def test_an_anonymous_reflection_mail_has_no_age_band_either(client, demo, db, smtp) -> None:
    inbox = smtp()
    login(client, "demo-dagplejepaedagog")
    data = anonymous(age_band="3-6")
    response = put_record(client, "reflection", None, data, unit_id=unit_named(db, CHILDMINDING).id)
    assert response.status_code == 201
    [envelope] = inbox.envelopes
    raw, decoded = _everything_in(envelope)
    for text in ("3-6", "3–6", data["situation"], data["child_perspective"]):
        assert text not in raw and all(text not in part for part in decoded)
    assert "Dagplejen Syd" in " ".join(decoded)


def test_drafts_and_corrections_send_nothing(client, demo, db, smtp) -> None:
    inbox = smtp()
    login(client, "demo-dagplejepaedagog")
    unit = unit_named(db, CHILDMINDING)
    record_id = str(uuid.uuid4())
    put_record(client, "reflection", None, anonymous(), unit_id=unit.id, status="draft", record_id=record_id)
    assert inbox.envelopes == []
    put_record(client, "reflection", None, anonymous(), unit_id=unit.id, record_id=record_id, base_version=1)
    put_record(
        client,
        "reflection",
        None,
        anonymous(analysis="Ny"),
        unit_id=unit.id,
        record_id=record_id,
        base_version=2,
    )
    assert len(inbox.envelopes) == 1
    assert db.exec(select(func.count()).select_from(OutgoingEmail)).one() == 1


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_starttls_is_used_when_offered_and_the_password_only_over_it(
    client, demo, db, smtp, tmp_path, monkeypatch
) -> None:
    cert_path, key_path = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the app trusts the test's own CA
    inbox = smtp(tls_context=server_tls, require_starttls=True, auth_require_tls=True)
    smtp.configure(int(get_settings().smtp_port), user="opspor", password="hemmelig-kode")
    login(client, "demo-paedagog")
    _named_final(client, db, _child_with_cpr(db))
    assert inbox.logins == [("opspor", "hemmelig-kode", True)]
    assert inbox.sessions == [True]  # the message went over TLS
    assert len(inbox.envelopes) == 1


def test_an_untrusted_certificate_is_not_accepted(client, demo, db, smtp, tmp_path) -> None:
    cert_path, key_path = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    inbox = smtp(tls_context=server_tls, require_starttls=True)
    login(client, "demo-paedagog")
    assert (
        put_record(
            client, "reflection", None, anonymous(), unit_id=unit_named(db, INSTITUTION).id
        ).status_code
        == 201
    )
    assert inbox.envelopes == []
    stored = db.exec(select(OutgoingEmail)).one()
    assert stored.sent_at is None and stored.attempts == 1 and "SSL" in stored.last_error


def test_no_password_in_clear_to_a_remote_server_without_starttls(
    client, demo, db, smtp, monkeypatch
) -> None:
    inbox = smtp(auth_require_tls=False)
    smtp.configure(int(get_settings().smtp_port), user="opspor", password="hemmelig-kode")
    monkeypatch.setattr(outbox, "_is_loopback", lambda host: False)  # pretend it is far away
    login(client, "demo-paedagog")
    put_record(client, "reflection", None, anonymous(), unit_id=unit_named(db, INSTITUTION).id)
    assert inbox.logins == [] and inbox.envelopes == []
    stored = db.exec(select(OutgoingEmail)).one()
    assert stored.sent_at is None and stored.last_error.startswith("SmtpRefused")


def test_a_dead_smtp_server_never_fails_the_save_and_is_retried(client, demo, db, smtp) -> None:
    port = free_port()
    smtp.configure(port)  # nothing listens there
    login(client, "demo-paedagog")
    response = put_record(client, "reflection", None, anonymous(), unit_id=unit_named(db, INSTITUTION).id)
    assert response.status_code == 201
    stored = db.exec(select(OutgoingEmail)).one()
    assert stored.sent_at is None and stored.attempts == 1
    assert stored.last_error.startswith("ConnectionRefusedError")
    assert stored.next_attempt_at > datetime.now(UTC)

    inbox = smtp(port=port)
    report = outbox.send_pending_emails(db, get_settings())
    assert report.sent == [] and inbox.envelopes == []  # not due yet: the pause is respected
    later = datetime.now(UTC) + timedelta(minutes=2)
    report = outbox.send_pending_emails(db, get_settings(), now=later)
    assert report.sent == [stored.id] and len(inbox.envelopes) == 1
    assert outbox.send_pending_emails(db, get_settings(), now=later + timedelta(hours=1)).sent == []
    assert len(inbox.envelopes) == 1


def test_a_refused_recipient_does_not_hold_up_the_others(client, demo, db, smtp) -> None:
    colleague = add_user(db, "leder-to", "leader", INSTITUTION)
    colleague.email = "leder-to@demo-kommune.example"
    db.add(colleague)
    db.commit()
    inbox = smtp(Inbox(refuse=LEADER_ADDRESS))
    login(client, "demo-paedagog")
    put_record(client, "reflection", None, anonymous(), unit_id=unit_named(db, INSTITUTION).id)
    assert [e.rcpt_tos for e in inbox.envelopes] == [["leder-to@demo-kommune.example"]]
    db.expire_all()
    rows = {e.to_address: e for e in db.exec(select(OutgoingEmail))}
    assert rows["leder-to@demo-kommune.example"].sent_at is not None
    refused = rows[LEADER_ADDRESS]
    assert refused.sent_at is None and refused.attempts == 1
    assert refused.last_error == "SMTPRecipientsRefused"


def test_a_claimed_email_is_not_sent_by_a_second_sender(client, demo, db, smtp) -> None:
    port = free_port()
    smtp.configure(port)  # nothing listens yet: the save's own attempt fails
    login(client, "demo-paedagog")
    put_record(client, "reflection", None, anonymous(), unit_id=unit_named(db, INSTITUTION).id)
    stored = db.exec(select(OutgoingEmail)).one()
    later = datetime.now(UTC) + timedelta(minutes=5)
    stored.claimed_until = later + timedelta(minutes=1)  # another app instance is sending it
    db.add(stored)
    db.commit()
    inbox = smtp(port=port)
    assert outbox.send_pending_emails(db, get_settings(), now=later).sent == []
    assert outbox.send_pending_emails(db, get_settings(), now=later + timedelta(minutes=2)).sent == [
        stored.id
    ]
    assert len(inbox.envelopes) == 1


def test_retry_pauses_grow_and_a_hopeless_email_becomes_a_task(client, demo, db, smtp) -> None:
    assert [outbox.retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert outbox.retry_delay(30) == timedelta(hours=6)
    smtp.configure(free_port())
    login(client, "demo-paedagog")
    record = put_record(
        client, "reflection", None, anonymous(), unit_id=unit_named(db, INSTITUTION).id
    ).json()
    stored = db.exec(select(OutgoingEmail)).one()
    stored.attempts = outbox.MAX_ATTEMPTS - 1
    db.add(stored)
    db.commit()
    outbox.send_pending_emails(db, get_settings(), now=datetime.now(UTC) + timedelta(days=1))
    db.expire_all()
    stored = db.exec(select(OutgoingEmail)).one()
    assert stored.failed_at is not None and stored.sent_at is None
    [task] = db.exec(select(Task).where(Task.kind == "reflection_minutes")).all()
    assert task.assignee_id == user_named(db, "demo-leder").id and task.record_id == record["id"]
    assert task.due_on == today()


def test_without_smtp_settings_nothing_is_queued_and_the_sender_does_nothing(client, demo, db) -> None:
    login(client, "demo-paedagog")
    put_record(client, "reflection", None, anonymous(), unit_id=unit_named(db, INSTITUTION).id)
    assert db.exec(select(func.count()).select_from(OutgoingEmail)).one() == 0
    assert outbox.send_pending_emails(db, get_settings()).skipped == "SMTP is not configured"


def test_a_malformed_address_fails_alone_and_injects_no_header(app_env, db, smtp) -> None:
    inbox = smtp()
    outbox.queue_email(db, key="test:bad", to="a@b.example\nBcc: x@evil.example", subject="S", body="B")
    outbox.queue_email(db, key="test:good", to="leder@demo-kommune.example", subject="S", body="B")
    db.commit()
    report = outbox.send_pending_emails(db, get_settings())
    assert len(report.sent) == 1 and len(report.failed) == 1
    assert [e.rcpt_tos for e in inbox.envelopes] == [["leder@demo-kommune.example"]]
    bad = db.exec(select(OutgoingEmail).where(OutgoingEmail.key == "test:bad")).one()
    assert bad.sent_at is None and bad.last_error == "ValueError"
