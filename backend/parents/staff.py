"""The professional's invite screen (issue 15): from a record, choose a guardian and a task, then
show the link as a QR code and the code in large digits, e-mail the link, revoke.

The link's token and the code exist only in the answer that created them (and, for the e-mail,
in the outgoing e-mail): the screen posts the token back to e-mail it, and the server checks it
against the stored hash. The code is never e-mailed."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import segno
from sqlmodel import select

from backend.db import utcnow
from backend.domain import parents as rules
from backend.domain.dates import today
from backend.i18n import N_
from backend.notify.email import queue_email
from backend.parents.models import ParentInvitation
from backend.parents.service import InviteResult, invite_parent, link_url, revoke_invitation, state_of
from backend.people.models import Child, Guardian
from backend.people.service import guardians_of
from backend.records.access import can_change, visible_record
from backend.records.models import Record
from backend.records.rules import Actor
from backend.records.tasks import abuse_path_open

#: The tasks as the professional reads them.
PART_LABELS: dict[str, str] = {
    "transition_parents_part": N_("Forældrenes del af overgangsbeskrivelsen"),
    "meeting_preparation": N_("Forberedelse til dialogmødet"),
    "consent": N_("Samtykke"),
    "agreements": N_("Det aftalte vi (aftalerne fra mødet)"),
}
#: An invitation's state as the professional reads it.
STATE_LABELS: dict[str, str] = {
    rules.STATE_OPEN: N_("Venter på svar"),
    rules.STATE_USED: N_("Besvaret"),
    rules.STATE_REVOKED: N_("Trukket tilbage"),
    rules.STATE_EXPIRED: N_("Udløbet"),
    rules.STATE_LOCKED: N_("Låst efter fem forkerte koder"),
    rules.STATE_HELD: N_("Sat i bero: bekymring om vold eller overgreb"),
}


@dataclass
class InvitationRow:
    invitation: ParentInvitation
    guardian_name: str
    state: str


@dataclass
class InviteScreen:
    record: Record
    child: Child
    guardians: list[Guardian]
    parts: list[str]
    rows: list[InvitationRow]
    held: bool
    created: InviteResult | None = None
    qr_svg: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)
    message: str = ""
    chosen: dict[str, str] = field(default_factory=dict)

    @property
    def field_errors(self) -> dict[str, str]:
        return {e["field"]: e["message"] for e in self.errors}


def _screen(actor: Actor, record_id: str) -> InviteScreen | None:
    db = actor.db
    record = visible_record(db, actor.scope, record_id, today())
    if record is None or record.child_id is None or not can_change(actor.scope, record):
        return None
    parts = [part for part in rules.PARTS if rules.part_fits(part, record.type)]
    if not parts:
        return None
    child = db.get(Child, record.child_id)
    if child is None:
        return None
    guardians = guardians_of(db, child.id)
    names = {g.id: g.name for g in guardians}
    invitations = db.exec(
        select(ParentInvitation)
        .where(ParentInvitation.record_id == record.id)
        .order_by(ParentInvitation.created_at.desc())
    )
    held = abuse_path_open(db, child.id)
    rows = [
        InvitationRow(i, names.get(i.guardian_id, ""), _shown_state(state_of(i), held)) for i in invitations
    ]
    return InviteScreen(record, child, guardians, parts, rows, held)


def _shown_state(state: str, held: bool) -> str:
    return rules.STATE_HELD if held and state == rules.STATE_OPEN else state


def invite_screen(actor: Actor, record_id: str) -> InviteScreen | None:
    """`GET /records/<id>/parents`: the screen (None → 404); the read is audited."""
    screen = _screen(actor, record_id)
    if screen is not None:
        actor.audit.add("parent_invitation.list", screen.record.type, screen.record.id, screen.child.id)
    return screen


def qr_svg(url: str) -> str:
    """The link as a QR code: an SVG data URI for an <img>, drawn on the server (no JavaScript)."""
    return segno.make(url, error="m").svg_data_uri(scale=6, border=2, dark="#10303a")


def invite_from_screen(
    actor: Actor, base_url: str, record_id: str, form: dict[str, Any]
) -> InviteScreen | None:
    """`POST /records/<id>/parents`: make the invitation and show its QR code and code once."""
    screen = _screen(actor, record_id)
    if screen is None:
        return None
    body = {"record_id": screen.record.id, "part": form.get("part"), "guardian_id": form.get("guardian_id")}
    result = invite_parent(actor, base_url, body)
    screen.chosen = {k: v for k, v in body.items() if isinstance(v, str)}
    if result.status != 201:
        screen.errors = result.errors
        screen.message = result.detail
        return screen
    fresh = _screen(actor, record_id)
    assert fresh is not None
    fresh.created, fresh.qr_svg = result, qr_svg(result.url)
    return fresh


@dataclass
class EmailResult:
    status: int  # 200 queued, 404 unknown, 409 the link no longer opens, 422 no address / wrong token
    reason: str = ""  # queued | no_token | closed | no_address


def email_link(actor: Actor, base_url: str, record_id: str, invitation_id: str, token: str) -> EmailResult:
    """E-mail the link (never the code) to the guardian through the outbox."""
    screen = _screen(actor, record_id)
    row = next((r for r in screen.rows if r.invitation.id == invitation_id), None) if screen else None
    if screen is None or row is None:
        return EmailResult(404)
    invitation = row.invitation
    if not token or not hmac.compare_digest(
        hashlib.sha256(token.encode()).hexdigest(), invitation.token_hash
    ):
        return EmailResult(422, "no_token")
    if row.state != rules.STATE_OPEN:
        return EmailResult(409, "closed")
    guardian = actor.db.get(Guardian, invitation.guardian_id)
    if guardian is None or "@" not in (guardian.email or ""):
        return EmailResult(422, "no_address")
    first_name = screen.child.name.split()[0] if screen.child.name.strip() else ""
    queue_email(
        actor.db,
        key=f"parent_invitation:{invitation.id}",
        to=guardian.email,
        subject=rules.email_subject(),
        body=rules.email_body(guardian.name, first_name, link_url(base_url, token), invitation.expires_at),
        record_id=invitation.record_id,
    )
    invitation.emailed_at = utcnow()
    actor.db.add(invitation)
    actor.audit.add(
        "parent_invitation.email",
        "parent_invitation",
        invitation.id,
        invitation.child_id,
        guardian_id=guardian.id,
    )
    return EmailResult(200, "queued")


def revoke_from_screen(actor: Actor, record_id: str, invitation_id: str) -> bool:
    """Revoke an invitation of this record (False → 404)."""
    screen = _screen(actor, record_id)
    if screen is None or not any(r.invitation.id == invitation_id for r in screen.rows):
        return False
    return revoke_invitation(actor, invitation_id)
