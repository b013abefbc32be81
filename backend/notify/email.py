"""E-mail: queued in the writer's transaction, sent later over SMTP with retries.

- `queue_email` adds a row to `outgoing_email` in the caller's transaction: the e-mail exists
  exactly when the write that caused it was committed, and a dead SMTP server never fails a save.
- `send_pending_emails(db, settings)` sends what is due (the scheduler and `opspor reminders run`
  call it; routes that queued something call it after their commit through `send_after_response`).
  Each row is claimed first, so several app instances never send the same e-mail twice. STARTTLS
  is used whenever the server offers it; a password is never sent over an unencrypted connection
  to another host. A failure is retried with growing pauses; after `MAX_ATTEMPTS` the row is
  marked failed and `on_give_up` lets the cause leave an in-app task instead.
- Nothing here logs a message body or subject; log lines name the row id and the error class.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from sqlalchemy import Engine, or_, update
from sqlmodel import Session, select
from starlette.background import BackgroundTask
from starlette.responses import Response

from backend.config import Settings
from backend.db import utcnow
from backend.notify.models import OutgoingEmail

log = logging.getLogger("opspor.email")

SMTP_TIMEOUT_SECONDS = 15
CLAIM_FOR = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
MAX_ATTEMPTS = 16
BATCH = 50

#: Set in `db.info` when an e-mail was queued in the session's transaction.
QUEUED_FLAG = "opspor_email_queued"

#: Called (in the sender's transaction) for an e-mail that will not be retried any more.
GiveUpHook = Callable[[Session, OutgoingEmail], None]
GIVE_UP_HOOKS: dict[str, GiveUpHook] = {}


def register_give_up_hook(key_prefix: str, hook: GiveUpHook) -> None:
    """Called at start (`backend.startup`): e-mails keyed `<key_prefix>:…` that are given up
    call `hook` in the sender's transaction."""
    GIVE_UP_HOOKS[key_prefix] = hook


class SmtpRefused(Exception):
    """The server's terms cannot be met safely (e.g. a password without encryption)."""


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: str = ""


def queue_email(
    db: Session,
    *,
    key: str,
    to: str,
    subject: str,
    body: str,
    user_id: str | None = None,
    record_id: str | None = None,
) -> OutgoingEmail:
    """Queue one e-mail in the caller's transaction; the same key is queued once."""
    existing = db.exec(select(OutgoingEmail).where(OutgoingEmail.key == key)).first()
    if existing is not None:
        return existing
    email = OutgoingEmail(
        key=key, to_address=to, subject=subject, body=body, user_id=user_id, record_id=record_id
    )
    db.add(email)
    db.info[QUEUED_FLAG] = True
    return email


def smtp_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host.strip())


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the 1st, 2nd, 3rd … failure, at most six hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def send_pending_emails(db: Session, settings: Settings, now: datetime | None = None) -> SendReport:
    """Send every due e-mail. Uses and commits `db` (call it outside a request's transaction)."""
    report = SendReport()
    if not smtp_configured(settings):
        report.skipped = "SMTP is not configured"
        return report
    now = now or utcnow()
    claimed = _claim_due(db, now)
    if not claimed:
        return report
    try:
        connection = _connect(settings)
    except (OSError, smtplib.SMTPException, SmtpRefused) as error:
        for email in claimed:
            _failed(db, email, error, now, report)
        db.commit()
        return report
    try:
        for index, email in enumerate(claimed):
            try:
                connection.send_message(_message(email, settings, now))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException, ValueError) as error:
                _failed(db, email, error, now, report)  # this message only (ValueError: a bad header)
            except (OSError, smtplib.SMTPException) as error:
                # The connection is gone: this and the rest are retried later.
                for rest in claimed[index:]:
                    _failed(db, rest, error, now, report)
                db.commit()
                break
            else:
                email.sent_at, email.claimed_until, email.last_error = utcnow(), None, None
                db.add(email)
                report.sent.append(email.id)
                log.info("e-mail %s sent", email.id)
            db.commit()
    finally:
        _quit(connection)
    return report


