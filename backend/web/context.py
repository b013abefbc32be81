"""The per-request context: database session, signed-in user, scope, audit trail, CSRF.

`get_ctx` opens one database session per request, loads the session cookie, checks CSRF on every
unsafe request from a signed-in session, and — before the response is sent — writes the request's
audit events in one INSERT and commits. Routes take `ctx: Ctx` (anyone) or `ctx: SignedIn`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth import csrf, devices
from backend.auth.models import Device, WebSession
from backend.auth.policy import Scope, load_scope, scope_of
from backend.auth.sessions import COOKIE_NAME, DEVICE_COOKIE, load_signed_in
from backend.config import Settings, get_settings
from backend.db import begin_at_first_write, new_session
from backend.domain.settings import MunicipalSettings, load_settings
from backend.i18n import DEFAULT_LANGUAGE, LANGUAGES
from backend.people.models import User
from backend.people.service import municipal_settings_of
from backend.sync.conditional import NotModified

DEVICE_HEADER = "X-Opspor-Device"

#: Unsafe routes that may be called without a session's CSRF token: the JSON sign-in (a JSON body
#: cannot be sent cross-site without CORS, which the app does not allow), and the SAML identity
#: provider's cross-site POST (its signed response and one-time RelayState stand in for the token).
CSRF_EXEMPT = frozenset({("POST", "/api/session"), ("POST", "/auth/saml/acs")})
#: The parents' pages (issue 15) check their own CSRF token (the invitation's, or the pre-session
#: one before the code): a staff session in the same browser must neither be needed nor used there.
OWN_CSRF_PREFIX = "/p/"
#: Touching a device's `last_seen_at` at most this often keeps reads from writing on every request.


class NotSignedIn(Exception):
    """Raised for a route that needs a signed-in user; answered 401 (API) or a login redirect."""


class CsrfRejected(Exception):
    """An unsafe request without the right CSRF token; answered 403."""


class Forbidden(Exception):
    """Signed in but without the role a page needs (not about a child: those answer 404)."""


class DeviceRevoked(Exception):
    """A request from a device an admin revoked: answered 401 with Clear-Site-Data (wipe)."""


@dataclass
class RequestContext:
    request: Request
    db: Session
    settings: Settings
    audit: AuditTrail
    session: WebSession | None = None
    user: User | None = None
    submitted_csrf: str | None = None
    pre_session_id: str | None = None
    language: str = DEFAULT_LANGUAGE
    _scope: Scope | None = field(default=None, repr=False)
    _municipal: MunicipalSettings | None = field(default=None, repr=False)

    @property
    def scope(self) -> Scope:
        if self.user is None:
            raise NotSignedIn
        if self._scope is None:
            self._scope = load_scope(self.db, self.user)
        return self._scope

    @property
    def municipal(self) -> MunicipalSettings:
        """The signed-in user's municipal settings (defaults when not signed in)."""
        if self._municipal is None:
            self._municipal = municipal_settings_of(self.db, self.user.municipality_id if self.user else None)
        return self._municipal

    @property
    def device_id(self) -> str | None:
        return _device_id(self.request)

    def csrf_token(self) -> str:
        """A masked CSRF token for a form or meta tag on the page being rendered."""
        return csrf.mask(self._expected_csrf() or "")

    def _expected_csrf(self) -> str | None:
        if self.session is not None:
            return self.session.csrf_token
        if self.pre_session_id is None:
            return None
        return csrf.pre_session_token(self.settings.secret_key, self.pre_session_id)

    def pre_session_csrf_ok(self) -> bool:
        expected = self._expected_csrf()
        return expected is not None and csrf.token_is_valid(expected, self.submitted_csrf)


async def submitted_csrf_token(request: Request) -> str | None:
    """The CSRF token an unsafe request carries: header first, else the form field."""
    if request.method in csrf.SAFE_METHODS:
        return None
    if header := request.headers.get(csrf.HEADER):
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            value = (await request.form()).get(csrf.FORM_FIELD)
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def get_ctx(
    request: Request, submitted: Annotated[str | None, Depends(submitted_csrf_token)]
) -> Iterator[RequestContext]:
    settings = get_settings()
    db = new_session()
    # A read (GET, HEAD) begins no transaction until it writes (PostgreSQL): a page that writes
    # nothing but its audit rows costs neither a BEGIN nor a COMMIT round trip.
    reads = request.method in csrf.SAFE_METHODS
    try:
        try:
            if reads:
                begin_at_first_write(db)
            ctx = _open_context(request, db, settings, submitted)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # The database dropped the pooled connection since its last use (a restart): the
            # pool has let go of its connections; nothing was read or written yet, so the
            # request starts again on a fresh one. (No ping before every request instead.)
            db.rollback()
            if reads:
                begin_at_first_write(db)
            ctx = _open_context(request, db, settings, submitted)
        try:
            yield ctx
        except NotModified:  # the device's copy is shown: its read is audited like the page's
            _audit_and_commit(ctx, db)
            raise
        _audit_and_commit(ctx, db)
    except NotModified:
        raise
    except DeviceRevoked:
        db.rollback()
        try:
            _note_wipe(request, db)
        except Exception:
            db.rollback()
        raise
    except Exception:
        _keep_for_error_page(request, db)
        db.rollback()
        raise
    finally:
        db.close()


