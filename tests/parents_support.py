"""Helpers for the parent-invitation tests (issue 15)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.domain.dates import today
from backend.people.models import Child, Guardian
from tests.support import children_of_unit, login, put_record, unit_named

HEALTH_VISITOR = "demo-sundhedsplejerske"


def hv_child(db: Session, index: int = 0) -> Child:
    """A child of Sundhedsplejen Nord with at least one guardian."""
    children = [c for c in children_of_unit(db, "Sundhedsplejen Nord") if guardians(db, c)]
    return children[index]


def guardians(db: Session, child: Child) -> list[Guardian]:
    return list(db.exec(select(Guardian).where(Guardian.child_id == child.id)))


def transition_for(client: httpx.Client, db: Session, child: Child, **extra: object) -> dict:
    """A draft transition description by the health visitor (signed in on `client`)."""
    data = {
        "to_unit_id": unit_named(db, "Dagplejen Syd").id,
        "starts_on": (today() + timedelta(days=40)).isoformat(),
        "professional_part": {"strengths": "Smiler meget"},
        **extra,
    }
    response = put_record(client, "transition", child.id, data, status="draft")
    assert response.status_code == 201, response.text
    return response.json()


def meeting_for(client: httpx.Client, child: Child) -> dict:
    data = {"planned_on": (today() + timedelta(days=10)).isoformat(), "purpose": "Tale om søvn"}
    response = put_record(client, "dialogue_meeting", child.id, data, status="draft")
    assert response.status_code == 201, response.text
    return response.json()


def invite(client: httpx.Client, record_id: str, guardian_id: str, part: str = "transition_parents_part"):
    return client.post(
        "/api/parent-invitations", json={"record_id": record_id, "part": part, "guardian_id": guardian_id}
    )


def invited(
    client: httpx.Client, db: Session, child: Child | None = None, part: str = "transition_parents_part"
):
    """Sign in as the health visitor, write a record for a child and invite its first guardian:
    (record, invitation JSON, guardian)."""
    login(client, HEALTH_VISITOR)
    child = child or hv_child(db)
    record = (
        meeting_for(client, child) if part == "meeting_preparation" else transition_for(client, db, child)
    )
    guardian = guardians(db, child)[0]
    response = invite(client, record["id"], guardian.id, part)
    assert response.status_code == 201, response.text
    return record, response.json(), guardian


def link_path(invitation: dict) -> str:
    return httpx.URL(invitation["url"]).path


def new_id() -> str:
    return str(uuid.uuid4())


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, html[:2000]
    return found.group(1)


def parent_client(app) -> TestClient:
    """The parent's own browser: no staff cookies."""
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def type_code(parent: TestClient, path: str, code: str) -> httpx.Response:
    page = parent.get(path)
    return parent.post(f"{path}/code", data={"code": code, "csrf_token": csrf_of(page.text)})


def signed_in_parent(app, invitation: dict) -> tuple[TestClient, httpx.Response]:
    parent = parent_client(app)
    response = type_code(parent, link_path(invitation), invitation["code"])
    assert response.status_code == 200, response.text
    return parent, response
