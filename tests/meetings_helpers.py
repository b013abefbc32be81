"""Helpers for the dialogue-meeting and reflection tests."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel import Session, select

from backend.domain.dates import today
from backend.people.models import Child, Guardian
from tests.support import put_record

INSTITUTION = "Børnehuset Solsikken"
CHILDMINDING = "Dagplejen Syd"


def day(offset: int = 0) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def meeting(**extra: object) -> dict:
    """A complete dialogue meeting with parents and own staff only."""
    return {
        "held_on": day(-1),
        "purpose": "Tale om afleveringen om morgenen",
        "participants": [
            {"name": "Mor Hansen", "role": "parent"},
            {"name": "Jonas Krogh", "role": "staff", "organisation": "Pædagog"},
        ],
        "going_well": "Leger godt",
        "challenges": "Afleveringen",
        "possibilities": "Fast voksen",
        "agreements": [
            {"what": "Jonas tager imod om morgenen", "who": "Jonas", "due_on": day(7)},
            {"what": "Far laver en fast afsked", "who": "Far", "due_on": day(14)},
        ],
        "best_today": "Latteren",
        **extra,
    }


def with_external(data: dict) -> dict:
    return {
        **data,
        "participants": [
            *data["participants"],
            {"name": "Sara Holt", "role": "external", "organisation": "PPR"},
        ],
    }


def reflection(**extra: object) -> dict:
    return {
        "held_on": day(-1),
        "situation": "Slår ud ved samling",
        "adult_perspective": "Vi flyttede barnet",
        "child_perspective": "Jeg bliver bange, når de sidder tæt",
        "hand_needed": "big",
        "hand_offered": "small",
        "analysis": "Barnet havde brug for tryghed",
        "trial_actions": [
            {"what": "En voksen sidder ved siden af", "follow_up_on": day(10)},
            {"what": "Barnet vælger plads først", "follow_up_on": day(20)},
        ],
        **extra,
    }


def anonymous(**extra: object) -> dict:
    return reflection(**{"anonymous": True, "age_band": "1-3", **extra})


def guardian_of(db: Session, child: Child) -> Guardian:
    return db.exec(select(Guardian).where(Guardian.child_id == child.id)).first()


def give_consent(
    client: httpx.Client,
    db: Session,
    child: Child,
    kind: str,
    scope: str,
    state: str = "given",
    at: str = "08:00:00",
) -> httpx.Response:
    guardian = guardian_of(db, child)
    response = put_record(
        client,
        "consent",
        child.id,
        {
            "kind": kind,
            "scope": scope,
            "state": state,
            "guardian": guardian.id,
            "decided_at": f"{day()}T{at}",
            "evidence": {"typed_name": guardian.name},
        },
    )
    assert response.status_code == 201, response.text
    return response
