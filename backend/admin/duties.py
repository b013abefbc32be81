"""Admin powers over accounts with separation of duties (rules: `backend/domain/admin_duties.py`).

Every account action of the admin screens goes through `perform`: on a non-admin (or on oneself)
it takes effect at once; on another admin it becomes an `AdminApproval` that a second admin
approves (`approve`) or rejects (`reject`) on /admin/approvals. Password links are e-mailed to the
person (the outbox, `backend/notify/email.py`) and never shown to the admin; a person without an
e-mail address gets no link from the screens — the operator makes one with
`opspor password-link USERNAME` (printed on the server's console only). The affected person is
e-mailed about every request and every action on their account. Everything is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from backend.admin import organisation as org
from backend.admin.base import ROLE_LABELS, AdminContext, AdminError
from backend.admin.models import AdminApproval
from backend.config import Settings
from backend.db import utcnow
from backend.domain import admin_duties as rules
from backend.domain.messages import N_
from backend.notify.email import queue_email
from backend.people.models import RoleAssignment, User, new_id

NO_EMAIL = N_(
    "Brugeren har ingen e-mailadresse, så linket kan ikke sendes. Driften kan lave et link med "
    "kommandoen »opspor password-link« på serveren."
)
INACTIVE = N_("Brugeren er deaktiveret. Genaktivér brugeren først.")
UNKNOWN_ROLE = N_("Rollen findes ikke længere.")
_ACTION_TEXT = {
    rules.TOTP_RESET: "nulstille din totrinsbekræftelse",
    rules.PASSWORD_LINK: "sende dig et nyt link til at vælge adgangskode",
    rules.ROLE_ADD: "give dig en rolle",
    rules.ROLE_REMOVE: "fjerne en af dine roller",
    rules.DEACTIVATE: "deaktivere din konto",
    rules.REACTIVATE: "genaktivere din konto",
}


@dataclass
class Outcome:
    """What `perform` did: "done" at once or "pending" a second admin; `link_sent_to` is the
    address a password link went to."""

    status: str
    approval: AdminApproval | None = None
    link_sent_to: str = ""


def password_link_url(settings: Settings, token: str) -> str:
    """The link a person opens to set a password. The token is in the fragment (`#t=`): browsers
    never send a fragment to the server, so it cannot reach an access log, a proxy's log or a
    Referer header; the page's script posts it (static/set-password.js)."""
    return f"{settings.base_url.rstrip('/')}/set-password#t={token}"


def perform(ctx: AdminContext, settings: Settings, action: str, target: User, params: dict) -> Outcome:
    """Do `action` on `target`'s account, or ask a second admin when `target` is another admin.

    Raises AdminError (Danish, naming the field) when the action cannot be done or asked for."""
    params = _checked(ctx, action, target, params)
    if rules.needs_second_admin(ctx.user.id, target.id, org.is_admin(ctx.db, target.id)):
        waiting = ctx.db.exec(
            select(AdminApproval).where(
                AdminApproval.target_id == target.id,
                AdminApproval.action == action,
                AdminApproval.status == "pending",
            )
        )
        same = next((a for a in waiting if a.params == params), None)
        if same is not None:  # asked for already: one request, one e-mail
            return Outcome("pending", same)
        approval = AdminApproval(
            municipality_id=target.municipality_id,
            action=action,
            target_id=target.id,
            requested_by_id=ctx.user.id,
            params=params,
        )
        ctx.db.add(approval)
        ctx.db.flush()
        ctx.audit.add(
            "admin_approval.request", "user", target.id, request=approval.id, action_requested=action
        )
        _tell(ctx.db, settings, target, approval.id, "requested", action, ctx.user)
        return Outcome("pending", approval)
    return _execute(ctx, settings, action, target, params, approval_id=None)


def _checked(ctx: AdminContext, action: str, target: User, params: dict) -> dict:
    """The request's parameters (ids only), checked now so that a pending request makes sense."""
    if action not in rules.ACTIONS:
        raise AdminError("Ukendt handling.")
    if action == rules.ROLE_ADD:
        if refusal := rules.grant_refusal(ctx.user.id, target.id):
            raise AdminError(refusal, "role")
        role, unit_id = params.get("role", ""), params.get("unit_id", "")
        if role not in ROLE_LABELS:
            raise AdminError(N_("Vælg en rolle."), "role")
        if role != "admin" and org.unit_of(ctx.db, target.municipality_id, unit_id) is None:
            raise AdminError(N_("Vælg den enhed, rollen gælder."), "unit_id")
        return {"role": role, "unit_id": unit_id if role != "admin" else ""}
    if action == rules.ROLE_REMOVE:
        assignment = ctx.db.get(RoleAssignment, params.get("assignment_id", ""))
        if assignment is None or assignment.user_id != target.id:
            raise AdminError(UNKNOWN_ROLE)
        return {"assignment_id": assignment.id, "role": assignment.role, "unit_id": assignment.unit_id or ""}
    if action == rules.PASSWORD_LINK:
        if not target.active:
            raise AdminError(INACTIVE)
        if not target.email:
            raise AdminError(NO_EMAIL)
    if action == rules.TOTP_RESET and target.is_demo:
        raise AdminError(N_("Demo-brugere har ingen totrinsbekræftelse."))
    return {}


