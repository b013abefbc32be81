"""The server's VAPID key pair: generated on first start, kept in the database.

Several app instances share one key: the first instance to start inserts it (a conflicting
insert from another instance is ignored) and everyone then reads the stored one.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from backend.db import utcnow
from backend.reminders.models import ServerKey

KEY_NAME = "vapid"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _new_key_pair() -> tuple[str, str]:
    """(private value, public point), both base64url: 32 raw bytes and 65 uncompressed bytes."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_raw = private.private_numbers().private_value.to_bytes(32, "big")
    public_raw = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(private_raw), b64url(public_raw)


def ensure_vapid_key(db: Session) -> ServerKey:
    """The stored key pair, made now if there is none (safe when instances race).

    Runs in the caller's transaction; the caller commits."""
    key = db.get(ServerKey, KEY_NAME)
    if key is not None:
        return key
    private_value, public_value = _new_key_pair()
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ServerKey.__table__)
        .values(name=KEY_NAME, private_value=private_value, public_value=public_value, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    db.execute(statement)
    return db.exec(select(ServerKey).where(ServerKey.name == KEY_NAME)).one()


def ensure_vapid_key_at_start(engine: Engine) -> None:
    from backend.db import new_session

    with new_session(engine) as db:
        ensure_vapid_key(db)
        db.commit()


def public_key(db: Session) -> str:
    return ensure_vapid_key(db).public_value


def signer(key: ServerKey) -> Vapid:
    """A py_vapid signer for the stored private key (pywebpush takes it as is)."""
    return Vapid.from_raw(key.private_value.encode())
