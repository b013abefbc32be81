"""Parent invitations (issue 15, contract "Parents"): invite, revoke, open a link, check the code,
a parent's session scoped to one invitation, the parents' answers.

Staff-side functions take the request's actor (its scope decides through the one access policy);
parent-side functions take the database, the audit trail and the link's token. Tokens, codes and
session values are never stored (only their SHA-256) and never logged or audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth import csrf
from backend.auth.policy import is_id
from backend.db import utcnow
from backend.domain import parent_follow_up as follow
from backend.domain import parents as rules
from backend.domain.dates import today
from backend.domain.messages import N_
from backend.parents.models import ParentInvitation
from backend.people.models import Child, Guardian
from backend.records.access import can_change, visible_record
from backend.records.models import Record
from backend.records.rules import Actor
from backend.records.service import store_parents_words
from backend.records.tasks import abuse_path_open, close_tasks

#: Languages a parent can choose on their pages.
PARENT_LANGUAGES = ("da", "en", "ar")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _code_hash(token: str, code: str) -> str:
    return _sha256(f"{token}:{code}")


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/p/{token}"


# --- The professional's side ---------------------------------------------------------------------


@dataclass
class InviteResult:
    """201 with the invitation, its link and code (shown once), or 404/403/409/422 with errors."""

    status: int
    invitation: ParentInvitation | None = None
    url: str = ""
    code: str = ""
    detail: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        assert self.invitation is not None
        return {
            "id": self.invitation.id,
            "url": self.url,
            "code": self.code,
            "expires_at": self.invitation.expires_at.isoformat(),
            "record_id": self.invitation.record_id,
            "part": self.invitation.part,
            "guardian_id": self.invitation.guardian_id,
        }


def _field_error(name: str, message: str) -> InviteResult:
    return InviteResult(
        422, detail=N_("Invitationen kunne ikke laves."), errors=[{"field": name, "message": message}]
    )


def invite_parent(actor: Actor, base_url: str, body: Any) -> InviteResult:
    """`POST /api/parent-invitations`: a professional who may change the record invites one of the
    child's guardians to one task. Refused while the child's concern is on the abuse path."""
    if not isinstance(body, dict):
        return InviteResult(
            422,
            detail=N_("Skal være et objekt."),
            errors=[{"field": "body", "message": N_("Skal være et objekt.")}],
        )
    record_id, part, guardian_id = body.get("record_id"), body.get("part"), body.get("guardian_id")
    if not isinstance(record_id, str) or not is_id(record_id):
        return _field_error("record_id", N_("Vælg den registrering, forældrene skal inviteres til."))
    db = actor.db
    record = visible_record(db, actor.scope, record_id, today())
    if record is None or record.child_id is None:
        return InviteResult(404, detail=N_("Registreringen findes ikke."))
    if not can_change(actor.scope, record):
        return InviteResult(403, detail=N_("Du kan læse, men ikke rette denne registrering."))
    if not isinstance(part, str) or part not in rules.PARTS:
        return _field_error("part", N_("Vælg, hvad forældrene skal inviteres til."))
    if not rules.part_fits(part, record.type):
        return _field_error("part", N_("Opgaven passer ikke til denne type registrering."))
    guardian = db.get(Guardian, guardian_id) if isinstance(guardian_id, str) and is_id(guardian_id) else None
    if guardian is None or guardian.child_id != record.child_id:
        return _field_error("guardian_id", N_("Vælg en af barnets forældre eller værger."))
    if abuse_path_open(db, record.child_id):
        return InviteResult(
            409,
            detail=N_(
                "Der er en åben bekymring om vold eller overgreb. Forældrene kan ikke inviteres, "
                "før lederen har vurderet den."
            ),
        )
    token = secrets.token_urlsafe(rules.TOKEN_BYTES)
    code = f"{secrets.randbelow(10**rules.CODE_DIGITS):0{rules.CODE_DIGITS}d}"
    now = utcnow()
    invitation = ParentInvitation(
        record_id=record.id,
        child_id=record.child_id,
        unit_id=record.unit_id,
        guardian_id=guardian.id,
        part=part,
        token_hash=_sha256(token),
        code_hash=_code_hash(token, code),
        created_by_id=actor.scope.user_id,
        created_at=now,
        expires_at=rules.expires_at(now),
    )
    db.add(invitation)
    db.flush()
    actor.audit.add(
        "parent_invitation.create",
        "parent_invitation",
        invitation.id,
        record.child_id,
        record_id=record.id,
        part=part,
        guardian_id=guardian.id,
    )
    return InviteResult(201, invitation, url=link_url(base_url, token), code=code)


def _own_invitation(actor: Actor, invitation_id: str) -> ParentInvitation | None:
    """The invitation when the caller may change its record (else None → 404)."""
    if not is_id(invitation_id):
        return None
    invitation = actor.db.get(ParentInvitation, invitation_id)
    if invitation is None:
        return None
    record = visible_record(actor.db, actor.scope, invitation.record_id, today())
    if record is None or not can_change(actor.scope, record):
        return None
    return invitation


def revoke_invitation(actor: Actor, invitation_id: str) -> bool:
    """`DELETE /api/parent-invitations/{id}`: the link stops working at once (its session too).
    False when the caller may not see it (→ 404). Revoking twice is harmless."""
    invitation = _own_invitation(actor, invitation_id)
    if invitation is None:
        return False
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        invitation.revoked_by_id = actor.scope.user_id
        follow_up = follow.follow_up_key(invitation.id)
        close_tasks(actor.db, closed_by=actor.scope.user_id, status="cancelled", key=follow_up)
        invitation.session_hash = invitation.session_csrf = None
        actor.db.add(invitation)
        actor.audit.add(
            "parent_invitation.revoke",
            "parent_invitation",
            invitation.id,
            invitation.child_id,
            record_id=invitation.record_id,
            part=invitation.part,
            guardian_id=invitation.guardian_id,
        )
    return True


# --- The parent's side ---------------------------------------------------------------------------


def state_of(invitation: ParentInvitation, now: datetime | None = None) -> str:
    return rules.invitation_state(
        now=now or utcnow(),
        expires=invitation.expires_at,
        used_at=invitation.used_at,
        revoked_at=invitation.revoked_at,
        wrong_codes=invitation.wrong_codes,
    )


def invitation_by_token(db: Session, token: str, *, lock: bool = False) -> ParentInvitation | None:
    """The invitation a link names (any state), or None for an unknown or malformed token.
    `lock` holds its row until the transaction ends (a code or an answer being checked), so two
    requests at once can neither both use the link nor get more than five tries."""
    if not token or len(token) > 100:
        return None
    query = select(ParentInvitation).where(ParentInvitation.token_hash == _sha256(token))
    return db.exec(query.with_for_update() if lock else query).first()


def _parent_audit(audit: AuditTrail, invitation: ParentInvitation, action: str, **detail: object) -> None:
    audit.add(
        action,
        "parent_invitation",
        invitation.id,
        invitation.child_id,
        guardian_id=invitation.guardian_id,
        record_id=invitation.record_id,
        part=invitation.part,
        **detail,
    )


@dataclass
class CodeResult:
    """`ok` with a new session value for the cookie, or the state/error to show."""

    ok: bool
    state: str
    session_value: str = ""
    error: str = ""
    codes_left: int = 0


def check_code(
    db: Session, audit: AuditTrail, invitation: ParentInvitation, token: str, typed: str
) -> CodeResult:
    """The parent types the code: the right one opens a session scoped to this invitation; each
    wrong one counts, and the fifth locks the link."""
    state = state_of(invitation)
    if state != rules.STATE_OPEN:
        return CodeResult(False, state)
    code = rules.normalised_code(typed or "")
    right = rules.is_code_shaped(code) and hmac.compare_digest(_code_hash(token, code), invitation.code_hash)
    if not right:
        invitation.wrong_codes += 1
        db.add(invitation)
        left = rules.codes_left(invitation.wrong_codes)
        _parent_audit(audit, invitation, "parent.code_wrong", codes_left=left)
        if left == 0:
            _parent_audit(audit, invitation, "parent.link_locked")
            return CodeResult(False, rules.STATE_LOCKED)
        return CodeResult(False, rules.STATE_OPEN, error="wrong_code", codes_left=left)
    session_value = open_parent_session(db, audit, invitation, "code")
    return CodeResult(True, rules.STATE_OPEN, session_value=session_value)


def open_parent_session(db: Session, audit: AuditTrail, invitation: ParentInvitation, method: str) -> str:
    """A new session scoped to this invitation (after the right code, or a citizen sign-in
    matched to the guardian); returns the cookie's value. `method` is audited ("code", "mitid")."""
    session_value = secrets.token_urlsafe(32)
    invitation.session_hash = _sha256(session_value)
    invitation.session_csrf = secrets.token_urlsafe(32)
    invitation.session_expires_at = utcnow() + timedelta(minutes=rules.SESSION_MINUTES)
    db.add(invitation)
    _parent_audit(audit, invitation, "parent.signin", method=method)
    return session_value


