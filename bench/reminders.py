"""Reminders: due work for a municipality of 5,000 children and 300 users, and pushes per second.

Run: `.venv/bin/python -m bench.reminders [--postgresql] [--pushes N]`. Never part of the tests.

1. Generates a municipality (10 health-visiting districts, 20 childminding groups, 30
   institutions; 5,000 children aged 0–6 years; 300 users with caseloads; open rounds; screenings
   and assessments saved through the write path; known moves), then times the due-work job
   (rules + queries: first run, which makes the tasks, and a steady-state run) and the reminder
   planner for all 300 users subscribed (first run, which makes the deliveries, and a re-run).
2. Sends pushes to a stand-in push service on 127.0.0.1 (decrypting nothing, answering 201) and
   prints pushes per second: encryption, VAPID signing and an HTTP POST each.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from tempfile import mkdtemp

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import PG_URL

CHILDREN = 5_000
USERS = 300


@contextmanager
def empty_database(kind: str):
    from backend.db import make_engine, migrate

    admin = None
    if kind == "postgresql":
        if not PG_URL:
            raise SystemExit("Set OPSPOR_BENCH_DATABASE_URL (or OPSPOR_TEST_DATABASE_URL) for PostgreSQL.")
        name = f"opspor_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{Path(mkdtemp()) / 'bench.db'}"
    engine = make_engine(url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def generate(engine, on) -> dict:
    """The municipality; records go through the write path (`save_record`), as everywhere."""
    from backend.audit import AuditTrail
    from backend.auth.policy import load_scope
    from backend.db import new_session
    from backend.domain.dates import add_months
    from backend.domain.settings import load_settings
    from backend.people.models import (
        Caseload,
        Child,
        Municipality,
        Placement,
        Role,
        RoleAssignment,
        Unit,
        UnitKind,
        User,
    )
    from backend.records.demo import DemoActor
    from backend.records.models import EvaluationRound
    from backend.records.service import save_record

    rng = random.Random(6)
    with new_session(engine) as db:
        municipality = Municipality(name="Bench Kommune", settings={})
        db.add(municipality)
        db.flush()
        kinds = [UnitKind.health_visiting] * 10 + [UnitKind.childminding] * 20 + [UnitKind.institution] * 30
        units = [Unit(municipality_id=municipality.id, kind=k, name=f"{k} {i}") for i, k in enumerate(kinds)]
        db.add_all(units)
        db.flush()
        by_kind = {k: [u for u in units if u.kind == k] for k in set(kinds)}
        staff: dict[str, list[User]] = {u.id: [] for u in units}
        leaders = []
        for index in range(USERS):
            unit = units[index % len(units)]
            user = User(
                municipality_id=municipality.id, username=f"user{index}", display_name=f"Bruger {index}"
            )
            db.add(user)
            db.flush()
            if index < len(units):
                db.add(RoleAssignment(user_id=user.id, role=Role.leader, unit_id=unit.id))
                leaders.append(user)
                continue
            role = {
                UnitKind.health_visiting: Role.health_visitor,
                UnitKind.childminding: Role.childminder,
                UnitKind.institution: Role.pedagogue,
            }[unit.kind]
            db.add(RoleAssignment(user_id=user.id, role=role, unit_id=unit.id))
            staff[unit.id].append(user)
        children = []
        for index in range(CHILDREN):
            born = on - timedelta(days=rng.randint(0, 6 * 365))
            child = Child(municipality_id=municipality.id, name=f"Barn {index}", birth_date=born)
            db.add(child)
            db.flush()
            months = (on - born).days / 30.4
            kind = (
                UnitKind.health_visiting
                if months < 11
                else (UnitKind.childminding if months < 34 and index % 2 else UnitKind.institution)
            )
            unit = rng.choice(by_kind[kind])
            db.add(
                Placement(child_id=child.id, unit_id=unit.id, starts_on=min(born + timedelta(days=10), on))
            )
            professional = rng.choice(staff[unit.id])
            db.add(Caseload(user_id=professional.id, child_id=child.id, unit_id=unit.id, since=born))
            if 30 <= months < 34 and index % 3 == 0:  # a known move to kindergarten
                db.add(
                    Placement(
                        child_id=child.id,
                        unit_id=rng.choice(by_kind[UnitKind.institution]).id,
                        starts_on=add_months(born, 34),
                    )
                )
            children.append((child, unit, professional, months))
        rounds = {}
        for unit in by_kind[UnitKind.childminding] + by_kind[UnitKind.institution]:
            round_ = EvaluationRound(
                unit_id=unit.id,
                name="Efterår",
                opens_on=on - timedelta(days=10),
                closes_on=on + timedelta(days=25),
                created_by_id=leaders[0].id,
            )
            db.add(round_)
            rounds[unit.id] = round_
        db.commit()
        settings = load_settings({})
        saved = 0
        for child, unit, professional, months in children:
            actor = DemoActor(
                db, professional, AuditTrail(actor_id=professional.id), load_scope(db, professional), settings
            )
            body = None
            if unit.kind == UnitKind.health_visiting and months >= 3 and rng.random() < 0.7:
                screened = add_months(child.birth_date, 2) + timedelta(days=rng.randint(0, 40))
                items = dict.fromkeys(
                    (
                        "facial_expression",
                        "eye_contact",
                        "activity_level",
                        "self_stimulation",
                        "vocalisation",
                        "response_briskness",
                        "relationship",
                        "attracting_attention",
                    ),
                    0,
                ) | {"eye_contact": rng.choice([0, 1, 3])}
                body = {
                    "type": "adbb",
                    "child_id": child.id,
                    "status": "final",
                    "data": {
                        "screened_on": min(screened, on).isoformat(),
                        "occasion": "first",
                        "items": items,
                        "action": "none",
                    },
                }
            elif unit.id in rounds and rng.random() < 0.4:
                areas = dict.fromkeys(("cognitive", "emotional", "social", "physical"), "thriving")
                body = {
                    "type": "wellbeing",
                    "child_id": child.id,
                    "status": "final",
                    "data": {
                        "round_id": rounds[unit.id].id,
                        "kind": "individual",
                        "areas": areas,
                        "overall": "thriving",
                    },
                }
            if body is not None:
                result = save_record(actor, str(uuid.uuid4()), body)
                assert result.status == 201, result.errors
                actor.audit.flush(db)
                saved += 1
                if saved % 200 == 0:
                    db.commit()
        db.commit()
    return {"units": len(units), "records": saved}


def subscribe_everyone(engine) -> None:
    from sqlmodel import select

    from backend.db import new_session
    from backend.people.models import User
    from backend.reminders.models import PushSubscription

    with new_session(engine) as db:
        for user in db.exec(select(User)).all():
            db.add(
                PushSubscription(
                    user_id=user.id,
                    endpoint=f"http://127.0.0.1:9/{user.id}",
                    endpoint_hash=uuid.uuid4().hex + uuid.uuid4().hex,
                    p256dh="x",
                    auth="y",
                )
            )
        db.commit()


def timed(label: str, function):
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    print(f"  {label:<44} {elapsed * 1000:8.0f} ms   {result}", flush=True)
    return result


def due_work_benchmark(kind: str) -> None:
    from backend.db import new_session
    from backend.domain.dates import COPENHAGEN, is_working_day, today
    from backend.reminders.due_work import materialise_due_work
    from backend.reminders.planner import plan_reminders

    on = today()
    while not is_working_day(on):
        on += timedelta(days=1)
    with empty_database(kind) as engine:
        started = time.perf_counter()
        made = generate(engine, on)
        print(
            f"Due work on {kind}: {CHILDREN} children, {USERS} users, {made['units']} units, "
            f"{made['records']} records (generated in {time.perf_counter() - started:.0f} s)"
        )

        def due_work():
            with new_session(engine) as db:
                result = materialise_due_work(db, on)
                db.commit()
            return result

        timed("due-work job, first run (makes the tasks)", due_work)
        timed("due-work job, steady state", due_work)
        subscribe_everyone(engine)
        moment = datetime.combine(on, clock(7, 30), COPENHAGEN)

        def planner():
            with new_session(engine) as db:
                result = plan_reminders(db, moment)
                db.commit()
            return result

        timed("reminder planner, 300 users (makes digests)", planner)
        timed("reminder planner, 300 users, again", planner)


def _count_pushes(port, counter) -> None:
    """A stand-in push service in its own process (it must not share our GIL): answers 201."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with counter.get_lock():
                counter.value += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def push_benchmark(count: int) -> None:
    import multiprocessing

    from backend.db import new_session
    from backend.people.models import Municipality, User
    from backend.reminders.models import PushSend, PushSubscription, ReminderDelivery
    from backend.reminders.push import send_pending
    from tests.push_receiver import PushReceiver
    from tests.support import free_port

    keys = PushReceiver()  # only for browser-like key pairs
    keys.close()
    port = free_port()
    counter = multiprocessing.Value("i", 0)
    service = multiprocessing.Process(target=_count_pushes, args=(port, counter), daemon=True)
    service.start()
    time.sleep(0.5)
    with empty_database("sqlite") as engine:
        with new_session(engine) as db:
            municipality = Municipality(name="Bench", settings={})
            db.add(municipality)
            db.flush()
            user = User(municipality_id=municipality.id, username="bench", display_name="Bench")
            db.add(user)
            db.flush()
            for index in range(count):
                browser = keys.subscription(f"s{index}")
                subscription = PushSubscription(
                    user_id=user.id,
                    endpoint=f"http://127.0.0.1:{port}/push/s{index}",
                    endpoint_hash=f"{index:064d}",
                    p256dh=browser["keys"]["p256dh"],
                    auth=browser["keys"]["auth"],
                )
                delivery = ReminderDelivery(
                    user_id=user.id, key=f"test:{index}", kind="test", title="Opspor", body="3 opgaver venter"
                )
                db.add_all([subscription, delivery])
                db.flush()
                db.add(PushSend(delivery_id=delivery.id, subscription_id=subscription.id))
            db.commit()
        send_pending(engine, max_batches=1)  # warm up: key, connections
        started = time.perf_counter()
        result = send_pending(engine)
        elapsed = time.perf_counter() - started
    service.terminate()
    sent = result.sent
    print(f"Pushes to a loopback push service: {sent} in {elapsed:.2f} s = {sent / elapsed:.0f} pushes/s")
    print(f"  (received {counter.value}, including the warm-up batch)  {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgresql", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--pushes", type=int, default=1000)
    args, _unknown = parser.parse_known_args()
    due_work_benchmark("sqlite")
    if args.postgresql or PG_URL:
        due_work_benchmark("postgresql")
    push_benchmark(args.pushes)


if __name__ == "__main__":
    main()
