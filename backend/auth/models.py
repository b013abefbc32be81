"""Sessions every app instance can check, sign-in attempts and the devices holding data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow


class WebSession(SQLModel, table=True):
    """A signed-in session; `id` is the SHA-256 of the cookie's token, never the token."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    device_id: str | None = Field(default=None, max_length=36)
    ip: str = Field(default="", max_length=45)
    user_agent: str = Field(default="", max_length=300)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, max_length=150)
    ip: str = Field(default="", index=True, max_length=45)
    succeeded: bool = False
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Device(SQLModel, table=True):
    """A phone or browser that holds a user's offline data (id generated on the device)."""

    id: str = Field(primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    label: str = Field(default="", max_length=300)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by_id: str | None = Field(default=None, max_length=36)
    #: When the revoked device last contacted the server and was told to wipe its data.
    wiped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: How the device guards the offline data it holds, as the phone told us (issue 20): "pin",
    #: "passkey" or both, "passkey+pin" (`backend.domain.protection`; None: not protected); and
    #: when it said so.
    protection: str | None = Field(default=None, max_length=20)
    protected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TotpCredential(SQLModel, table=True):
    """A local user's confirmed TOTP secret (sealed with the installation's secret key).

    `last_used_step` is the RFC 6238 time step of the last accepted code: a code from that step or
    an earlier one is never accepted again.
    """

    __tablename__ = "totp_credential"

    user_id: str = Field(foreign_key="app_user.id", primary_key=True, max_length=36)
    secret_sealed: str = Field(max_length=200)
    last_used_step: int | None = Field(default=None, sa_type=BigInteger)
    confirmed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecoveryCode(SQLModel, table=True):
    """A one-time recovery code; only its SHA-256 is stored (the code carries 80 random bits)."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PendingSignIn(SQLModel, table=True):
    """The half-signed-in state between a right password and the second factor.

    It is not a session: nothing but the second-factor pages reads it. `id` is the SHA-256 of the
    cookie's token. For `purpose == "enrol"` it holds the not yet confirmed, sealed TOTP secret.
    """

    __tablename__ = "pending_sign_in"

    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="app_user.id", index=True, max_length=36)
    purpose: str = Field(max_length=10)  # "verify" or "enrol"
    next_url: str = Field(default="/", max_length=2000)
    secret_sealed: str | None = Field(default=None, max_length=200)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OidcFlow(SQLModel, table=True):
    """One started single sign-on: kept in the database so any app instance can finish it.

    `id` is the SHA-256 of the `state` value (which the browser also holds in a cookie).
    """

    __tablename__ = "oidc_flow"

    id: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=200)
    next_url: str = Field(default="/", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OidcLogin(SQLModel, table=True):
    """The ID token behind a single sign-on session, for RP-initiated logout (`id_token_hint`)."""

    __tablename__ = "oidc_login"

    session_id: str = Field(foreign_key="web_session.id", primary_key=True, max_length=64, ondelete="CASCADE")
    id_token: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SamlFlow(SQLModel, table=True):
    """One started SAML sign-in: the AuthnRequest's id, kept so any app instance can finish it.

    `id` is the SHA-256 of the RelayState the identity provider sends back with the response.
    """

    __tablename__ = "saml_flow"

    id: str = Field(primary_key=True, max_length=64)
    request_id: str = Field(max_length=100)
    next_url: str = Field(default="/", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SamlAssertionSeen(SQLModel, table=True):
    """An accepted assertion's id, remembered until the assertion expires: a replay is refused."""

    __tablename__ = "saml_assertion_seen"

    id: str = Field(primary_key=True, max_length=200)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SamlLogin(SQLModel, table=True):
    """The subject behind a SAML session, for the single-logout request to the identity provider."""

    __tablename__ = "saml_login"

    session_id: str = Field(foreign_key="web_session.id", primary_key=True, max_length=64, ondelete="CASCADE")
    name_id: str = Field(sa_type=Text)  # the NameID element as XML
    session_index: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