def parent_session(db: Session, token: str, session_value: str | None) -> ParentInvitation | None:
    """The invitation whose open session this cookie is, for this very link (else None → 404)."""
    if not session_value:
        return None
    invitation = invitation_by_token(db, token)
    if invitation is None or invitation.session_hash is None or invitation.session_expires_at is None:
        return None
    if not hmac.compare_digest(invitation.session_hash, _sha256(session_value)):
        return None
    if state_of(invitation) != rules.STATE_OPEN or utcnow() >= invitation.session_expires_at:
        return None
    return invitation


def parent_csrf_ok(invitation: ParentInvitation, submitted: str | None) -> bool:
    return invitation.session_csrf is not None and csrf.token_is_valid(invitation.session_csrf, submitted)


def choose_language(db: Session, audit: AuditTrail, invitation: ParentInvitation, language: str) -> bool:
    """The parent's language, remembered on the link."""
    if language not in PARENT_LANGUAGES:
        return False
    if invitation.language != language:
        invitation.language = language
        db.add(invitation)
        _parent_audit(audit, invitation, "parent.language", language=language)
    return True


@dataclass
class ParentTask:
    """What a parent's page shows: the child's first name, the task and what was written so far."""

    invitation: ParentInvitation
    child_first_name: str
    guardian_name: str
    record: Record