def _audit_and_commit(ctx: RequestContext, db: Session) -> None:
    """The request's own changes, then its audit rows in one statement (`AuditTrail.flush`), then
    the commit."""
    ctx.audit.flush(db)
    db.commit()


def _keep_for_error_page(request: Request, db: Session) -> None:
    """Detach the user and session so the error page can still show the menu after rollback."""
    ctx = getattr(request.state, "ctx", None)
    if ctx is None or ctx.user is None:
        return
    try:
        ctx.scope  # noqa: B018 - loads the scope while the database session is usable
    except Exception:
        return
    for instance in (ctx.user, ctx.session):
        if instance is not None and instance in db:
            db.expunge(instance)


def _note_wipe(request: Request, db: Session) -> None:
    """Remember that a revoked device made contact and was told to wipe its data."""
    # only the cookie's device: a header proves nothing
    devices.note_wipe(db, _device_id(request), _client_ip(request), request.url.path)


def _device_id(request: Request) -> str | None:
    """The device this request comes from: the server-issued device cookie, never a header.

    A client could name any device in `X-Opspor-Device`; the audit records the cookie's device,
    which the server set at sign-in (`signin.set_session_cookies`).
    """
    value = request.cookies.get(DEVICE_COOKIE)
    return value[:36] if value else None


def _claimed_device_ids(request: Request) -> set[str]:
    """Every device id the request names (cookie or header), for refusing revoked devices only."""
    values = (request.cookies.get(DEVICE_COOKIE), request.headers.get(DEVICE_HEADER))
    return {value[:36] for value in values if value}


def _check_device(
    db: Session, request: Request, user: User | None, known: dict[str, Device] | None = None
) -> None:
    """The one place a revoked device is refused; a known device's last contact is kept."""
    try:
        devices.check_devices(db, _claimed_device_ids(request), _device_id(request), user, known=known)
    except devices.RevokedDevice:
        raise DeviceRevoked from None


def _open_context(request: Request, db: Session, settings: Settings, submitted: str | None) -> RequestContext:
    claimed = _claimed_device_ids(request)
    signed_in = load_signed_in(db, settings, request.cookies.get(COOKIE_NAME), claimed)
    known = signed_in.devices if signed_in else None
    session = signed_in.session if signed_in else None
    user = signed_in.user if signed_in else None
    if user is not None and (not user.active or (user.is_demo and not settings.demo)):
        user, session, signed_in = None, None, None
    _check_device(db, request, user, known)
    ctx = RequestContext(
        request=request,
        db=db,
        settings=settings,
        audit=AuditTrail(ip=_client_ip(request)),
        session=session,
        user=user,
        submitted_csrf=submitted,
        pre_session_id=request.cookies.get(csrf.PRE_SESSION_COOKIE),
    )
    if signed_in is not None:
        ctx._scope = scope_of(signed_in.user, signed_in.assignments)
        ctx._municipal = load_settings(signed_in.municipal_settings)
    ctx.audit.actor_id = user.id if user else None
    ctx.audit.session_ref = session.id[:12] if session else ""
    ctx.audit.device_id = ctx.device_id
    language = (user.preferences.get("language") if user else None) or DEFAULT_LANGUAGE
    ctx.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    request.state.ctx = ctx
    unsafe = request.method not in csrf.SAFE_METHODS
    exempt = (request.method, request.url.path) in CSRF_EXEMPT or request.url.path.startswith(OWN_CSRF_PREFIX)
    if (
        unsafe
        and session is not None
        and not exempt
        and not csrf.token_is_valid(session.csrf_token, submitted)
    ):
        raise CsrfRejected
    return ctx


# The checks below are `async def` on purpose: they only look at what `get_ctx` loaded, so they
# run on the event loop instead of costing each request a trip through the thread pool.
async def require_user(ctx: Annotated[RequestContext, Depends(get_ctx, scope="function")]) -> RequestContext:
    if ctx.user is None:
        raise NotSignedIn
    return ctx


Ctx = Annotated[RequestContext, Depends(get_ctx, scope="function")]
SignedIn = Annotated[RequestContext, Depends(require_user)]


async def require_admin(ctx: Annotated[RequestContext, Depends(require_user)]) -> RequestContext:
    """The one admin check: admin pages answer 403 to everyone else (they are not about one
    child: no 404 game)."""
    if not ctx.scope.is_admin:
        raise Forbidden
    return ctx


Admin = Annotated[RequestContext, Depends(require_admin)]
