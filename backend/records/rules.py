"""Per-type hooks of the write path: checks that need context, derived values, effects.

The service calls, for a record of kind K, `K.rules.check(write)` (see `records/registry.py`),
then `.derive(write)`, then after storing `.after_save(write, record)` (tasks, sharing,
e-mails). Pure decisions are made by functions in `backend/domain/`; these hooks only fetch what
they need and apply them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth.policy import Scope
from backend.domain.settings import MunicipalSettings
from backend.people.models import Child, User
from backend.records.models import Record
from backend.records.types import Part

EARLIEST = date(2000, 1, 1)
FUTURE_LIMIT = timedelta(days=5 * 365)


class Actor(Protocol):
    """Who is writing: the request context satisfies this."""

    db: Session
    user: User | None
    audit: AuditTrail

    @property
    def scope(self) -> Scope: ...

    @property
    def municipal(self) -> MunicipalSettings: ...

    @property
    def device_id(self) -> str | None: ...


@dataclass
class Write:
    """One write being checked and applied."""

    actor: Actor
    record_id: str
    type: str
    status: str
    child: Child | None
    unit_id: str
    data: Part
    existing: Record | None
    today: date
    errors: list[dict[str, str]] = field(default_factory=list)
    #: The status before this write (`existing` is updated in place when the write is stored).
    previous_status: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.previous_status = self.existing.status if self.existing is not None else None

    @property
    def db(self) -> Session:
        return self.actor.db

    @property
    def user(self) -> User:
        assert self.actor.user is not None
        return self.actor.user

    @property
    def is_final(self) -> bool:
        return self.status == "final"

    @property
    def became_final(self) -> bool:
        return self.is_final and self.previous_status != "final"

    def error(self, path: str, message: str) -> None:
        self.errors.append({"field": f"data.{path}", "message": message})

    def past_date(self, path: str, value: date | None, *, not_before_birth: bool = True) -> None:
        """A date something happened: not in the future, not before the child was born."""
        if value is None:
            return
        if value > self.today:
            self.error(path, "Datoen ligger i fremtiden.")
        elif value < EARLIEST:
            self.error(path, "Datoen er for langt tilbage.")
        elif not_before_birth and self.child is not None and value < self.child.birth_date:
            self.error(path, "Datoen ligger før barnets fødsel.")

    def planned_date(self, path: str, value: date | None) -> None:
        """A date something is planned for: not absurdly far ahead, not before 2000."""
        if value is None:
            return
        if value > self.today + FUTURE_LIMIT:
            self.error(path, "Datoen ligger for langt ude i fremtiden.")
        elif value < EARLIEST:
            self.error(path, "Datoen er for langt tilbage.")


class RecordRules:
    """Default hooks: nothing beyond the kind's schema and required fields (a kind's `rules`)."""

    def prepare(self, write: Write) -> None:
        """Fill in values the server makes (e.g. list rows' stable keys) before storing."""

    def check(self, write: Write) -> None:
        """Add field errors to `write.errors`."""

    def derive(self, write: Write) -> dict[str, Any]:
        return {}

    def after_save(self, write: Write, record: Record) -> None:
        """Create or close tasks, share, notify."""
