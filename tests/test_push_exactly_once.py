"""Several app instances against one database: each reminder is delivered once.

The runs are forced to overlap — both start at a barrier and the stand-in push service answers
slowly — so the tests cannot pass by running one instance after the other.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
import time_machine
from sqlalchemy import create_engine, text
from sqlmodel import select

from backend.db import make_engine, new_session
from backend.domain.dates import COPENHAGEN, is_working_day, today
from backend.records.models import Task
from backend.reminders import push
from backend.reminders.models import PushSend, ReminderDelivery
from backend.reminders.planner import plan_reminders
from backend.reminders.scheduler import PERIODIC_JOBS, _register_builtin_jobs, run_jobs, take_lease
from tests.push_receiver import PushReceiver
from tests.support import login, unit_named, user_named

USERS = {
    "demo-sundhedsplejerske": "Sundhedsplejen Nord",
    "demo-dagplejer": "Dagplejen Syd",
    "demo-dagplejepaedagog": "Dagplejen Syd",
    "demo-paedagog": "Børnehuset Solsikken",
    "demo-leder": "Børnehuset Solsikken",
}


def morning() -> datetime:
    day = today()
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, clock(8, 0), COPENHAGEN)


@pytest.fixture
def receiver():
    receiver = PushReceiver(delay=0.4)
    yield receiver
    receiver.close()


@pytest.fixture
def phones(client, demo, db, receiver) -> list[str]:
    """Every user has two phones subscribed and a task due today."""
    names = []
    for username, unit in USERS.items():
        login(client, username)
        for phone in ("a", "b"):
            name = f"{username}-{phone}"
            client.cookies.set("opspor_device", f"0000000{len(names)}-0000-4000-8000-000000000000")
            assert client.post("/api/push/subscriptions", json=receiver.subscription(name)).status_code == 201
            names.append(name)
        client.delete("/api/session")
        db.add(
            Task(
                key=f"test:{username}",
                kind="adbb_follow_up",
                unit_id=unit_named(db, unit).id,
                assignee_id=user_named(db, username).id,
                due_on=morning().date(),
            )
        )
        db.commit()
    db.close()
    return names


def in_parallel(*calls) -> list[tuple[float, float, object]]:
    """Run the calls in threads released together; (start, end, result) of each."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        started = time.monotonic()
        result = calls[index]()
        outcomes[index] = (started, time.monotonic(), result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(outcomes), "a run did not finish"
    return outcomes


def test_two_instances_sending_at_once_deliver_each_reminder_once(
    app_env, phones, receiver, monkeypatch
) -> None:
    monkeypatch.setattr(push, "CLAIM_BATCH", 1)  # small claims: the instances take turns
    engines = [make_engine(app_env), make_engine(app_env)]
    with time_machine.travel(morning(), tick=True):
        with new_session(engines[0]) as session:  # the morning's reminders are planned …
            plan_reminders(session)
            session.commit()
        runs = in_parallel(  # … and two instances' scheduler runs race to send them
            lambda: run_jobs(engines[0], force=True, instance="instance-a"),
            lambda: run_jobs(engines[1], force=True, instance="instance-b"),
        )
    for engine in engines:
        engine.dispose()
    (a_start, a_end, a), (b_start, b_end, b) = runs
    assert max(a_start, b_start) < min(a_end, b_end)  # the runs overlapped
    assert a["push"].sent >= 1 and b["push"].sent >= 1  # both really sent
    assert a["push"].sent + b["push"].sent == len(phones)
    counts = Counter(item.name for item in receiver.received)
    assert counts == Counter({name: 1 for name in phones})


def test_two_whole_scheduler_runs_at_once_deliver_each_reminder_once(app_env, phones, receiver) -> None:
    engines = [make_engine(app_env), make_engine(app_env)]
    with time_machine.travel(morning(), tick=True):
        runs = in_parallel(
            lambda: run_jobs(engines[0], force=True, instance="instance-a"),
            lambda: run_jobs(engines[1], force=True, instance="instance-b"),
        )
        run_jobs(engines[1], force=True, instance="instance-b")  # anything left is sent now
    for engine in engines:
        engine.dispose()
    (a_start, a_end, _a), (b_start, b_end, _b) = runs
    assert max(a_start, b_start) < min(a_end, b_end)
    assert Counter(item.name for item in receiver.received) == Counter({name: 1 for name in phones})


def test_two_planners_at_once_make_each_reminder_once(app_env, phones, db) -> None:
    engines = [make_engine(app_env), make_engine(app_env)]

    def plan(engine) -> None:
        with new_session(engine) as session:
            plan_reminders(session)
            session.commit()

    with time_machine.travel(morning(), tick=True):
        in_parallel(lambda: plan(engines[0]), lambda: plan(engines[1]))
    for engine in engines:
        engine.dispose()
    keys = db.exec(select(ReminderDelivery.user_id, ReminderDelivery.key)).all()
    assert len(keys) == len(set(keys)) == 2 * len(USERS)  # a digest and a merged urgent each
    assert len(db.exec(select(PushSend)).all()) == len(phones)


def test_only_one_instance_gets_a_jobs_lease(app_env) -> None:
    _register_builtin_jobs()
    job = PERIODIC_JOBS["due_work"]
    engines = [make_engine(app_env) for _ in range(4)]
    now = datetime.now(COPENHAGEN)
    runs = in_parallel(
        *(lambda e=e, i=i: take_lease(e, job, f"instance-{i}", now) for i, e in enumerate(engines))
    )
    for engine in engines:
        engine.dispose()
    assert sorted(result for _s, _e, result in runs) == [False, False, False, True]


def test_no_database_transaction_is_open_while_pushing(app_env, phones, receiver) -> None:
    if not app_env.startswith("postgresql"):
        pytest.skip("pg_stat_activity shows open transactions on PostgreSQL")
    watcher = create_engine(app_env, isolation_level="AUTOCOMMIT")
    seen: list[int] = []

    def count_open_transactions(_item) -> None:
        with watcher.connect() as connection:
            seen.append(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )

    receiver.on_request = count_open_transactions
    engine = make_engine(app_env)
    with time_machine.travel(morning(), tick=True):
        run_jobs(engine, force=True, instance="instance-a")
    engine.dispose()
    watcher.dispose()
    assert len(seen) == len(phones)
    assert set(seen) == {0}