def _execute(
    ctx: AdminContext, settings: Settings, action: str, target: User, params: dict, approval_id: str | None
) -> Outcome:
    outcome = Outcome("done")
    if action == rules.TOTP_RESET:
        from backend.auth import totp
        from backend.auth.sessions import end_user_sessions

        had = totp.reset(ctx.db, target.id)
        end_user_sessions(ctx.db, target.id)
        ctx.audit.add("totp.reset", "user", target.id, had_second_factor=had, **_via(approval_id))
    elif action == rules.PASSWORD_LINK:
        if not target.active:
            raise AdminError(INACTIVE)
        if not target.email:
            raise AdminError(NO_EMAIL)
        outcome.link_sent_to = send_password_link(ctx, settings, target, invitation=False)
    elif action == rules.ROLE_ADD:
        if refusal := rules.grant_refusal(ctx.user.id, target.id):
            raise AdminError(refusal, "role")
        org.add_role(ctx, target, params["role"], params.get("unit_id", ""))
    elif action == rules.ROLE_REMOVE:
        assignment = ctx.db.get(RoleAssignment, params["assignment_id"])
        if assignment is None or assignment.user_id != target.id:
            raise AdminError(UNKNOWN_ROLE)
        org.remove_role(ctx, target, assignment)
    elif action == rules.DEACTIVATE:
        org.deactivate_user(ctx, target)
    elif action == rules.REACTIVATE:
        org.reactivate_user(ctx, target)
    if action != rules.PASSWORD_LINK:  # the link's own e-mail tells the person
        _tell(ctx.db, settings, target, approval_id or new_id(), "done", action, ctx.user)
    return outcome


def _via(approval_id: str | None) -> dict:
    return {"approval": approval_id} if approval_id else {}


def send_password_link(ctx: AdminContext, settings: Settings, target: User, *, invitation: bool) -> str:
    """Issue a one-time link and e-mail it to the person; returns the address ("" when the person
    has no e-mail address: then no link is issued, and the operator's CLI makes one)."""
    if not target.email:
        return ""
    token = org.issue_password_link(ctx, target)
    link = password_link_url(settings, token)
    days = org.LINK_VALID.days
    if invitation:
        subject = "Din konto i Opspor"
        opening = N_("Der er oprettet en konto til dig i Opspor.")
    else:
        subject = N_("Nyt link til din adgangskode i Opspor")
        opening = N_("En administrator har lavet et nyt link, så du kan vælge en adgangskode til Opspor.")
    body = (
        f"Hej {target.display_name}\n\n{opening}\n\n"
        f"Dit brugernavn er: {target.username}\n"
        f"Vælg din adgangskode her (linket virker én gang og i {days} dage):\n{link}\n\n"
        "Har du ikke bedt om det, så kontakt kommunens administrator.\n"
    )
    queue_email(
        ctx.db,
        key=f"password_link:{new_id()}",
        to=target.email,
        subject=subject,
        body=body,
        user_id=target.id,
    )
    ctx.audit.add("user.password_link_sent", "user", target.id)
    return target.email


def _tell(
    db: Session, settings: Settings, target: User, cause: str, stage: str, action: str, admin: User
) -> None:
    """E-mail the affected person about a request or an action on their account (no secrets)."""
    if not target.email:
        return
    what = _ACTION_TEXT[action]
    if stage == "requested":
        text = (
            f"Administratoren {admin.display_name} har bedt om at {what}. "
            "En anden administrator skal godkende det, før det sker."
        )
    elif stage == "rejected":
        text = f"Anmodningen om at {what} er afvist af administratoren {admin.display_name}."
    else:
        text = f"Administratoren {admin.display_name} har nu gjort dette på din konto: {what}."
    body = (
        f"Hej {target.display_name}\n\n{text}\n\n"
        "Kender du ikke til det, så kontakt kommunens administrator med det samme.\n"
    )
    queue_email(
        db,
        key=f"account_notice:{cause}:{stage}:{action}",
        to=target.email,
        subject=N_("Ændring af din konto i Opspor"),
        body=body,
        user_id=target.id,
    )


