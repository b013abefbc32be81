"""Single sign-on with the municipality's OpenID provider (authorization code flow + PKCE).

- Discovery from `OPSPOR_OIDC_ISSUER` (its `issuer` must match exactly); the metadata and the
  provider's keys are cached per process for an hour (keys are fetched again on an unknown `kid`).
- `begin` stores `state` (hashed), `nonce` and the PKCE verifier in the database — never in process
  memory — so whichever app instance receives the callback can finish the flow; the browser
  holds `state` in a short-lived cookie, which binds the flow to the browser that started it.
- `finish` exchanges the code, validates the ID token (signature with the provider's JWKS,
  `iss`, `aud`/`azp`, `exp`/`iat`, `nonce`, `at_hash`) and reads claims the ID token lacks
  (such as groups) from userinfo, whose `sub` must be the same.

Tokens and codes are never logged; failures carry a short reason for the audit log.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.urls import add_params_to_uri
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlmodel import Session, delete

from backend.auth.models import OidcFlow, OidcLogin
from backend.auth.sign_on import (
    ANSWER_EXPIRED,
    ANSWER_INVALID,
    FLOW_UNKNOWN,
    NOT_CONFIGURED,
    PROVIDER_DOWN,
    PROVIDER_ERROR,
    STATE_MISMATCH,
    SignOnRefused,
)
from backend.config import Settings
from backend.db import utcnow
from backend.i18n import N_

log = logging.getLogger("opspor.oidc")

FLOW_LIFETIME = timedelta(minutes=10)
CALLBACK_PATH = "/auth/oidc/callback"
CITIZEN_CALLBACK_PATH = "/auth/citizen/callback"
HTTP_TIMEOUT = 15
CACHE_SECONDS = 3600
#: Allowed clock difference with the provider when checking `exp`, `iat` and `nbf`.
LEEWAY_SECONDS = 5
#: Asymmetric signatures only: never `none`, never a MAC keyed with the client secret.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]

CODE_REFUSED = N_("Kommunens login godkendte ikke login-koden. Prøv at logge ind igen.")


class OidcError(SignOnRefused):
    """A refused OpenID Connect sign-in."""


@dataclass(frozen=True)
class OidcClient:
    """One registration of Opspor at an OpenID provider: the staff sign-in (`staff_client`) or
    the parents' citizen sign-in (`citizen_client`, MitID through the municipality's broker).

    `wanted_claims` are read from userinfo when the ID token lacks them; without
    `essential_claim` the sign-in cannot go on, so a failing userinfo refuses it."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    redirect_uri: str
    wanted_claims: tuple[str, ...]
    essential_claim: str
    post_logout_uri: str = ""


def staff_client(settings: Settings) -> OidcClient:
    """The professionals' single sign-on (`OPSPOR_OIDC_*`)."""
    base = settings.base_url.rstrip("/")
    return OidcClient(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scopes=settings.oidc_scopes,
        redirect_uri=base + CALLBACK_PATH,
        wanted_claims=(settings.oidc_groups_claim, "name", "email"),
        essential_claim=settings.oidc_groups_claim,
        post_logout_uri=base + "/login",
    )


def citizen_client(settings: Settings) -> OidcClient:
    """The parents' citizen sign-in (`OPSPOR_CITIZEN_OIDC_*`): only the CPR claim is wanted."""
    return OidcClient(
        issuer=settings.citizen_oidc_issuer,
        client_id=settings.citizen_oidc_client_id,
        client_secret=settings.citizen_oidc_client_secret,
        scopes=settings.citizen_oidc_scopes,
        redirect_uri=settings.base_url.rstrip("/") + CITIZEN_CALLBACK_PATH,
        wanted_claims=(settings.citizen_oidc_cpr_claim,),
        essential_claim=settings.citizen_oidc_cpr_claim,
    )


@dataclass
class Identity:
    """Who the provider says signed in, and the ID token (kept only for RP-initiated logout)."""

    issuer: str
    subject: str
    claims: dict[str, Any] = field(repr=False)
    id_token: str = field(repr=False)

    def groups(self, claim_name: str) -> list[str]:
        value = self.claims.get(claim_name)
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [item for item in value if isinstance(item, str)]
        return []


# --- provider metadata and keys ---------------------------------------------------------------

_cache: dict[str, tuple[float, dict]] = {}
_cache_lock = threading.Lock()


