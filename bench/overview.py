"""The leader overview and the municipality report (issue 8): how long the pages take.

1. A unit with 200 children and 10 past rounds (a joint and an individual assessment per child
   and round, open tasks): `GET /leader/overview` and `GET /api/overview/units/{id}`.
2. A municipality of 5,000 children in 60 units (2 rounds each, ADBB screenings in the
   health-visiting districts, tasks): `GET /admin/reports` and the CSV.

Data is inserted in bulk (not through the write path: these figures are about reading). Timed
in-process through the app (routing, access, queries, template), median and p95 of 20 requests.

Run: `OPSPOR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
      .venv/bin/python -m bench.overview [--sqlite-only]`
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import timedelta

from bench.reminders import empty_database

T, E, C = "thriving", "extra_attention", "concern"
AREAS = ("cognitive", "emotional", "social", "physical")


def _joint(rng: random.Random, kind: str = "joint") -> dict:
    overall = rng.choices((T, E, C), weights=(80, 15, 5))[0]
    return {"kind": kind, "overall": overall, "areas": {a: overall for a in AREAS}, "decision": "none"}


def populate(engine, units_by_kind: dict[str, int], children_per_unit: int, rounds: int, on) -> dict:
    from backend.db import new_session
    from backend.people.models import (
        Caseload,
        Child,
        Municipality,
        Placement,
        Role,
        RoleAssignment,
        Room,
        Unit,
        User,
    )
    from backend.records.models import EvaluationRound, Record, Task

    rng = random.Random(8)
    with new_session(engine) as db:
        municipality = Municipality(name="Bench Kommune", settings={})
        db.add(municipality)
        db.flush()
        leader = User(municipality_id=municipality.id, username="leder", display_name="Leder", is_demo=True)
        admin = User(municipality_id=municipality.id, username="admin", display_name="Admin", is_demo=True)
        db.add_all([leader, admin])
        db.flush()
        db.add(RoleAssignment(user_id=admin.id, role=Role.admin))
        objects: list = []
        unit_ids = []
        for kind, count in units_by_kind.items():
            for number in range(count):
                unit = Unit(municipality_id=municipality.id, kind=kind, name=f"{kind} {number + 1}")
                db.add(unit)
                db.flush()
                unit_ids.append(unit.id)
                db.add(RoleAssignment(user_id=leader.id, role=Role.leader, unit_id=unit.id))
                staff = [
                    User(
                        municipality_id=municipality.id,
                        username=f"u-{uuid.uuid4().hex[:10]}",
                        display_name=f"Fagperson {i}",
                    )
                    for i in range(4)
                ]
                db.add_all(staff)
                rooms = [Room(unit_id=unit.id, name=f"Stue {i}") for i in range(3)]
                db.add_all(rooms)
                db.flush()
                round_list = []
                for index in range(rounds):
                    opens_on = on - timedelta(days=182 * index + 20)
                    round_list.append(
                        EvaluationRound(
                            id=str(uuid.uuid4()),
                            unit_id=unit.id,
                            name=f"Runde {index}",
                            opens_on=opens_on,
                            closes_on=opens_on + timedelta(days=34),
                            created_by_id=leader.id,
                        )
                    )
                db.add_all(round_list)
                db.flush()
                children: list = []
                for _number in range(children_per_unit):
                    months = rng.randint(1, 70) if kind != "health_visiting" else rng.randint(0, 14)
                    birth = on - timedelta(days=30 * months)
                    child = Child(
                        municipality_id=municipality.id, name=f"Barn {uuid.uuid4().hex[:8]}", birth_date=birth
                    )
                    children.append(child)
                    objects.append(
                        Placement(
                            child_id=child.id,
                            unit_id=unit.id,
                            room_id=rng.choice(rooms).id,
                            starts_on=on - timedelta(days=rng.randint(10, 2000)),
                        )
                    )
                    person = rng.choice(staff)
                    objects.append(Caseload(user_id=person.id, child_id=child.id, unit_id=unit.id, since=on))
                    for evaluation_round in round_list:
                        for kind_ in ("individual", "joint"):
                            objects.append(
                                Record(
                                    id=str(uuid.uuid4()),
                                    type="wellbeing",
                                    child_id=child.id,
                                    unit_id=unit.id,
                                    author_id=person.id,
                                    updated_by_id=person.id,
                                    status="final",
                                    round_id=evaluation_round.id,
                                    data={**_joint(rng, kind_), "round_id": evaluation_round.id},
                                )
                            )
                    if kind == "health_visiting":
                        objects.append(
                            Record(
                                id=str(uuid.uuid4()),
                                type="adbb",
                                child_id=child.id,
                                unit_id=unit.id,
                                author_id=person.id,
                                updated_by_id=person.id,
                                status="final",
                                data={
                                    "screened_on": (birth + timedelta(days=75)).isoformat(),
                                    "occasion": "first",
                                },
                                derived={"above_cutoff": rng.random() < 0.1},
                            )
                        )
                    if rng.random() < 0.2:
                        objects.append(
                            Task(
                                key=f"bench:{uuid.uuid4()}",
                                kind=rng.choice(("agreement", "trial_action_follow_up", "dialogue_meeting")),
                                unit_id=unit.id,
                                child_id=child.id,
                                assignee_id=person.id,
                                due_on=on + timedelta(days=rng.randint(-30, 30)),
                            )
                        )
                db.add_all(children)
                db.flush()
                db.add_all(objects)
                db.flush()
                objects = []
        db.commit()
        return {"units": unit_ids}


def timed(client, url: str, runs: int = 20) -> tuple[float, float]:
    client.get(url)  # warm up
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:300]
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


def _client(url: str):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings
    from backend.db import get_engine

    os.environ.update(
        OPSPOR_DATABASE_URL=url, OPSPOR_DEMO="1", OPSPOR_SECRET_KEY="bench", OPSPOR_RUN_SCHEDULER="0"
    )
    get_settings.cache_clear()
    get_engine.cache_clear()
    return TestClient(create_app(), base_url="http://127.0.0.1", follow_redirects=False)


def _sign_in(client, username: str) -> None:
    from sqlmodel import select

    from backend.auth.passwords import hash_password
    from backend.db import new_session
    from backend.people.models import User

    with new_session() as db:
        user = db.exec(select(User).where(User.username == username)).one()
        user.password_hash = hash_password("demo")
        db.add(user)
        db.commit()
    client.cookies.clear()
    response = client.post("/api/session", json={"username": username, "password": "demo"})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]


def bench_unit(kind: str) -> None:
    from backend.domain.dates import today

    on = today()
    with empty_database(kind) as engine:
        made = populate(engine, {"institution": 1}, 200, 10, on)
        client = _client(engine.url.render_as_string(hide_password=False))
        _sign_in(client, "leder")
        unit = made["units"][0]
        for label, url in (
            ("GET /leader/overview", f"/leader/overview?unit={unit}"),
            ("GET /api/overview/units/{id}", f"/api/overview/units/{unit}"),
        ):
            p50, p95 = timed(client, url)
            print(f"  {kind:<10} 200 children, 10 rounds, {label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        client.close()


def bench_municipality(kind: str) -> None:
    from backend.domain.dates import today

    on = today()
    with empty_database(kind) as engine:
        units = {"health_visiting": 10, "childminding": 20, "institution": 30}
        populate(engine, units, 5_000 // 60 + 1, 2, on)
        client = _client(engine.url.render_as_string(hide_password=False))
        _sign_in(client, "admin")
        for label, url in (
            ("GET /admin/reports", "/admin/reports"),
            ("GET municipality.csv", "/api/reports/municipality.csv"),
        ):
            p50, p95 = timed(client, url, runs=10)
            print(f"  {kind:<10} ~5,000 children, 60 units, {label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite"] if args.sqlite_only else ["sqlite", "postgresql"]
    print("Leader overview of one unit (target < 200 ms):")
    for kind in kinds:
        bench_unit(kind)
    print("Municipality report (target < 1 s on PostgreSQL):")
    for kind in kinds:
        bench_municipality(kind)


if __name__ == "__main__":
    main()
