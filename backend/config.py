"""All settings in one object, read from OPSPOR_* environment variables."""

from __future__ import annotations

import json
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_DIR / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPSPOR_", extra="ignore")

    database_url: str = f"sqlite:///{VAR_DIR / 'opspor.db'}"
    #: PostgreSQL: the connections each server process keeps open (and never more). Requests
    #: beyond it wait for one; none is opened and closed per request under load.
    database_pool_size: int = Field(default=20, ge=1)
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    demo: bool = False

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "opspor@localhost"

    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_groups_claim: str = "groups"
    oidc_scopes: str = "openid profile email"
    oidc_role_map: dict[str, list[dict[str, str]]] = Field(default_factory=dict)

    #: The parents' citizen sign-in (MitID through the municipality's OpenID Connect broker):
    #: with an issuer set, a parent's link offers "Log ind med MitID" besides the code, matched
    #: to the invited guardian by the CPR number in `citizen_oidc_cpr_claim`.
    citizen_oidc_issuer: str = ""
    citizen_oidc_client_id: str = ""
    citizen_oidc_client_secret: str = ""
    citizen_oidc_scopes: str = "openid ssn"
    citizen_oidc_cpr_claim: str = "dk.cpr"

    #: The SAML identity provider's metadata (a file path or an https URL); empty: no SAML sign-in.
    saml_idp_metadata: str = ""
    #: The service provider's key and certificate (PEM files); generated into var/ when empty.
    saml_sp_key: str = ""
    saml_sp_cert: str = ""
    #: The SP's entity id; default `<base_url>/auth/saml/metadata`.
    saml_entity_id: str = ""
    #: privilege (or "privilege|constraint value") → [{"role", "unit_id"}], like oidc_role_map.
    saml_role_map: dict[str, list[dict[str, str]]] = Field(default_factory=dict)
    #: Allowed clock difference with the identity provider (NotBefore/NotOnOrAfter), in seconds.
    saml_clock_skew_seconds: int = 60

    session_idle_minutes: int = 240
    session_max_hours: int = 12
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    max_body_bytes: int = 1_000_000
    run_scheduler: bool = True
    #: "production" (argon2id at argon2-cffi's RFC 9106 strength) or "test" (tiny parameters, only
    #: for the test suite: hashing at full strength there costs minutes and proves nothing more).
    password_hash_profile: Literal["production", "test"] = "production"  # noqa: S105 - not a password
    release: str = "1"

    #: Addresses (comma-separated, or `*`) whose X-Forwarded-For/-Proto headers are believed.
    trusted_proxies: str = "127.0.0.1"
    #: Argon2 hashings/verifications at a time; sign-ins beyond it wait without holding a thread.
    password_hash_workers: int = 2
    #: `/metrics` answers loopback clients; with a token, also others sending `Authorization: Bearer`.
    metrics_token: str = ""

    @field_validator("oidc_role_map", "saml_role_map", mode="before")
    @classmethod
    def _parse_role_map(cls, value: object) -> object:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @property
    def sso_enabled(self) -> bool:
        """Single sign-on of either kind (OpenID Connect, SAML) is configured."""
        return bool(self.oidc_issuer or self.saml_idp_metadata)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_from_var() -> str:
    """A per-installation secret kept in var/ when OPSPOR_SECRET_KEY is not set."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    if not settings.secret_key:
        settings.secret_key = _secret_from_var()
    return settings