def _get_json(url: str) -> dict:
    response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"accept": "application/json"})
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _cached(key: str, url: str, force: bool = False) -> dict:
    with _cache_lock:
        hit = _cache.get(key)
        if hit and not force and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
    try:
        data = _get_json(url)
    except (requests.RequestException, ValueError) as error:
        log.warning("OpenID provider unreachable: %s", type(error).__name__)
        raise OidcError("provider_unreachable", PROVIDER_DOWN) from error
    with _cache_lock:
        _cache[key] = (time.monotonic(), data)
    return data


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def metadata(client: OidcClient) -> dict:
    if not client.issuer:
        raise OidcError("not_configured", NOT_CONFIGURED)
    issuer = client.issuer
    data = _cached("metadata:" + issuer, issuer.rstrip("/") + "/.well-known/openid-configuration")
    if data.get("issuer") != issuer:
        log.error("The provider's discovery document names another issuer than the one configured")
        raise OidcError("issuer_mismatch", PROVIDER_ERROR)
    return data


def _jwks(client: OidcClient, force: bool = False) -> KeySet:
    uri = metadata(client).get("jwks_uri")
    if not uri:
        raise OidcError("no_jwks_uri", PROVIDER_ERROR)
    try:
        return KeySet.import_key_set(_cached("jwks:" + uri, uri, force=force))
    except (JoseError, ValueError, TypeError) as error:
        raise OidcError("bad_jwks", PROVIDER_ERROR) from error


def _session(client: OidcClient) -> OAuth2Session:
    return OAuth2Session(
        client_id=client.client_id,
        client_secret=client.client_secret or None,
        scope=client.scopes,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )


# --- the flow ---------------------------------------------------------------------------------


def _state_key(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def begin(db: Session, client: OidcClient, next_url: str) -> tuple[str, str]:
    """Start a sign-in: returns the provider's authorization URL and the `state` for the cookie.
    `next_url` is kept with the flow (where to go afterwards, or what the flow is for)."""
    endpoint = metadata(client).get("authorization_endpoint")
    if not endpoint:
        raise OidcError("no_authorization_endpoint", PROVIDER_ERROR)
    purge_expired_flows(db)  # abandoned sign-ins do not pile up
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    with _session(client) as oauth:
        url, _ = oauth.create_authorization_url(endpoint, state=state, code_verifier=verifier, nonce=nonce)
    now = utcnow()
    db.add(
        OidcFlow(
            id=_state_key(state),
            nonce=nonce,
            code_verifier=verifier,
            next_url=next_url[:2000],
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
        )
    )
    return url, state


def take_flow(db: Session, state: str | None, cookie_state: str | None) -> OidcFlow:
    """The started flow for a callback's `state`, used up at once (a second use finds nothing)."""
    if not state or len(state) > 200:
        raise OidcError("state_missing", STATE_MISMATCH)
    if not cookie_state:  # used up, expired, or started in another browser
        raise OidcError("state_cookie_missing", FLOW_UNKNOWN)
    if not secrets.compare_digest(state.encode(), cookie_state.encode()):
        raise OidcError("state_mismatch", STATE_MISMATCH)
    flow = db.get(OidcFlow, _state_key(state))
    if flow is None:
        raise OidcError("flow_unknown", FLOW_UNKNOWN)
    claimed = db.exec(delete(OidcFlow).where(OidcFlow.id == flow.id))
    if claimed.rowcount != 1 or utcnow() >= flow.expires_at:
        raise OidcError("flow_unknown", FLOW_UNKNOWN)
    return flow


def finish(client: OidcClient, flow: OidcFlow, code: str) -> Identity:
    """Exchange the code (with the PKCE verifier) and validate what the provider answers."""
    provider = metadata(client)
    token = _exchange_code(client, provider, flow, code)
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("no_id_token", ANSWER_INVALID)
    claims = validate_id_token(client, id_token, nonce=flow.nonce, access_token=token.get("access_token"))
    claims = _with_userinfo(client, provider, claims, token.get("access_token"))
    return Identity(issuer=provider["issuer"], subject=claims["sub"], claims=claims, id_token=id_token)


def _exchange_code(client: OidcClient, provider: dict, flow: OidcFlow, code: str) -> dict:
    endpoint = provider.get("token_endpoint")
    if not endpoint:
        raise OidcError("no_token_endpoint", PROVIDER_ERROR)
    try:
        with _session(client) as oauth:
            token = oauth.fetch_token(
                endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=flow.code_verifier,
                redirect_uri=client.redirect_uri,
            )
    except AuthlibBaseError as error:
        log.info("The provider refused the authorization code: %s", error.error)
        raise OidcError("code_refused", CODE_REFUSED) from error
    except (requests.RequestException, ValueError) as error:
        log.warning("Token request failed: %s", type(error).__name__)
        raise OidcError("provider_unreachable", PROVIDER_DOWN) from error
    return dict(token)


def validate_id_token(client: OidcClient, id_token: str, nonce: str, access_token: str | None) -> dict:
    """The ID token's claims when its signature, issuer, audience, times and nonce are right."""
    registry = JWSRegistry(algorithms=ID_TOKEN_ALGORITHMS)
    try:
        try:
            decoded = jwt.decode(id_token, _jwks(client), registry=registry)
        except InvalidKeyIdError:  # the provider may have rotated its keys
            decoded = jwt.decode(id_token, _jwks(client, force=True), registry=registry)
    except (JoseError, ValueError, TypeError) as error:
        raise OidcError("bad_signature", ANSWER_INVALID) from error
    issuer = metadata(client)["issuer"]
    options = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client.client_id},
        "sub": {"essential": True},
        "nonce": {"essential": True},
    }
    params = {"nonce": nonce, "client_id": client.client_id}
    if access_token:
        params["access_token"] = access_token
    claims = CodeIDToken(decoded.claims, decoded.header, options, params)
    try:
        claims.validate(leeway=LEEWAY_SECONDS)
    except ExpiredTokenError as error:
        raise OidcError("expired", ANSWER_EXPIRED) from error
    except (JoseError, ValueError, TypeError) as error:
        claim = getattr(error, "claim", "")
        reason = {"nonce": "nonce_mismatch", "aud": "wrong_audience", "azp": "wrong_audience"}.get(
            claim, f"invalid_{claim or 'claims'}"
        )
        raise OidcError(reason, ANSWER_INVALID) from error
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError("invalid_sub", ANSWER_INVALID)
    return dict(claims)