def parent_task(db: Session, audit: AuditTrail, invitation: ParentInvitation) -> ParentTask | None:
    """The task of an invitation with an open session (the read is audited)."""
    record = db.get(Record, invitation.record_id)
    child = db.get(Child, invitation.child_id)
    guardian = db.get(Guardian, invitation.guardian_id)
    if record is None or child is None or guardian is None or guardian.child_id != child.id:
        return None
    _parent_audit(audit, invitation, "parent.read")
    first_name = child.name.split()[0] if child.name.strip() else ""
    return ParentTask(invitation, first_name, guardian.name, record)


@dataclass
class SubmitResult:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)


def submit_answers(
    db: Session, audit: AuditTrail, invitation: ParentInvitation, values: dict[str, Any]
) -> SubmitResult:
    """The parents' part (or their preparation for the meeting) saved on the record as their own
    words, attributed to the guardian; the link is used afterwards."""
    if invitation.part not in rules.FIELDS_OF_PART or state_of(invitation) != rules.STATE_OPEN:
        return SubmitResult(False)
    answers, errors = rules.clean_answers(invitation.part, values)
    if errors:
        return SubmitResult(False, errors, {k: str(v) for k, v in values.items() if isinstance(v, str)})
    record = db.exec(select(Record).where(Record.id == invitation.record_id).with_for_update()).first()
    guardian = db.get(Guardian, invitation.guardian_id)
    if record is None or guardian is None:
        return SubmitResult(False)
    now = utcnow()
    entry = {
        "part": invitation.part,
        "guardian_id": guardian.id,
        "guardian_name": guardian.name,
        "invitation_id": invitation.id,
        "submitted_at": now.isoformat(),
        "answers": answers,
    }
    store_parents_words(db, record, entry, invitation.created_by_id)
    invitation.used_at = now
    close_tasks(db, closed_by=None, status="done", key=follow.follow_up_key(invitation.id))
    invitation.session_hash = invitation.session_csrf = None
    db.add(invitation)
    _parent_audit(audit, invitation, "parent.submit", version=record.version, fields=sorted(answers))
    return SubmitResult(True, answers=answers)
