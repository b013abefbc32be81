"""Demo records of every kind, so every screen has something to show (`opspor demo-data`).

Each area adds a loader module under `backend/records/demo_loaders/` and lists it in LOADERS;
a loader gets the demo world (units, users, children by unit, today) and writes through
`save_as`, the same write path as everyone else — so the rules create the tasks they would
create for real.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth.policy import Scope, load_scope
from backend.domain.settings import MunicipalSettings, load_settings
from backend.people.models import Child, Municipality, Unit, User

#: Loader modules, in order; each defines `load(world: DemoWorld) -> None`.
LOADERS = [
    "backend.records.demo_loaders.adbb",
    "backend.records.demo_loaders.meetings",
    "backend.records.demo_loaders.wellbeing",
    "backend.records.demo_loaders.transitions",
    "backend.records.demo_loaders.overview",
    "backend.parents.demo",  # issue 15: an invitation waiting, a preparation that came back
    "backend.forums.demo",  # issue 16: Solsikken's resource team with a planned meeting
    "backend.records.demo_loaders.reminders",  # keep last: it reads what the others made
]


@dataclass
class DemoActor:
    """Satisfies the write path's Actor for a demo user."""

    db: Session
    user: User
    audit: AuditTrail
    scope: Scope
    municipal: MunicipalSettings
    device_id: str | None = None


@dataclass
class DemoWorld:
    db: Session
    municipality: Municipality
    units: dict[str, Unit]  # "hv", "cm", "inst"
    users: dict[str, User]  # by username
    children: dict[str, list[Child]]  # by unit key, youngest first
    today: date
    records: dict[str, Any] = field(default_factory=dict)  # loaders may share what they made

    def actor(self, username: str) -> DemoActor:
        user = self.users[username]
        return DemoActor(
            db=self.db,
            user=user,
            audit=AuditTrail(actor_id=user.id),
            scope=load_scope(self.db, user),
            municipal=load_settings(self.municipality.settings),
        )

    def save_as(
        self,
        username: str,
        record_type: str,
        child: Child | None,
        data: dict,
        *,
        status: str = "final",
        unit_id: str | None = None,
        record_id: str | None = None,
    ) -> Any:
        """Save a record through the write path; fails loudly if the demo data is invalid."""
        from backend.records.service import save_record

        actor = self.actor(username)
        body = {
            "type": record_type,
            "child_id": child.id if child else None,
            "unit_id": unit_id,
            "base_version": None,
            "status": status,
            "data": data,
        }
        result = save_record(actor, record_id or str(uuid4()), body)
        if result.status != 201:
            raise RuntimeError(f"demo {record_type} refused: {result.status} {result.errors}")
        actor.audit.flush(self.db)
        return result.record


def load_demo_records(world: DemoWorld) -> None:
    for name in LOADERS:
        importlib.import_module(name).load(world)
