"""The periodic jobs: inside the server, as `opspor reminders run`, and the hook for other jobs."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from backend.db import get_engine, utcnow
from backend.records.models import Task
from backend.reminders import scheduler
from backend.reminders.models import SchedulerLease
from tests.support import PROJECT_DIR, TEST_HASHING


@pytest.fixture
def extra_jobs():
    before = dict(scheduler.PERIODIC_JOBS)
    yield scheduler.PERIODIC_JOBS
    scheduler.PERIODIC_JOBS.clear()
    scheduler.PERIODIC_JOBS.update(before)


@pytest.fixture
def loop_starts(monkeypatch):
    """Every start of the scheduler's loop, recorded (the loop itself still runs)."""
    starts: list[bool] = []
    real_loop = scheduler._loop

    def recorded(stop):
        starts.append(True)
        return real_loop(stop)

    monkeypatch.setattr(scheduler, "_loop", recorded)
    monkeypatch.setattr(scheduler, "FIRST_TICK_SECONDS", 0)
    return starts


def test_the_server_runs_the_jobs_in_the_background_when_enabled(demo, db, monkeypatch, loop_starts) -> None:
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    monkeypatch.setenv("OPSPOR_RUN_SCHEDULER", "1")
    get_settings.cache_clear()
    with TestClient(create_app(), base_url="http://127.0.0.1"):
        assert loop_starts == [True]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not db.exec(select(Task)).first():
            db.rollback()
            time.sleep(0.2)
    assert db.exec(select(Task).where(Task.kind == "adbb_first")).first() is not None


def test_the_scheduler_does_not_run_when_disabled(app, demo, db, loop_starts) -> None:
    """The loop is never started (its first tick would be immediate), so no job can have run."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/healthz").status_code == 200
        assert loop_starts == []
    assert db.exec(select(Task)).first() is None


def test_other_periodic_jobs_plug_in_and_run_once_per_interval(app_env, db, extra_jobs) -> None:
    from backend.startup import connect_services

    runs: list[str] = []
    connect_services()  # as create_app() and the cli do: the e-mail and retention jobs
    scheduler.register_job("statistics", timedelta(hours=1), lambda _engine, _now: runs.append("ran"))
    engine = get_engine()
    first = scheduler.run_jobs(engine)
    builtin = ["due_work", "reminders", "push", "reminder_cleanup", "session_purge"]
    assert list(first) == [*builtin, "email", "forum_reminders", "retention", "statistics"]
    scheduler.run_jobs(engine)
    assert runs == ["ran"]  # not again within the hour
    scheduler.run_jobs(engine, utcnow() + timedelta(hours=1, seconds=1))
    assert runs == ["ran", "ran"]
    scheduler.run_jobs(engine, force=True)
    assert runs == ["ran", "ran", "ran"]


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(app_env, db, extra_jobs) -> None:
    def broken(_engine, _now) -> None:
        raise RuntimeError("disk full")

    ran: list[bool] = []
    scheduler.register_job("broken", timedelta(minutes=1), broken)
    scheduler.register_job("after", timedelta(minutes=1), lambda _e, _n: ran.append(True))
    results = scheduler.run_jobs(get_engine())
    assert isinstance(results["broken"], RuntimeError) and ran == [True]
    lease = db.get(SchedulerLease, "broken")
    assert lease.last_error == "RuntimeError: disk full" and lease.holder is None


def test_a_job_held_by_another_instance_is_skipped_until_its_lease_runs_out(app_env, db, extra_jobs) -> None:
    runs: list[str] = []
    job = scheduler.register_job(
        "mail", timedelta(0), lambda _e, _n: runs.append("x"), lease=timedelta(minutes=5)
    )
    engine = get_engine()
    assert scheduler.take_lease(engine, job, "other-instance", utcnow())
    scheduler.run_jobs(engine, force=True)
    assert runs == []
    scheduler.run_jobs(engine, utcnow() + timedelta(minutes=6))  # the other instance died
    assert runs == ["x"]


def test_opspor_reminders_run_makes_the_tasks_and_exits_zero(db_url, demo) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "reminders", "run"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "OPSPOR_DATABASE_URL": db_url,
            "PATH": "/usr/bin:/bin",
            "OPSPOR_SECRET_KEY": "x",
            **TEST_HASHING,
        },
    )
    assert result.returncode == 0, result.stderr
    assert "due_work: SyncResult(created=" in result.stdout
    from sqlmodel import Session

    with Session(get_engine()) as session:
        assert session.exec(select(Task).where(Task.kind == "adbb_first")).first() is not None


def test_old_reminders_are_forgotten_after_sixty_days(demo, db) -> None:
    from backend.reminders.models import PushSend, ReminderDelivery
    from tests.support import user_named

    user = user_named(db, "demo-leder")
    for days in (61, 59):
        delivery = ReminderDelivery(
            user_id=user.id, key=f"digest:{days}", kind="digest", created_at=utcnow() - timedelta(days=days)
        )
        db.add(delivery)
        db.flush()
        db.add(PushSend(delivery_id=delivery.id, subscription_id="gone", status="sent"))
    db.commit()
    scheduler.run_jobs(get_engine(), force=True)
    db.expire_all()
    assert db.exec(select(ReminderDelivery.key)).all() == ["digest:59"]
    assert len(db.exec(select(PushSend)).all()) == 1


def test_expired_sessions_and_old_sign_in_attempts_are_purged_by_a_job(app_env, demo, db) -> None:
    from backend.auth.models import LoginAttempt, WebSession
    from backend.config import get_settings
    from tests.support import user_named

    settings = get_settings()
    user = user_named(db, "demo-leder")
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    sessions = {
        "live": (now - timedelta(minutes=1), now + timedelta(hours=1)),
        "past-lifetime": (now - timedelta(minutes=1), now - timedelta(seconds=1)),
        "idle-too-long": (now - idle - timedelta(seconds=1), now + timedelta(hours=1)),
    }
    for name, (last_seen, expires) in sessions.items():
        db.add(
            WebSession(id=name, user_id=user.id, csrf_token="x", last_seen_at=last_seen, expires_at=expires)
        )
    lockout = timedelta(minutes=settings.login_lockout_minutes)
    db.add(LoginAttempt(username="recent", at=now - lockout + timedelta(minutes=1)))
    db.add(LoginAttempt(username="old", at=now - lockout - timedelta(minutes=1)))
    db.commit()

    results = scheduler.run_jobs(get_engine())

    assert results["session_purge"] == {"sessions": 2, "attempts": 1}
    db.expire_all()
    assert db.exec(select(WebSession.id)).all() == ["live"]
    assert db.exec(select(LoginAttempt.username)).all() == ["recent"]
    assert "session_purge" not in scheduler.run_jobs(get_engine())  # hourly, not every tick
