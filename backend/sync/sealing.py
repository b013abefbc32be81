"""Items sealed to the server (issue 20): a locked phone cannot read its own outbox, so it sends
each queued write and offline read sealed to the installation's public key, and the server opens
them here before deciding them as plain ones (`backend/sync/batch.py`).

The envelope, as `pwa/seal.js` makes it: `{"sealed": {"v": 1, "kid", "epk", "iv", "ct"}}`
(base64url without padding). An ephemeral ECDH P-256 key `epk` (65 raw bytes) with the key `kid`
gives a shared secret; HKDF-SHA256(shared, salt = epk, info "opspor sealed v1") is the AES-256-GCM
key; the kid is the additional data; the plaintext is the value's UTF-8 JSON.

The key pairs live in the database (`sealing_key`), made on first use and shared by every
instance; a private key is stored sealed with `OPSPOR_SECRET_KEY` (as the TOTP secrets are). A
rotation adds a new current key; older keys keep opening what was sealed to them.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, func, select

from backend.config import Settings
from backend.db import utcnow
from backend.sync.models import SealingKey

VERSION = 1
INFO = b"opspor sealed v1"
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_FIELDS = ("kid", "epk", "iv", "ct")


class Unopenable(Exception):
    """A sealed item that cannot be opened; `reason` names why without telling anything inside:
    "form" (not an envelope), "kid" (no such key), "tag" (tampered with, or sealed to another key),
    "json" (opened, but not JSON)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(value: Any) -> bytes:
    if not isinstance(value, str) or not _B64URL.match(value) or len(value) % 4 == 1:
        raise Unopenable("form")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and "sealed" in value


# --- the envelope --------------------------------------------------------------------------------


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def _aes_key(private: ec.EllipticCurvePrivateKey, public: ec.EllipticCurvePublicKey, epk: bytes) -> AESGCM:
    shared = private.exchange(ec.ECDH(), public)
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=epk, info=INFO).derive(shared))


def _raw_point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def seal(kid: str, recipient: ec.EllipticCurvePublicKey, value: Any) -> dict[str, Any]:
    """The envelope `pwa/seal.js` makes, made here (tests; the same format both ways)."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    epk = _raw_point(ephemeral.public_key())
    iv = secrets.token_bytes(12)
    plain = json.dumps(value, ensure_ascii=False).encode()
    ct = _aes_key(ephemeral, recipient, epk).encrypt(iv, plain, kid.encode())
    return {"sealed": {"v": VERSION, "kid": kid, "epk": b64url(epk), "iv": b64url(iv), "ct": b64url(ct)}}


def open_sealed(keys: dict[str, ec.EllipticCurvePrivateKey], envelope: Any) -> Any:
    """The value inside an envelope sealed to one of `keys` (by kid); Unopenable otherwise."""
    inner = envelope.get("sealed") if isinstance(envelope, dict) else None
    if not isinstance(inner, dict) or inner.get("v") != VERSION:
        raise Unopenable("form")
    if not all(isinstance(inner.get(name), str) for name in _FIELDS):
        raise Unopenable("form")
    epk, iv, ct = (b64url_decode(inner[name]) for name in ("epk", "iv", "ct"))
    if len(epk) != 65 or len(iv) != 12:
        raise Unopenable("form")
    private = keys.get(inner["kid"])
    if private is None:
        raise Unopenable("kid")
    try:
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
        plain = _aes_key(private, sender, epk).decrypt(iv, ct, inner["kid"].encode())
    except (InvalidTag, ValueError) as error:
        raise Unopenable("tag") from error
    try:
        return json.loads(plain.decode("utf-8"))
    except ValueError as error:
        raise Unopenable("json") from error


# --- the installation's keys ---------------------------------------------------------------------


def _storage_key(settings: Settings) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"opspor sealing key")
    return AESGCM(hkdf.derive(settings.secret_key.encode()))


def _private_sealed(settings: Settings, kid: str, private: ec.EllipticCurvePrivateKey) -> str:
    nonce = secrets.token_bytes(12)
    raw = private.private_numbers().private_value.to_bytes(32, "big")
    return b64url(nonce + _storage_key(settings).encrypt(nonce, raw, kid.encode()))


def _private_key(settings: Settings, key: SealingKey) -> ec.EllipticCurvePrivateKey | None:
    """The stored private key, or None when it cannot be opened (another secret key)."""
    try:
        raw = b64url_decode(key.private_sealed)
        value = _storage_key(settings).decrypt(raw[:12], raw[12:], key.kid.encode())
    except (Unopenable, InvalidTag, ValueError):
        return None
    return ec.derive_private_key(int.from_bytes(value, "big"), ec.SECP256R1())


def _add_key(db: Session, settings: Settings, generation: int) -> None:
    """Insert a new key pair as `generation` (ignored when another instance got there first)."""
    private = ec.generate_private_key(ec.SECP256R1())
    kid = b64url(secrets.token_bytes(16))
    values = {
        "kid": kid,
        "generation": generation,
        "public_jwk": public_jwk(private.public_key()),
        "private_sealed": _private_sealed(settings, kid, private),
        "created_at": utcnow(),
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(SealingKey.__table__).values(**values).on_conflict_do_nothing())


def current_key(db: Session, settings: Settings) -> SealingKey:
    """The key phones seal to now, made on first use (safe when instances race). Runs in the
    caller's transaction; the caller commits."""
    key = db.exec(select(SealingKey).order_by(SealingKey.generation.desc()).limit(1)).first()
    if key is not None:
        return key
    _add_key(db, settings, 1)
    return db.exec(select(SealingKey).order_by(SealingKey.generation.desc()).limit(1)).one()


def rotate(db: Session, settings: Settings) -> SealingKey:
    """A new current key; the older ones keep opening what was sealed to them."""
    newest = db.exec(select(func.max(SealingKey.generation))).one() or 0
    _add_key(db, settings, newest + 1)
    return current_key(db, settings)


def recipient(db: Session, settings: Settings) -> dict[str, Any]:
    """`GET /api/sync/key`: the current key's id and public JWK. When the current key no longer
    opens (`OPSPOR_SECRET_KEY` was changed), a new one is made: phones seal to what the server can
    open (what was sealed to the old keys is refused, item by item)."""
    key = current_key(db, settings)
    if _private_key(settings, key) is None:
        key = rotate(db, settings)
    return {"kid": key.kid, "jwk": key.public_jwk}


def private_keys(db: Session, settings: Settings) -> dict[str, ec.EllipticCurvePrivateKey]:
    """Every key that opens, by kid (one query; only asked when a batch holds a sealed item)."""
    keys = {key.kid: _private_key(settings, key) for key in db.exec(select(SealingKey))}
    return {kid: key for kid, key in keys.items() if key is not None}
