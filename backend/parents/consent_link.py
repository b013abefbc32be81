"""The consent and "What we agreed" pages behind a link (issue 15), one function per page for
`backend/web/pages/parent_consent.py` — beside `backend/parents/link.py`, whose link checks
(404 unknown, 410 closed, the session scoped to the link, its CSRF token) they reuse."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.domain import parents as rules
from backend.parents.consent import Withdrawal, confirm_read, decide_consent, withdraw_consent, withdrawal_of
from backend.parents.link import LinkPage, _closed, _code_page, _language, _task_page
from backend.parents.service import invitation_by_token, parent_csrf_ok, parent_session


def _signed_in(db: Session, audit: AuditTrail, token: str, session_value: str | None, part: str):
    """(invitation, page): the invitation when this browser has the link's session for `part`,
    else the page to show instead (404/410, or the code form)."""
    invitation = invitation_by_token(db, token)
    if closed := _closed(db, audit, invitation):
        return None, closed
    assert invitation is not None
    if parent_session(db, token, session_value) is None:
        return None, _code_page(invitation, error="signed_out")
    if invitation.part != part:
        return None, LinkPage(404)
    return invitation, None


def send_decision(
    db: Session,
    audit: AuditTrail,
    base_url: str,
    token: str,
    session_value: str | None,
    csrf: str | None,
    choice: str,
    typed_name: str,
    shown_version: str,
) -> LinkPage:
    """`POST /p/<token>/consent`: give or refuse on the version shown; on success the link is used
    and the page says what was recorded (and, for a consent given, how to withdraw it)."""
    invitation, page = _signed_in(db, audit, token, session_value, "consent")
    if invitation is None:
        return page
    values = {"typed_name": typed_name[:200], "choice": choice[:10]}
    if not parent_csrf_ok(invitation, csrf):
        return _task_page(db, audit, invitation, error="expired_form", values=values)
    language = _language(invitation)
    result = decide_consent(db, audit, invitation, base_url, choice, typed_name, shown_version)
    if result.changed:
        return _task_page(db, audit, invitation, error="changed", values=values)
    if not result.ok:
        if result.errors.get("choice") == "not_here":
            return LinkPage(404)
        return _task_page(db, audit, invitation, errors=result.errors, values=values)
    details = {"decision": result.state, "withdraw_url": result.withdraw_url, "emailed": result.emailed}
    return LinkPage(200, rules.STATE_USED, language, submitted=True, details=details)


def send_read(
    db: Session,
    audit: AuditTrail,
    token: str,
    session_value: str | None,
    csrf: str | None,
    shown_version: str,
) -> LinkPage:
    """`POST /p/<token>/read`: the parent confirms they have read the shared agreements."""
    invitation, page = _signed_in(db, audit, token, session_value, "agreements")
    if invitation is None:
        return page
    if not parent_csrf_ok(invitation, csrf):
        return _task_page(db, audit, invitation, error="expired_form")
    language = _language(invitation)
    if not confirm_read(db, audit, invitation, shown_version):
        return LinkPage(404)
    return LinkPage(200, rules.STATE_USED, language, submitted=True, details={"decision": "read"})


@dataclass
class WithdrawPage:
    """404 (unknown link), or the withdrawal page: `withdrawal.state` open/done/closed."""

    status: int
    withdrawal: Withdrawal | None = None
    error: str = ""


def open_withdrawal(db: Session, audit: AuditTrail, token: str) -> WithdrawPage:
    """`GET /p/withdraw/<token>`: what the consent was about and a button to withdraw it (the
    read is audited, with the guardian)."""
    found = withdrawal_of(db, token)
    if found is None:
        return WithdrawPage(404)
    link = found.link
    audit.add(
        "parent.withdraw_read",
        "parent_invitation",
        link.invitation_id,
        link.child_id,
        guardian_id=link.guardian_id,
        consent_id=link.consent_record_id,
    )
    return WithdrawPage(200, found)


def send_withdrawal(db: Session, audit: AuditTrail, base_url: str, token: str, csrf_ok: bool) -> WithdrawPage:
    """`POST /p/withdraw/<token>`: withdraw (from now on)."""
    if not csrf_ok:
        found = withdrawal_of(db, token)
        return WithdrawPage(403, found, error="expired_form") if found is not None else WithdrawPage(404)
    done = withdraw_consent(db, audit, base_url, token)
    return WithdrawPage(200, done) if done is not None else WithdrawPage(404)