def _claim_due(db: Session, now: datetime) -> list[OutgoingEmail]:
    due = db.exec(
        select(OutgoingEmail.id)
        .where(
            OutgoingEmail.sent_at.is_(None),
            OutgoingEmail.failed_at.is_(None),
            OutgoingEmail.next_attempt_at <= now,
            or_(OutgoingEmail.claimed_until.is_(None), OutgoingEmail.claimed_until < now),
        )
        .order_by(OutgoingEmail.created_at)
        .limit(BATCH)
    ).all()
    mine = []
    for email_id in due:
        result = db.execute(
            update(OutgoingEmail)
            .where(
                OutgoingEmail.id == email_id,
                OutgoingEmail.sent_at.is_(None),
                or_(OutgoingEmail.claimed_until.is_(None), OutgoingEmail.claimed_until < now),
            )
            .values(claimed_until=now + CLAIM_FOR)
        )
        if result.rowcount == 1:
            mine.append(email_id)
    db.commit()
    if not mine:
        return []
    rows = db.exec(select(OutgoingEmail).where(OutgoingEmail.id.in_(mine)))
    return sorted(rows, key=lambda e: e.created_at)


def _failed(db: Session, email: OutgoingEmail, error: Exception, now: datetime, report: SendReport) -> None:
    email.attempts += 1
    email.claimed_until = None
    email.last_error = _describe(error)
    email.next_attempt_at = now + retry_delay(email.attempts)
    if email.attempts >= MAX_ATTEMPTS:
        email.failed_at = now
        hook = GIVE_UP_HOOKS.get(email.key.split(":", 1)[0])
        if hook is not None:
            hook(db, email)
    db.add(email)
    report.failed.append(email.id)
    log.warning("e-mail %s not sent (attempt %s): %s", email.id, email.attempts, email.last_error)


def _describe(error: Exception) -> str:
    """The error's class and SMTP code: enough to act on, nothing from the message."""
    code = getattr(error, "smtp_code", None)
    text = type(error).__name__ + (f" {code}" if code else "")
    if isinstance(error, SmtpRefused | OSError) and not isinstance(error, smtplib.SMTPException):
        text += f": {error}"
    return text[:300]


def _local_name(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port, name = settings.smtp_host.strip(), settings.smtp_port, _local_name(settings)
    context = ssl.create_default_context()
    if port == 465:  # implicit TLS ("SMTPS")
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, local_hostname=name, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        connection = smtplib.SMTP(host, port, local_hostname=name, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        connection.ehlo()
        encrypted = port == 465
        if not encrypted and connection.has_extn("starttls"):
            connection.starttls(context=context)
            connection.ehlo()
            encrypted = True
        if settings.smtp_user:
            if not encrypted and not _is_loopback(host):
                raise SmtpRefused("the server offers no STARTTLS; the password is not sent in clear")
            connection.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        _quit(connection)
        raise
    return connection


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _message(email: OutgoingEmail, settings: Settings, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=_local_name(settings))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body)
    return message


def send_after_response(db: Session, settings: Settings, response: Response) -> Response:
    """When this request queued an e-mail, send it once the response (and so the commit that
    stored it) is done. A failure there only leaves the e-mail queued for the next run."""
    if db.info.pop(QUEUED_FLAG, False) and smtp_configured(settings) and response.background is None:
        response.background = BackgroundTask(send_pending_now)
    return response


def send_pending_now() -> None:
    """Send what is due with a fresh session (a background task after a response)."""
    from backend.config import get_settings
    from backend.db import new_session

    try:
        with new_session() as db:
            send_pending_emails(db, get_settings())
    except Exception:
        log.exception("sending queued e-mails failed; they stay queued")


def run_email_job(engine: Engine, now: datetime) -> SendReport:
    """The scheduler's e-mail job: its own session; sends what is due."""
    from backend.config import get_settings
    from backend.db import new_session

    with new_session(engine) as db:
        return send_pending_emails(db, get_settings(), now)
