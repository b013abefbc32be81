"""Single sign-on through a SAML 2.0 identity provider (OIOSAML; KOMBIT's context handler).

- pysaml2 with Debian's `xmlsec1` does the protocol: signed AuthnRequests over HTTP-Redirect,
  responses over HTTP-POST whose assertions must be signed (encrypted ones are decrypted with the
  SP key), audience, Destination/Recipient, `InResponseTo` and NotBefore/NotOnOrAfter (with
  `OPSPOR_SAML_CLOCK_SKEW_SECONDS` of slack) checked.
- `begin` stores the request id in the database (keyed by the SHA-256 of a random RelayState), so
  whichever app instance receives the response can finish the flow; a flow is used up once.
- An accepted assertion's id is remembered until the assertion expires: a replay is refused
  even where a flow could be reused.
- Roles come from the OIOSAML basic privilege profile attribute (base64 XML, parsed with
  defusedxml: no entities, no network) through `OPSPOR_SAML_ROLE_MAP` and the same provisioning
  as OpenID Connect (`source="saml"`).

Assertions and responses are never logged; failures carry a short reason for the audit log.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import hashlib
import logging
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID, name_id_from_string
from saml2.time_util import str_to_time
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete

from backend.auth.models import SamlAssertionSeen, SamlFlow, SamlLogin
from backend.auth.oidc import Identity
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
from backend.config import VAR_DIR, Settings
from backend.db import utcnow
from backend.domain.certificates import expiry_state

log = logging.getLogger("opspor.saml")
# pysaml2 logs NameIDs at INFO and whole assertions (names, attributes) when a signature fails:
# personal data never goes to the logs, so only its critical messages pass; the reasons for a
# refusal are logged here, without the response.
logging.getLogger("saml2").setLevel(logging.CRITICAL)

FLOW_LIFETIME = timedelta(minutes=10)
METADATA_PATH = "/auth/saml/metadata"
ACS_PATH = "/auth/saml/acs"
SLO_PATH = "/auth/saml/slo"
CACHE_SECONDS = 3600
SIGN_ALG = xmldsig.SIG_RSA_SHA256
DIGEST_ALG = xmldsig.DIGEST_SHA256
#: The OIOSAML basic privilege profile attribute (OIOSAML 2 and 3 names).
PRIVILEGE_ATTRIBUTES = (
    "dk:gov:saml:attribute:Privileges_intermediate",
    "https://data.gov.dk/model/core/eid/privilegesIntermediate",
)
NAME_ATTRIBUTES = ("https://data.gov.dk/model/core/eid/fullName", "urn:oid:2.5.4.3", "cn", "displayName")
EMAIL_ATTRIBUTES = ("https://data.gov.dk/model/core/eid/email", "urn:oid:0.9.2342.19200300.100.1.3", "mail")


class SamlError(SignOnRefused):
    """A refused SAML sign-in."""


@dataclass
class SamlIdentity:
    """Who signed in, the privilege keys for the role map, and what single logout needs."""

    identity: Identity
    privileges: list[str]
    name_id_xml: str
    session_index: str


# --- the service provider's key pair ------------------------------------------------------------


def _generate_key_pair(key_path: Path, cert_path: Path, common_name: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=5 * 365))
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def sp_key_pair(settings: Settings, var_dir: Path = VAR_DIR) -> tuple[Path, Path]:
    """The SP's key and certificate files; a self-signed pair is generated into var/ when unset."""
    if settings.saml_sp_key and settings.saml_sp_cert:
        return Path(settings.saml_sp_key), Path(settings.saml_sp_cert)
    key_path, cert_path = var_dir / "saml_sp_key.pem", var_dir / "saml_sp_cert.pem"
    with _lock:
        if not (key_path.exists() and cert_path.exists()):
            _generate_key_pair(key_path, cert_path, "Opspor SAML SP")
    return key_path, cert_path


# --- configuration --------------------------------------------------------------------------


def entity_id(settings: Settings) -> str:
    return settings.saml_entity_id or settings.base_url.rstrip("/") + METADATA_PATH


