"""A realistic mix for field staff: sign in, list the caseload, open child pages.

Used by `bench/load.py`; can also be run by hand:
`locust -f bench/locustfile.py --host http://127.0.0.1:8000`.
"""

from __future__ import annotations

import random

from locust import HttpUser, between, task

PROFESSIONALS = [
    "demo-sundhedsplejerske",
    "demo-dagplejer",
    "demo-dagplejepaedagog",
    "demo-paedagog",
    "demo-leder",
]


class FieldWorker(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        username = random.choice(PROFESSIONALS)
        response = self.client.post(
            "/api/session",
            json={"username": username, "password": "demo"},
            name="POST /api/session (log ind)",
        )
        self.client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        self.child_ids = [c["id"] for c in self.client.get("/api/children", name="GET /api/children").json()]

    @task(3)
    def today(self) -> None:
        self.client.get("/", name="GET / (I dag)")

    @task(3)
    def caseload(self) -> None:
        self.client.get("/children", name="GET /children")

    @task(1)
    def search(self) -> None:
        self.client.post(
            "/children",
            data={"q": random.choice("aeiou")},
            headers={"HX-Request": "true"},
            name="POST /children (htmx search)",
        )

    @task(6)
    def child_page(self) -> None:
        if self.child_ids:
            self.client.get(f"/children/{random.choice(self.child_ids)}", name="GET /children/{id}")

    @task(2)
    def child_json(self) -> None:
        if self.child_ids:
            self.client.get(f"/api/children/{random.choice(self.child_ids)}", name="GET /api/children/{id}")