# --- the second admin's decision ----------------------------------------------------------------


@dataclass
class PendingView:
    approval: AdminApproval
    target: User
    requested_by: User
    unit_name: str
    refusal: str  # why the viewer cannot approve it ("" when they can)


def pending_for(ctx: AdminContext, municipality_id: str) -> list[PendingView]:
    """Every request waiting in the municipality, newest first, for the viewing admin."""
    query = (
        select(AdminApproval)
        .where(AdminApproval.municipality_id == municipality_id, AdminApproval.status == "pending")
        .order_by(AdminApproval.created_at.desc())
    )
    views = []
    for approval in ctx.db.exec(query):
        unit = org.unit_of(ctx.db, municipality_id, approval.params.get("unit_id", ""))
        views.append(
            PendingView(
                approval,
                ctx.db.get(User, approval.target_id),
                ctx.db.get(User, approval.requested_by_id),
                unit.name if unit else "",
                _refusal(approval, ctx.user.id, approving=True),
            )
        )
    ctx.audit.add("admin_approval.list", "user", count=len(views))
    return views


def _refusal(approval: AdminApproval, decider_id: str, *, approving: bool) -> str:
    if not approving:  # any admin may reject (the requester withdraws its own request)
        return rules.ALREADY_DECIDED if approval.status != "pending" else ""
    return rules.decision_refusal(
        action=approval.action,
        status=approval.status,
        requested_by_id=approval.requested_by_id,
        target_id=approval.target_id,
        decider_id=decider_id,
    )


def approval_of(db: Session, municipality_id: str, approval_id: str) -> AdminApproval | None:
    approval = db.get(AdminApproval, approval_id) if approval_id else None
    return approval if approval is not None and approval.municipality_id == municipality_id else None


def approve(ctx: AdminContext, settings: Settings, approval: AdminApproval) -> Outcome:
    """Carry out a pending request as the second admin (AdminError when not allowed or no longer
    possible, e.g. the last active admin)."""
    if refusal := _refusal(approval, ctx.user.id, approving=True):
        raise AdminError(refusal)
    target = ctx.db.get(User, approval.target_id)
    outcome = _execute(ctx, settings, approval.action, target, approval.params, approval_id=approval.id)
    approval.status, approval.decided_by_id, approval.decided_at = "approved", ctx.user.id, utcnow()
    ctx.db.add(approval)
    ctx.audit.add(
        "admin_approval.approve",
        "user",
        target.id,
        request=approval.id,
        action_requested=approval.action,
        requested_by=approval.requested_by_id,
    )
    return outcome


def reject(ctx: AdminContext, settings: Settings, approval: AdminApproval) -> None:
    if refusal := _refusal(approval, ctx.user.id, approving=False):
        raise AdminError(refusal)
    target = ctx.db.get(User, approval.target_id)
    approval.status, approval.decided_by_id, approval.decided_at = "rejected", ctx.user.id, utcnow()
    ctx.db.add(approval)
    ctx.audit.add(
        "admin_approval.reject", "user", target.id, request=approval.id, action_requested=approval.action
    )
    _tell(ctx.db, settings, target, approval.id, "rejected", approval.action, ctx.user)


def invite_user(
    ctx: AdminContext,
    settings: Settings,
    municipality_id: str,
    fields: dict[str, str],
) -> tuple[User, str]:
    """A new account, its first role (when one is chosen) and the one-time link e-mailed to it
    (returns the user and the address). All or nothing: on AdminError no account, role, link or
    audit event is left behind."""
    with ctx.audit.savepoint(ctx.db):
        user = org.create_user(
            ctx,
            municipality_id,
            fields.get("username", ""),
            fields.get("display_name", ""),
            fields.get("email", ""),
        )
        if fields.get("role"):
            org.add_role(ctx, user, fields.get("role", ""), fields.get("unit_id", ""))
        sent_to = send_password_link(ctx, settings, user, invitation=True)
    return user, sent_to


def approve_all_or_nothing(ctx: AdminContext, settings: Settings, approval: AdminApproval) -> Outcome:
    """`approve` in a savepoint: a refused approval (e.g. the last active admin) changes nothing
    and leaves no audit event of the half-done action."""
    with ctx.audit.savepoint(ctx.db):
        return approve(ctx, settings, approval)
