"""Two-factor sign-in for local accounts: TOTP (RFC 6238) and one-time recovery codes.

- The secret is stored sealed (AES-GCM with a key derived from `OPSPOR_SECRET_KEY`), so a copy of
  the database alone does not give away second factors. Every app instance needs the same key.
- A code is accepted within one 30-second step either side of now, and only for a time step later
  than the last accepted one (`last_used_step`, updated atomically): a replayed code is refused
  even on another app instance.
- Recovery codes carry 80 random bits, are shown once and stored as SHA-256; each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import or_, update
from sqlmodel import Session, delete, func, select

from backend.auth.models import RecoveryCode, TotpCredential
from backend.config import Settings
from backend.db import utcnow
from backend.domain.numbers import is_digits

STEP_SECONDS = 30
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
ISSUER_NAME = "Opspor"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 16  # 16 characters of a 31-letter alphabet: ~79 bits


class SealBroken(Exception):
    """A sealed secret could not be opened (another OPSPOR_SECRET_KEY, or tampered with)."""


@dataclass(frozen=True)
class Check:
    ok: bool
    method: str = ""  # "totp" or "recovery"
    reason: str = ""  # "wrong", "replayed" or "unreadable"


# --- secrets ----------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32(32)


def _key(settings: Settings) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"opspor totp secret")
    return hkdf.derive(settings.secret_key.encode())


def seal(settings: Settings, secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(settings)).encrypt(nonce, secret.encode(), b"totp")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Settings, sealed: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(_key(settings)).decrypt(raw[:12], raw[12:], b"totp").decode()
    except (InvalidTag, ValueError) as error:
        raise SealBroken from error


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER_NAME)


def qr_code_data_uri(uri: str) -> str:
    """The otpauth URI as a QR code: an SVG data URI for an <img> (the CSP allows data: images)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#10303a")


def spaced(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- codes ------------------------------------------------------------------------------------


def current_step() -> int:
    return int(utcnow().timestamp()) // STEP_SECONDS


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def _matching_step(secret: str, code: str) -> int | None:
    code = _digits(code)
    if len(code) != 6 or not is_digits(code):
        return None
    totp = pyotp.TOTP(secret)
    now = current_step()
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def looks_like_totp(code: str) -> bool:
    code = _digits(code)
    return len(code) == 6 and is_digits(code)


def check_code(db: Session, settings: Settings, user_id: str, code: str) -> Check:
    """Check a TOTP code or a recovery code for the user; a success is used up at once."""
    if looks_like_totp(code):
        return _check_totp(db, settings, user_id, code)
    return _check_recovery_code(db, user_id, code)


def _check_totp(db: Session, settings: Settings, user_id: str, code: str) -> Check:
    credential = db.get(TotpCredential, user_id)
    if credential is None:
        return Check(False, "totp", "wrong")
    try:
        secret = unseal(settings, credential.secret_sealed)
    except SealBroken:
        return Check(False, "totp", "unreadable")
    step = _matching_step(secret, code)
    if step is None:
        return Check(False, "totp", "wrong")
    claimed = db.exec(
        update(TotpCredential)
        .where(
            TotpCredential.user_id == user_id,
            or_(TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step),
        )
        .values(last_used_step=step)
    )
    db.expire(credential)
    if claimed.rowcount != 1:
        return Check(False, "totp", "replayed")
    return Check(True, "totp")


# --- recovery codes ---------------------------------------------------------------------------


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise_recovery(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def new_recovery_codes(db: Session, user_id: str) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the plain codes are returned once."""
    db.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.add(RecoveryCode(user_id=user_id, code_hash=_hash_recovery(code)))
    return codes


def _check_recovery_code(db: Session, user_id: str, code: str) -> Check:
    normalised = _normalise_recovery(code)
    if len(normalised) != _RECOVERY_LENGTH:
        return Check(False, "recovery", "wrong")
    used = db.exec(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _hash_recovery(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        return Check(False, "recovery", "wrong")
    return Check(True, "recovery")


def recovery_codes_left(db: Session, user_id: str) -> int:
    query = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    return db.exec(query).one()


# --- enrolment and reset ----------------------------------------------------------------------


def is_enrolled(db: Session, user_id: str) -> bool:
    return db.get(TotpCredential, user_id) is not None


def enrolled_at(db: Session, user_id: str):
    credential = db.get(TotpCredential, user_id)
    return credential.confirmed_at if credential else None


def confirm_enrolment(
    db: Session, settings: Settings, user_id: str, secret: str, code: str
) -> list[str] | None:
    """Store the secret when `code` proves the app has it; returns the new recovery codes."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    db.exec(delete(TotpCredential).where(TotpCredential.user_id == user_id))
    db.add(TotpCredential(user_id=user_id, secret_sealed=seal(settings, secret), last_used_step=step))
    return new_recovery_codes(db, user_id)


def reset(db: Session, user_id: str) -> bool:
    """Remove the user's second factor (they enrol again at their next sign-in)."""
    had = is_enrolled(db, user_id)
    db.exec(delete(TotpCredential).where(TotpCredential.user_id == user_id))
    db.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    return had
