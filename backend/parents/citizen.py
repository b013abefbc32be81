"""A parent signs in with MitID instead of typing the code (issue 15, `OPSPOR_CITIZEN_OIDC_*`).

The same OpenID Connect client as the staff sign-in (`backend/auth/oidc.py`), registered a second
time at the municipality's citizen sign-in broker (`oidc.citizen_client`). The flow is kept in
the database like the staff one; it remembers which invitation it is for (by id, never the
link's token). At the callback the CPR number the broker vouches for must be the invited
guardian's recorded one — anyone else (another CPR number, or no CPR number recorded) is refused
and audited. The CPR number is compared and forgotten: never stored from the broker, never in a
URL, a log line or an audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth import oidc
from backend.auth.sign_on import ANSWER_INVALID, PROVIDER_ERROR
from backend.config import Settings
from backend.domain import citizen as citizen_rules
from backend.domain import parents as rules
from backend.domain.messages import N_
from backend.parents.models import ParentInvitation
from backend.parents.service import PARENT_LANGUAGES, invitation_by_token, open_parent_session, state_of
from backend.people.models import Guardian
from backend.records.tasks import abuse_path_open

#: What a citizen flow's `next_url` holds: the invitation it is for.
FLOW_PREFIX = "parent-invitation:"

NOT_GUARDIAN = N_(
    "Vi kan ikke se, at det er jer, invitationen er sendt til, så siden bliver ikke åbnet. "
    "Skriv i stedet den kode, I har fået af fagpersonen, eller kontakt fagpersonen."
)
SIGN_IN_FAILED = N_(
    "Login med MitID lykkedes ikke. Prøv igen, eller skriv den kode, I har fået af fagpersonen."
)
SIGN_IN_DOWN = N_("Login med MitID svarer ikke lige nu. Prøv igen om lidt, eller skriv koden.")


def citizen_sign_in_enabled(settings: Settings) -> bool:
    return bool(settings.citizen_oidc_issuer)


@dataclass
class CitizenResult:
    """`status` 303 to `url` (the broker, or back to the link with `session_value`); 404/410 for a
    link that does not open; 400/403/503 with a `message` (Danish msgid) otherwise."""

    status: int
    url: str = ""
    state: str = ""
    session_value: str = ""
    message: str = ""
    language: str = "da"
    link_state: str = ""


def _language(invitation: ParentInvitation | None) -> str:
    language = invitation.language if invitation is not None else "da"
    return language if language in PARENT_LANGUAGES else "da"


def _audit(audit: AuditTrail, invitation: ParentInvitation, action: str, **detail: object) -> None:
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


def _open_invitation(
    db: Session, audit: AuditTrail, token: str
) -> tuple[ParentInvitation | None, CitizenResult | None]:
    """The link's invitation when it opens; else 404 (unknown, or held while the child's concern
    is on the abuse path — like the code form, domain §6) or 410 (used, revoked, expired, locked)."""
    invitation = invitation_by_token(db, token)
    if invitation is None:
        return None, CitizenResult(404)
    link_state = state_of(invitation)
    if link_state != rules.STATE_OPEN:
        return None, CitizenResult(410, language=_language(invitation), link_state=link_state)
    if abuse_path_open(db, invitation.child_id):
        _audit(audit, invitation, "parent.held")
        return None, CitizenResult(404)
    return invitation, None


def begin_citizen_sign_in(db: Session, audit: AuditTrail, settings: Settings, token: str) -> CitizenResult:
    """`GET /p/<token>/mitid`: off to the broker (303), with the flow's `state` for the cookie."""
    if not citizen_sign_in_enabled(settings):
        return CitizenResult(404)
    invitation, closed = _open_invitation(db, audit, token)
    if closed is not None:
        return closed
    assert invitation is not None
    language = _language(invitation)
    try:
        url, state = oidc.begin(db, oidc.citizen_client(settings), FLOW_PREFIX + invitation.id)
    except oidc.OidcError as error:
        _audit(audit, invitation, "parent.mitid_failure", reason=error.reason)
        return CitizenResult(503, message=SIGN_IN_DOWN, language=language)
    _audit(audit, invitation, "parent.mitid_start")
    return CitizenResult(303, url=url, state=state, language=language)


@dataclass
class Callback:
    """What the broker sent back (query) and what the browser kept (the flow cookie)."""

    code: str
    state: str
    error: str
    iss: str
    cookie_state: str | None
    token: str


def finish_citizen_sign_in(
    db: Session, audit: AuditTrail, settings: Settings, answer: Callback
) -> CitizenResult:
    """`GET /auth/citizen/callback`: the invited guardian gets a session on the link (303 back to
    it); anyone else a refusal page (403), a failed sign-in a page saying so (400/503)."""
    if not citizen_sign_in_enabled(settings):
        return CitizenResult(404)
    invitation, closed = _open_invitation(db, audit, answer.token)
    if closed is not None:
        return closed
    assert invitation is not None
    language = _language(invitation)
    client = oidc.citizen_client(settings)
    try:
        flow = oidc.take_flow(db, answer.state, answer.cookie_state)
        if flow.next_url != FLOW_PREFIX + invitation.id:  # a flow started for another link
            raise oidc.OidcError("flow_for_other_link", ANSWER_INVALID)
        if answer.error:
            raise oidc.OidcError(
                "provider_" + re.sub(r"[^a-z_]", "", answer.error.lower())[:30], PROVIDER_ERROR
            )
        if not answer.code or len(answer.code) > 2000:
            raise oidc.OidcError("code_missing", oidc.CODE_REFUSED)
        if answer.iss and answer.iss != client.issuer:
            raise oidc.OidcError("issuer_mismatch", ANSWER_INVALID)
        identity = oidc.finish(client, flow, answer.code)
    except oidc.OidcError as refused:
        _audit(audit, invitation, "parent.mitid_failure", reason=refused.reason)
        down = refused.reason == "provider_unreachable"
        return CitizenResult(
            503 if down else 400, message=SIGN_IN_DOWN if down else SIGN_IN_FAILED, language=language
        )
    guardian = db.get(Guardian, invitation.guardian_id)
    claimed = identity.claims.get(settings.citizen_oidc_cpr_claim)
    refusal = citizen_rules.guardian_match(guardian.cpr if guardian else None, claimed)
    if refusal is not None:
        _audit(audit, invitation, "parent.mitid_refused", reason=refusal)
        return CitizenResult(403, message=NOT_GUARDIAN, language=language)
    session_value = open_parent_session(db, audit, invitation, "mitid")
    return CitizenResult(303, url=f"/p/{answer.token}", session_value=session_value, language=language)