def _url(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


def _config_dict(settings: Settings) -> dict[str, Any]:
    key_file, cert_file = sp_key_pair(settings)
    source = settings.saml_idp_metadata
    metadata = (
        {"remote": [{"url": source}]} if source.startswith(("https://", "http://")) else {"local": [source]}
    )
    return {
        "entityid": entity_id(settings),
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "encryption_keypairs": [{"key_file": str(key_file), "cert_file": str(cert_file)}],
        "metadata": metadata,
        "accepted_time_diff": settings.saml_clock_skew_seconds,
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "name": "Opspor",
                "endpoints": {
                    "assertion_consumer_service": [(_url(settings, ACS_PATH), BINDING_HTTP_POST)],
                    "single_logout_service": [(_url(settings, SLO_PATH), BINDING_HTTP_REDIRECT)],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "want_assertions_or_response_signed": False,
                "allow_unsolicited": False,
                "name_id_format": NAMEID_FORMAT_PERSISTENT,
                "signing_algorithm": SIGN_ALG,
                "digest_algorithm": DIGEST_ALG,
            }
        },
    }


_cache: dict[tuple, tuple[float, SPConfig]] = {}
_lock = threading.RLock()


def _config(settings: Settings) -> SPConfig:
    if not settings.saml_idp_metadata:
        raise SamlError("not_configured", NOT_CONFIGURED)
    key = (
        settings.saml_idp_metadata,
        settings.saml_sp_key,
        settings.saml_sp_cert,
        entity_id(settings),
        settings.base_url,
        settings.saml_clock_skew_seconds,
    )
    with _lock:
        hit = _cache.get(key)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        try:
            config = SPConfig().load(_config_dict(settings))
        except Exception as error:  # pysaml2 raises many kinds while fetching or reading metadata
            log.warning("SAML identity provider metadata unavailable: %s", type(error).__name__)
            raise SamlError("metadata_unavailable", PROVIDER_DOWN) from error
        if len(list(config.metadata.identity_providers())) != 1:
            log.error("OPSPOR_SAML_IDP_METADATA must describe exactly one identity provider")
            raise SamlError("metadata_unavailable", PROVIDER_DOWN)
        _cache[key] = (time.monotonic(), config)
        return config


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _client(settings: Settings) -> Saml2Client:
    return Saml2Client(config=_config(settings))


def idp_entity_id(settings: Settings) -> str:
    return next(iter(_config(settings).metadata.identity_providers()))


def sp_metadata(settings: Settings) -> str:
    """The SP's EntityDescriptor (signing and encryption certificates, ACS, SLO)."""
    data = create_metadata_string(None, config=_config(settings), valid=24 * 7)
    return data.decode() if isinstance(data, bytes) else data


# --- sign-in ----------------------------------------------------------------------------------


def _relay_key(relay_state: str) -> str:
    return hashlib.sha256(relay_state.encode()).hexdigest()


def begin(db: Session, settings: Settings, next_url: str) -> tuple[str, str]:
    """Start a sign-in: the identity provider's URL carrying a signed AuthnRequest, and the
    RelayState for the browser's flow cookie."""
    client = _client(settings)
    purge_expired(db)
    relay_state = secrets.token_urlsafe(32)
    request_id, info = client.prepare_for_authenticate(
        entityid=idp_entity_id(settings),
        relay_state=relay_state,
        binding=BINDING_HTTP_REDIRECT,
        sign=True,
        sigalg=SIGN_ALG,
        nameid_format=NAMEID_FORMAT_PERSISTENT,
    )
    now = utcnow()
    db.add(
        SamlFlow(
            id=_relay_key(relay_state),
            request_id=request_id,
            next_url=next_url[:2000],
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
        )
    )
    return dict(info["headers"])["Location"], relay_state


