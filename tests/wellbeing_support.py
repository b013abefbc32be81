"""Helpers for the well-being round tests."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
from sqlmodel import Session, select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.domain.wellbeing import AREAS
from backend.records.models import EvaluationRound
from tests.support import unit_named, user_named

CM, INST, HV = "Dagplejen Syd", "Børnehuset Solsikken", "Sundhedsplejen Nord"


def open_round(
    client: httpx.Client, unit_id: str, name: str = "Efterår", opens_on: date | None = None, weeks: int = 5
) -> httpx.Response:
    """POST the leader's form (the client carries the CSRF header from `login`)."""
    opens_on = opens_on or today()
    return client.post(
        f"/units/{unit_id}/rounds",
        data={
            "name": name,
            "opens_on": opens_on.isoformat(),
            "closes_on": (opens_on + timedelta(weeks=weeks, days=-1)).isoformat(),
        },
    )


def round_id_from(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return re.search(r"/rounds/([0-9a-f-]{36})", response.headers["location"]).group(1)


def add_round(db: Session, unit_name: str, opens_on: date, closes_on: date, name: str = "Runde") -> str:
    """A round stored directly (for dates the leader's form would refuse today)."""
    evaluation_round = EvaluationRound(
        unit_id=unit_named(db, unit_name).id,
        name=name,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by_id=user_named(db, "demo-leder").id,
    )
    db.add(evaluation_round)
    db.commit()
    return evaluation_round.id


def mark(round_id: str, overall: str = "thriving", kind: str = "individual", **extra: object) -> dict:
    """Well-being data with every area at `overall`, unless `areas` is given."""
    data = {"round_id": round_id, "kind": kind, "areas": {key: overall for key in AREAS}, "overall": overall}
    data.update(extra)
    return data


def joint(round_id: str, overall: str = "thriving", **extra: object) -> dict:
    values = {
        "summary": "Ida leger gerne med de andre og fortæller glad om sin dag.",
        "decision": "none" if overall == "thriving" else "dialogue_meeting",
        **extra,
    }
    return mark(round_id, overall, kind="joint", **values)


def audit_actions(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action)))
