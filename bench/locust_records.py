"""Field staff saving records through the JSON API (used by bench/records.py)."""

from __future__ import annotations

import random
import uuid
from datetime import date

from locust import HttpUser, between, task

WRITERS = ["demo-sundhedsplejerske", "demo-dagplejer", "demo-paedagog"]


class RecordWriter(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.username = random.choice(WRITERS)
        response = self.client.post(
            "/api/session",
            json={"username": self.username, "password": "demo"},
            name="POST /api/session (log ind)",
        )
        self.client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        self.child_ids = [c["id"] for c in self.client.get("/api/children", name="GET /api/children").json()]

    @task(4)
    def concern_note(self) -> None:
        record_id = str(uuid.uuid4())
        body = {
            "type": "concern_note",
            "child_id": random.choice(self.child_ids),
            "base_version": None,
            "status": "final",
            "data": {"observed_on": date.today().isoformat(), "text": "Observation under belastningstest."},
        }
        self.client.put(f"/api/records/{record_id}", json=body, name="PUT /api/records/{id} (ny)")
        if random.random() < 0.3:  # a replay of the same write: stored once
            self.client.put(f"/api/records/{record_id}", json=body, name="PUT /api/records/{id} (gentaget)")

    @task(1)
    def read_back(self) -> None:
        self.client.get("/api/tasks", name="GET /api/tasks")