def take_flow(db: Session, relay_state: str | None, cookie_state: str | None) -> SamlFlow:
    """The started flow for a response's RelayState, used up at once; the browser posting it
    must hold the same RelayState in its flow cookie (it started the flow)."""
    if not relay_state or len(relay_state) > 200:
        raise SamlError("relay_state_missing", FLOW_UNKNOWN)
    if not cookie_state:  # used up, expired, or started in another browser
        raise SamlError("flow_cookie_missing", FLOW_UNKNOWN)
    if not secrets.compare_digest(relay_state.encode(), cookie_state.encode()):
        raise SamlError("relay_state_mismatch", STATE_MISMATCH)
    flow = db.get(SamlFlow, _relay_key(relay_state))
    if flow is None:
        raise SamlError("flow_unknown", FLOW_UNKNOWN)
    claimed = db.exec(delete(SamlFlow).where(SamlFlow.id == flow.id))
    if claimed.rowcount != 1 or utcnow() >= flow.expires_at:
        raise SamlError("flow_unknown", FLOW_UNKNOWN)
    return flow


_REFUSALS = {
    "ResponseLifetimeExceed": ("expired", ANSWER_EXPIRED),
    "ToEarly": ("not_yet_valid", ANSWER_INVALID),
    "SignatureError": ("bad_signature", ANSWER_INVALID),
    "SigverError": ("bad_signature", ANSWER_INVALID),
    "IncorrectlySigned": ("bad_signature", ANSWER_INVALID),
    "UnsolicitedResponse": ("in_response_to_mismatch", ANSWER_INVALID),
    "StatusError": ("provider_error", PROVIDER_ERROR),
}


def _refusal_for(error: Exception) -> SamlError:
    for kind in type(error).__mro__:
        if kind.__name__ in _REFUSALS:
            reason, message = _REFUSALS[kind.__name__]
            return SamlError(reason, message)
        if kind.__name__.startswith("Status") and kind.__name__.endswith("Error"):
            return SamlError("provider_error", PROVIDER_ERROR)
    text = str(error).lower()
    if "recipient" in text or "destination" in text:
        return SamlError("wrong_recipient", ANSWER_INVALID)
    if "audience" in text:
        return SamlError("wrong_audience", ANSWER_INVALID)
    if "sign" in text:
        return SamlError("bad_signature", ANSWER_INVALID)
    return SamlError("invalid_response", ANSWER_INVALID)


def finish(db: Session, settings: Settings, flow: SamlFlow, saml_response: str) -> SamlIdentity:
    """Validate the posted response against the stored request; the signed-in identity."""
    if not saml_response:
        raise SamlError("response_missing", ANSWER_INVALID)
    client = _client(settings)
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={flow.request_id: flow.next_url}
        )
    except Exception as error:  # pysaml2 signals every kind of bad response with its own exception
        refused = _diagnosis(settings, saml_response) or _refusal_for(error)
        log.warning("SAML response refused: %s (%s)", refused.reason, type(error).__name__)
        raise refused from error
    assertion = response.assertion if response is not None else None
    if assertion is None or not assertion.id:  # how pysaml2 refuses, e.g., another Destination
        raise _diagnosis(settings, saml_response) or SamlError("invalid_response", ANSWER_INVALID)
    if response.in_response_to != flow.request_id:
        raise SamlError("in_response_to_mismatch", ANSWER_INVALID)
    issuer = response.issuer() or ""
    if issuer != idp_entity_id(settings):
        raise SamlError("issuer_mismatch", ANSWER_INVALID)
    name_id = response.get_subject()
    if name_id is None or not name_id.text or name_id.format != NAMEID_FORMAT_PERSISTENT:
        raise SamlError("no_persistent_subject", ANSWER_INVALID)
    remember_assertion(db, assertion.id, _expiry(assertion))
    attributes = response.ava or {}
    claims = {
        "name": _first(attributes, NAME_ATTRIBUTES),
        "email": _first(attributes, EMAIL_ATTRIBUTES),
    }
    session_index = ""
    if assertion.authn_statement and assertion.authn_statement[0].session_index:
        session_index = assertion.authn_statement[0].session_index
    return SamlIdentity(
        identity=Identity(issuer=issuer, subject=name_id.text.strip(), claims=claims, id_token=""),
        privileges=privilege_keys(attributes),
        name_id_xml=str(name_id),
        session_index=session_index[:300],
    )


