"""Helpers for the parents' MitID sign-in tests (issue 15): CPR numbers the test broker vouches
for, and an invitation made by the health visitor on a running app (`tests/oidc_support.py`)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from backend.domain.dates import today
from backend.people.models import Guardian
from tests.oidc_support import Sso
from tests.parents_support import HEALTH_VISITOR, guardians, hv_child, invite
from tests.support import login, put_record, unit_named

#: The invited guardian's CPR number, and someone else's (as the test broker's `dk.cpr` claim).
MOTHER_CPR = "0101901234"
NEIGHBOUR_CPR = "0202902345"


def transition_for_data(db) -> dict:
    """A draft transition description's data (the health visitor's child moves to Dagplejen Syd)."""
    return {
        "to_unit_id": unit_named(db, "Dagplejen Syd").id,
        "starts_on": (today() + timedelta(days=40)).isoformat(),
        "professional_part": {"strengths": "Smiler meget"},
    }


def invitation_for(sso: Sso, guardian_cpr: str | None) -> tuple[dict, Guardian]:
    """The health visitor invites a child's first guardian to the parents' part (the guardian's
    CPR number recorded as given). The test's own database sessions are short: on SQLite a
    session holds the write lock."""
    with sso.session() as db:
        child = hv_child(db)
        guardian = guardians(db, child)[0]
        guardian.cpr = guardian_cpr
        db.add(guardian)
        db.commit()
        db.refresh(guardian)
        db.expunge(guardian)
        db.expunge(child)
    with httpx.Client(base_url=sso.app.url, timeout=30) as staff:
        login(staff, HEALTH_VISITOR)
        with sso.session() as db:
            record = transition_for_data(db)
        response = put_record(staff, "transition", child.id, record, status="draft")
        assert response.status_code == 201, response.text
        response = invite(staff, response.json()["id"], guardian.id)
        assert response.status_code == 201, response.text
        return response.json(), guardian
