"""The parent's pages behind a link (issue 15), one function per page for `backend/web/pages/parents.py`.

A link answers 404 when unknown and 410 when revoked, used, expired or locked. Typing the right
code opens a session scoped to exactly this invitation (its own cookie, path `/p/<token>`, and
its own CSRF token); nothing else is reachable with it. Every step is an audit event with the
guardian (never the token, the code or what the parents wrote).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.domain import parents as rules
from backend.parents.consent import part_details
from backend.parents.models import ParentInvitation
from backend.parents.service import (
    PARENT_LANGUAGES,
    ParentTask,
    check_code,
    choose_language,
    invitation_by_token,
    parent_csrf_ok,
    parent_session,
    parent_task,
    state_of,
    submit_answers,
)
from backend.records.tasks import abuse_path_open


@dataclass
class LinkPage:
    """What to show for a link: `status` 404 (unknown), 410 (`state` says why), or 200 — the code
    form (`task` None) or the task itself (`task`, with the session's CSRF token)."""

    status: int
    state: str = ""
    language: str = "da"
    task: ParentTask | None = None
    csrf: str = ""
    error: str = ""
    codes_left: int = rules.MAX_WRONG_CODES
    session_value: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    submitted: bool = False
    #: What a consent or agreements page shows (`backend/parents/consent.py: part_details`), and
    #: after a decision what it was (`decision`: given/refused/read, `withdraw_url`).
    details: dict[str, Any] = field(default_factory=dict)


def _language(invitation: ParentInvitation | None) -> str:
    language = invitation.language if invitation is not None else "da"
    return language if language in PARENT_LANGUAGES else "da"


def _closed(db: Session, audit: AuditTrail, invitation: ParentInvitation | None) -> LinkPage | None:
    """404 for an unknown link, 410 for one that no longer opens, None for an open one.

    While the child's concern is on the abuse path nothing is offered to parents (domain §6): the
    link then answers exactly like an unknown one, so the page tells the parent nothing."""
    if invitation is None:
        return LinkPage(404)
    state = state_of(invitation)
    if state != rules.STATE_OPEN:
        return LinkPage(410, state, _language(invitation))
    if abuse_path_open(db, invitation.child_id):
        audit.add(
            "parent.held",
            "parent_invitation",
            invitation.id,
            invitation.child_id,
            guardian_id=invitation.guardian_id,
        )
        return LinkPage(404)
    return None


def _task_page(db: Session, audit: AuditTrail, invitation: ParentInvitation, **more: Any) -> LinkPage:
    task = parent_task(db, audit, invitation)
    details = part_details(db, invitation) if task is not None else None
    if task is None or details is None:
        return LinkPage(404)
    return LinkPage(
        200,
        rules.STATE_OPEN,
        _language(invitation),
        task,
        invitation.session_csrf or "",
        details=details,
        **more,
    )


def _code_page(invitation: ParentInvitation, **more: Any) -> LinkPage:
    left = rules.codes_left(invitation.wrong_codes)
    return LinkPage(200, rules.STATE_OPEN, _language(invitation), codes_left=left, **more)


def open_link(db: Session, audit: AuditTrail, token: str, session_value: str | None) -> LinkPage:
    """`GET /p/<token>`: the task when this browser has the link's session, else the code form."""
    invitation = invitation_by_token(db, token)
    if closed := _closed(db, audit, invitation):
        return closed
    assert invitation is not None
    if parent_session(db, token, session_value) is not None:
        return _task_page(db, audit, invitation)
    return _code_page(invitation)


def enter_code(
    db: Session,
    audit: AuditTrail,
    token: str,
    typed: str,
    csrf_ok: bool,
    answers: dict[str, Any] | None = None,
) -> LinkPage:
    """`POST /p/<token>/code`: the right code opens the task (and a session), a wrong one counts.
    `answers` typed before the session ran out come back with the page (never lost)."""
    kept = _texts(answers or {})
    invitation = invitation_by_token(db, token, lock=True)
    if closed := _closed(db, audit, invitation):
        return closed
    assert invitation is not None
    if not csrf_ok:
        return _code_page(invitation, error="expired_form", values=kept)
    result = check_code(db, audit, invitation, token, typed)
    if result.state != rules.STATE_OPEN:
        return LinkPage(410, result.state, _language(invitation))
    if not result.ok:
        return _code_page(invitation, error=result.error, values=kept)
    return _task_page(db, audit, invitation, session_value=result.session_value, values=kept)


def change_language(
    db: Session,
    audit: AuditTrail,
    token: str,
    session_value: str | None,
    csrf: str | None,
    pre_session_ok: bool,
    language: str,
) -> LinkPage:
    """`POST /p/<token>/language`: the parent's language, remembered on the link (before or
    after the code: the choice shows nothing about the child)."""
    invitation = invitation_by_token(db, token)
    if closed := _closed(db, audit, invitation):
        return closed
    assert invitation is not None
    signed_in = parent_session(db, token, session_value) is not None
    if not (parent_csrf_ok(invitation, csrf) if signed_in else pre_session_ok):
        return LinkPage(403, rules.STATE_OPEN, _language(invitation))
    if not choose_language(db, audit, invitation, language):
        return LinkPage(404)
    return LinkPage(303, rules.STATE_OPEN, _language(invitation))


def send_answers(
    db: Session,
    audit: AuditTrail,
    token: str,
    session_value: str | None,
    csrf: str | None,
    values: dict[str, Any],
) -> LinkPage:
    """`POST /p/<token>`: the parents' answers; on success the link is used (a thank-you page)."""
    invitation = invitation_by_token(db, token, lock=True)
    if closed := _closed(db, audit, invitation):
        return closed
    assert invitation is not None
    if parent_session(db, token, session_value) is None:
        return _code_page(invitation, error="signed_out", values=_texts(values))
    if not parent_csrf_ok(invitation, csrf):
        return _task_page(db, audit, invitation, error="expired_form", values=_texts(values))
    if invitation.part not in rules.FIELDS_OF_PART:
        return LinkPage(404)
    language = _language(invitation)
    result = submit_answers(db, audit, invitation, values)
    if not result.ok:
        return _task_page(db, audit, invitation, errors=result.errors, values=_texts(values))
    return LinkPage(200, rules.STATE_USED, language, submitted=True)


#: Every answer field of every part: only these are ever shown back.
_ANSWER_KEYS = frozenset(key for fields in rules.FIELDS_OF_PART.values() for key in fields)


def _texts(values: dict[str, Any]) -> dict[str, str]:
    """What was typed, to show it again (known fields only, bounded)."""
    return {
        k: v[: rules.FIELD_MAX * 2] for k, v in values.items() if k in _ANSWER_KEYS and isinstance(v, str)
    }