def _diagnosis(settings: Settings, saml_response: str) -> SamlError | None:
    """Why pysaml2 refused a response, read from its unencrypted XML — only to name the reason
    in the audit log and message; nothing read here ever lets a response through."""
    try:
        root = SafeET.fromstring(base64.b64decode(saml_response), forbid_dtd=True)
    except (binascii.Error, ValueError, SafeET.ParseError, DefusedXmlException):
        return None
    acs = _url(settings, ACS_PATH)
    if root.get("Destination") not in (None, acs):
        return SamlError("wrong_recipient", ANSWER_INVALID)
    now = utcnow() - timedelta(seconds=settings.saml_clock_skew_seconds)
    for element in root.iter():
        name = _local(element.tag)
        if name == "SubjectConfirmationData" and element.get("Recipient") not in (None, acs):
            return SamlError("wrong_recipient", ANSWER_INVALID)
        if name == "Audience" and (element.text or "").strip() != entity_id(settings):
            return SamlError("wrong_audience", ANSWER_INVALID)
    for element in root.iter():
        limit = element.get("NotOnOrAfter")
        if limit and _local(element.tag) in ("Conditions", "SubjectConfirmationData"):
            try:
                if dt.datetime.fromtimestamp(calendar.timegm(str_to_time(limit)), dt.UTC) <= now:
                    return SamlError("expired", ANSWER_EXPIRED)
            except (ValueError, TypeError):
                return None
    return None


def _expiry(assertion: Any) -> dt.datetime:
    """When the assertion stops being acceptable (the latest time it states), plus the skew."""
    times = []
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        times.append(assertion.conditions.not_on_or_after)
    for confirmation in getattr(assertion.subject, "subject_confirmation", []) or []:
        data = confirmation.subject_confirmation_data
        if data is not None and data.not_on_or_after:
            times.append(data.not_on_or_after)
    latest = utcnow() + FLOW_LIFETIME
    for value in times:
        parsed = dt.datetime.fromtimestamp(calendar.timegm(str_to_time(value)), dt.UTC)
        latest = max(latest, parsed)
    return latest + timedelta(seconds=300)


def remember_assertion(db: Session, assertion_id: str, expires_at: dt.datetime) -> None:
    """Record an accepted assertion id; one seen before (and not yet expired) is a replay."""
    if len(assertion_id) > 200:
        raise SamlError("invalid_response", ANSWER_INVALID)
    seen = db.get(SamlAssertionSeen, assertion_id)
    if seen is not None:
        raise SamlError("replayed", ANSWER_INVALID)
    try:
        with db.begin_nested():
            db.add(SamlAssertionSeen(id=assertion_id, expires_at=expires_at))
    except IntegrityError as error:  # another instance accepted it at the same moment
        raise SamlError("replayed", ANSWER_INVALID) from error


def _first(attributes: dict[str, list], names: tuple[str, ...]) -> str:
    for name in names:
        for value in attributes.get(name, []):
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


# --- privileges (OIOSAML basic privilege profile) -------------------------------------------


def privilege_keys(attributes: dict[str, list]) -> list[str]:
    """Role-map keys: each privilege, and `privilege|constraint value` for each constraint."""
    keys: list[str] = []
    for name in PRIVILEGE_ATTRIBUTES:
        for value in attributes.get(name, []):
            for privilege, constraints in parse_privileges(value):
                keys.append(privilege)
                keys.extend(f"{privilege}|{constraint}" for constraint in constraints)
    return sorted(set(keys))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_privileges(encoded: Any) -> list[tuple[str, list[str]]]:
    """(privilege, constraint values) pairs from the base64-encoded `bpp:PrivilegeList`.

    Malformed input gives no privileges (and so no access), never an error page.
    """
    if not isinstance(encoded, str) or len(encoded) > 500_000:
        return []
    try:
        xml = base64.b64decode("".join(encoded.split()), validate=True)
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except (binascii.Error, ValueError, SafeET.ParseError, DefusedXmlException):
        log.warning("The SAML privilege attribute could not be read")
        return []
    if _local(root.tag) != "PrivilegeList":
        return []
    found = []
    for group in root:
        if _local(group.tag) != "PrivilegeGroup":
            continue
        privileges = [(e.text or "").strip() for e in group if _local(e.tag) == "Privilege"]
        constraints = [(e.text or "").strip() for e in group if _local(e.tag) == "Constraint"]
        found.extend((p, [c for c in constraints if c]) for p in privileges if p)
    return found