def _with_userinfo(client: OidcClient, provider: dict, claims: dict, access_token: str | None) -> dict:
    """Add the claims the ID token lacks from userinfo; the ID token's own claims win.

    Userinfo is required when the essential claim (staff: groups, as roles depend on it;
    citizens: the CPR number) is missing; otherwise it only adds a name or e-mail, and a failing
    userinfo endpoint does not stop the sign-in.
    """
    endpoint = provider.get("userinfo_endpoint")
    if all(name in claims for name in client.wanted_claims) or not endpoint or not access_token:
        return claims
    essential = client.essential_claim not in claims
    try:
        response = requests.get(
            endpoint, timeout=HTTP_TIMEOUT, headers={"authorization": f"Bearer {access_token}"}
        )
        response.raise_for_status()
        userinfo = response.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("Userinfo request failed: %s", type(error).__name__)
        if essential:
            raise OidcError("userinfo_failed", PROVIDER_DOWN) from error
        return claims
    if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
        raise OidcError("userinfo_sub_mismatch", ANSWER_INVALID)
    return {**userinfo, **claims}


# --- sign-out ---------------------------------------------------------------------------------


def logout_url(client: OidcClient, id_token: str | None) -> str | None:
    """The provider's end-session URL (RP-initiated logout), when it offers one."""
    try:
        provider = metadata(client)
    except OidcError:
        return None
    endpoint = provider.get("end_session_endpoint")
    if not endpoint:
        return None
    params = {"post_logout_redirect_uri": client.post_logout_uri, "client_id": client.client_id}
    if id_token:
        params["id_token_hint"] = id_token
    return add_params_to_uri(endpoint, params)


def purge_expired_flows(db: Session) -> None:
    db.exec(delete(OidcFlow).where(OidcFlow.expires_at < utcnow()))


def remember_id_token(db: Session, session_id: str, id_token: str) -> None:
    """Keep the provider's ID token with the new session, for RP-initiated sign-out."""
    db.flush()  # the session row exists before the login row that points at it
    db.add(OidcLogin(session_id=session_id, id_token=id_token))


def id_token_of_session(db: Session, session_id: str) -> str | None:
    login_record = db.get(OidcLogin, session_id)
    return login_record.id_token if login_record else None
