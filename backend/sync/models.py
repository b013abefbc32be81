"""The installation's sealing keys (issue 20): what a phone queues while locked reaches the server
sealed to one of them (`backend/sync/sealing.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from backend.db import JSONType, UTCDateTime, utcnow


class SealingKey(SQLModel, table=True):
    """An ECDH P-256 key pair. The newest generation is the current key (the one phones are given);
    older ones stay to open what was sealed to them. The private key is stored sealed with the
    installation's secret key (`OPSPOR_SECRET_KEY`), as the TOTP secrets are."""

    __tablename__ = "sealing_key"

    kid: str = Field(primary_key=True, max_length=43)
    #: 1 for the first key, one more for each rotation; unique, so instances racing to make a key
    #: agree on one.
    generation: int = Field(unique=True)
    public_jwk: dict = Field(sa_column=Column(JSONType, nullable=False))
    private_sealed: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
