"""What every admin service needs: the caller's database session, audit trail and user."""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.domain.messages import N_
from backend.people.models import User


class AdminContext(Protocol):
    """The request context satisfies this."""

    db: Session
    audit: AuditTrail
    user: User | None


class AdminError(ValueError):
    """A refused change; `message` is Danish and safe to show, `field` names the form field."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


ROLE_LABELS: dict[str, str] = {
    "health_visitor": N_("Sundhedsplejerske"),
    "childminder": N_("Dagplejer"),
    "childminder_supervisor": N_("Dagplejepædagog"),
    "pedagogue": N_("Pædagog"),
    "leader": N_("Leder"),
    "admin": "Kommunal administrator",
    "partner": "Samarbejdspartner",
}


def clean_line(value: str, max_length: int) -> str:
    """One line of text: printable characters, single spaces, at most `max_length`."""
    text = "".join(ch for ch in value if ch.isprintable())
    return " ".join(text.split())[:max_length]