# --- sign-out ---------------------------------------------------------------------------------


def logout_url(settings: Settings, name_id_xml: str, session_index: str) -> str | None:
    """The IdP's SLO URL with a signed LogoutRequest (HTTP-Redirect), when it offers SLO."""
    try:
        client = _client(settings)
        idp = idp_entity_id(settings)
        services = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
    except SamlError:
        return None
    if not services:
        return None
    destination = services[0]["location"]
    name_id = name_id_from_string(name_id_xml)
    if not isinstance(name_id, NameID):
        return None
    _request_id, request = client.create_logout_request(
        destination,
        idp,
        name_id=name_id,
        reason="urn:oasis:names:tc:SAML:2.0:logout:user",
        session_indexes=[session_index] if session_index else None,
        sign=False,  # HTTP-Redirect signs the query string instead
    )
    info = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(request),
        destination,
        relay_state=secrets.token_urlsafe(16),
        sign=True,
        sigalg=SIGN_ALG,
    )
    return dict(info["headers"])["Location"]


def logout_response_ok(settings: Settings, saml_response: str) -> bool:
    """Whether the IdP's LogoutResponse (HTTP-Redirect) says the logout succeeded."""
    try:
        response = _client(settings).parse_logout_request_response(saml_response, BINDING_HTTP_REDIRECT)
    except Exception as error:
        log.info("SAML logout response refused: %s", type(error).__name__)
        return False
    return response is not None and response.status_ok()


# --- the identity provider's certificate ------------------------------------------------------


def idp_certificate_expiry(settings: Settings) -> dt.datetime | None:
    """When the earliest of the IdP's signing certificates expires (None when not configured)."""
    if not settings.saml_idp_metadata:
        return None
    try:
        config = _config(settings)
        certs = config.metadata.certs(idp_entity_id(settings), "idpsso", "signing")
    except SamlError:
        return None
    expiries = []
    for _name, pem in certs:
        body = "".join(line for line in pem.splitlines() if "-----" not in line)
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(body))
        except (ValueError, binascii.Error):
            continue
        expiries.append(cert.not_valid_after_utc)
    return min(expiries) if expiries else None


@dataclass
class CertificateStatus:
    expires_at: dt.datetime
    state: str  # "ok", "soon" (within 30 days) or "expired"


def idp_certificate_status(settings: Settings) -> CertificateStatus | None:
    """The IdP signing certificate's expiry for the admin's start page (None without SAML)."""
    expires_at = idp_certificate_expiry(settings)
    if expires_at is None:
        return None
    return CertificateStatus(expires_at, expiry_state(expires_at, utcnow()))


def purge_expired(db: Session) -> None:
    now = utcnow()
    db.exec(delete(SamlFlow).where(SamlFlow.expires_at < now))
    db.exec(delete(SamlAssertionSeen).where(SamlAssertionSeen.expires_at < now))


def remember_login(db: Session, session_id: str, signed_in: SamlIdentity) -> None:
    """Keep the subject behind a new session, for the LogoutRequest at sign-out."""
    db.flush()  # the session row first (the foreign key)
    db.add(
        SamlLogin(session_id=session_id, name_id=signed_in.name_id_xml, session_index=signed_in.session_index)
    )


def logout_url_for_session(db: Session, settings: Settings, session_id: str | None) -> str | None:
    """The IdP's SLO URL for a session that came from SAML sign-in (None for any other)."""
    if not session_id or not settings.saml_idp_metadata:
        return None
    login = db.get(SamlLogin, session_id)
    if login is None:
        return None
    return logout_url(settings, login.name_id, login.session_index)
