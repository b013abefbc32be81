"""Sign-in for every kind: password rules, the second factor, session rotation, audit.

Local accounts that are not demo users need a second factor (TOTP or a recovery code) after the
password. While single sign-on is on, local sign-in is refused except for demo users (demo mode),
the emergency admin, or when the municipality's `local_sign_in_with_sso` setting allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request, Response
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth import totp
from backend.auth.models import Device, WebSession
from backend.auth.passwords import verify_password
from backend.auth.sessions import COOKIE_NAME, DEVICE_COOKIE, end_session, start_session
from backend.auth.throttle import is_throttled, record_attempt
from backend.config import Settings
from backend.db import utcnow
from backend.domain.settings import load_settings
from backend.i18n import N_
from backend.people.models import Municipality, User


class RequestContext(Protocol):
    """What sign-in needs of the request (`backend.web.context.RequestContext` satisfies it)."""

    db: Session
    audit: AuditTrail
    settings: Settings
    request: Request
    device_id: str | None
    user: User | None
    session: WebSession | None


#: Called at sign-out with (db, user id, device id); registered at start by `backend.startup`
#: (the reminders forget the device's push subscriptions: no pushes after sign-out).
SignOutHook = Callable[[Session, str, str | None], object]
SIGN_OUT_HOOKS: list[SignOutHook] = []


def register_sign_out_hook(hook: SignOutHook) -> None:
    if hook not in SIGN_OUT_HOOKS:
        SIGN_OUT_HOOKS.append(hook)


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class SignInRefused(Exception):
    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


WRONG_CREDENTIALS = "Forkert brugernavn eller adgangskode."
THROTTLED = N_("For mange mislykkede forsøg. Vent lidt, og prøv igen.")
DEMO_ONLY = N_("Demo-brugerne virker kun, når Opspor kører i demotilstand.")
SSO_ONLY = N_("Log ind med kommunens login. Lokalt login er slået fra, når kommunens login er i brug.")
CODE_MISSING = N_("Skriv koden fra din godkendelsesapp.")
CODE_WRONG = N_("Koden er forkert. Brug den nyeste kode fra din godkendelsesapp, eller en gendannelseskode.")
CODE_REPLAYED = N_("Koden er allerede brugt. Vent på den næste kode i din godkendelsesapp.")
CODE_UNREADABLE = N_(
    "Din totrinsbekræftelse kan ikke læses. Kontakt en administrator, som kan nulstille den."
)
ENROL_FIRST = N_("Slå totrinsbekræftelse til ved at logge ind i browseren, før du bruger appens API.")


def check_password_sign_in(ctx: RequestContext, username: str, password: str) -> User:
    """The user for a username and password, or SignInRefused with a Danish reason."""
    username = username.strip()[:150]
    ip = ctx.audit.ip
    if is_throttled(ctx.db, ctx.settings, username, ip):
        ctx.audit.add("signin.throttled", "user", detail_username=username)
        raise SignInRefused(THROTTLED, status=429)
    user = ctx.db.exec(select(User).where(User.username == username.lower())).first()
    # Always one real hash check (a dummy hash for unknown, inactive or password-less accounts):
    # the answer takes as long whether or not the username exists.
    password_ok = verify_password(user.password_hash if user and user.active else None, password)
    if user is None or not user.active or not password_ok:
        record_attempt(ctx.db, username, ip, succeeded=False)
        ctx.audit.add("signin.failure", "user", user.id if user else None, reason="credentials")
        raise SignInRefused(WRONG_CREDENTIALS)
    if user.is_demo and not ctx.settings.demo:
        record_attempt(ctx.db, username, ip, succeeded=False)
        ctx.audit.add("signin.failure", "user", user.id, reason="demo_mode_off")
        raise SignInRefused(DEMO_ONLY, status=403)
    if not local_sign_in_allowed(ctx, user):
        record_attempt(ctx.db, username, ip, succeeded=False)
        ctx.audit.add("signin.failure", "user", user.id, reason="sso_required")
        raise SignInRefused(SSO_ONLY, status=403)
    return user


def local_sign_in_allowed(ctx: RequestContext, user: User) -> bool:
    """Without single sign-on always; with it only for demo users, the emergency admin, or when
    the municipality allows local sign-in."""
    if not ctx.settings.sso_enabled or user.is_demo or user.emergency_admin:
        return True
    municipality = ctx.db.get(Municipality, user.municipality_id)
    return load_settings(municipality.settings if municipality else None).local_sign_in_with_sso


def needs_second_factor(user: User) -> bool:
    """Every local account except the demo users (which work in demo mode only)."""
    return not user.is_demo


def check_second_factor(ctx: RequestContext, user: User, code: str) -> str:
    """The method ("totp" or "recovery") when `code` is right; SignInRefused otherwise.

    Wrong codes count as failed sign-ins for the throttle; neither codes nor secrets are logged.
    """
    ip = ctx.audit.ip
    if is_throttled(ctx.db, ctx.settings, user.username, ip):
        ctx.audit.add("signin.throttled", "user", user.id, step="second_factor")
        raise SignInRefused(THROTTLED, status=429)
    if not code.strip():
        raise SignInRefused(CODE_MISSING, status=401)
    check = totp.check_code(ctx.db, ctx.settings, user.id, code[:40])
    if check.ok:
        if check.method == "recovery":
            left = totp.recovery_codes_left(ctx.db, user.id)
            ctx.audit.add("totp.recovery_code_used", "user", user.id, left=left)
        return check.method
    record_attempt(ctx.db, user.username, ip, succeeded=False)
    ctx.audit.add("totp.failure", "user", user.id, method=check.method, reason=check.reason)
    ctx.audit.add("signin.failure", "user", user.id, reason=f"second_factor_{check.reason}")
    message = {"replayed": CODE_REPLAYED, "unreadable": CODE_UNREADABLE}.get(check.reason, CODE_WRONG)
    raise SignInRefused(message, status=401)


@dataclass
class SignedInSession:
    token: str
    csrf_token: str
    device_id: str


def open_session(ctx: RequestContext, user: User, method: str) -> SignedInSession:
    """Start a new session for `user` (ending any current one) and remember the device."""
    request = ctx.request
    device_id = _device_for(ctx, user, request)
    old_token = request.cookies.get(COOKIE_NAME)
    new = start_session(
        ctx.db,
        ctx.settings,
        user.id,
        ip=ctx.audit.ip,
        user_agent=request.headers.get("user-agent", ""),
        device_id=device_id,
        replaces_token=old_token,
    )
    record_attempt(ctx.db, user.username, ctx.audit.ip, succeeded=True)
    ctx.user, ctx.session = user, new.record
    ctx.audit.actor_id = user.id
    ctx.audit.session_ref = new.record.id[:12]
    ctx.audit.device_id = device_id
    ctx.audit.add("signin.success", "user", user.id, method=method)
    return SignedInSession(new.token, new.record.csrf_token, device_id)


def _device_for(ctx: RequestContext, user: User, request: Request) -> str:
    from backend.people.models import new_id

    device_id = ctx.device_id or new_id()
    device = ctx.db.get(Device, device_id)
    if device is None or device.user_id != user.id or device.revoked_at is not None:
        if device is not None:  # a shared phone: each user gets a device record of their own;
            device_id = new_id()  # a revoked device id is never used again
        device = Device(id=device_id, user_id=user.id)
    device.label = request.headers.get("user-agent", "")[:300]
    device.last_seen_at = utcnow()
    ctx.db.add(device)
    return device_id


def cookie_is_secure(ctx: RequestContext) -> bool:
    if ctx.settings.base_url.startswith("https://"):
        return True
    request = ctx.request
    return not (request.url.scheme == "http" and request.url.hostname in LOCAL_HOSTS)


def set_session_cookies(ctx: RequestContext, response: Response, signed_in: SignedInSession) -> None:
    secure = cookie_is_secure(ctx)
    response.set_cookie(
        COOKIE_NAME,
        signed_in.token,
        max_age=ctx.settings.session_max_hours * 3600,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        DEVICE_COOKIE,
        signed_in.device_id,
        max_age=400 * 24 * 3600,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def sign_out(ctx: RequestContext, response: Response) -> None:
    token = ctx.request.cookies.get(COOKIE_NAME)
    if token:
        end_session(ctx.db, token)
    if ctx.user is not None:
        ctx.audit.add("signout", "user", ctx.user.id)
        device_id = (ctx.session.device_id if ctx.session else None) or ctx.device_id
        for hook in SIGN_OUT_HOOKS:
            hook(ctx.db, ctx.user.id, device_id)
    response.delete_cookie(COOKIE_NAME, path="/", secure=cookie_is_secure(ctx), httponly=True)
    ctx.user, ctx.session = None, None
