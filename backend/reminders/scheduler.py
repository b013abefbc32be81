"""Periodic jobs: run inside every app instance (a background task) and by `opspor reminders run`.

**The hook for other periodic jobs** is `register_job(name, every, run)`: e-mail sending,
retention clean-up and the like plug in there and get the same guarantees:

- an *exclusive* job (the default) runs in one instance at a time and at most once per `every`
  across all instances: a `scheduler_lease` row is taken with one atomic UPDATE
  (`... WHERE expires_at < now AND last_run_at <= now - every`), so of two instances asking at
  the same moment exactly one gets it; a lease that runs out (the instance died) is taken over;
- a *shared* job (`exclusive=False`) runs in every instance on every tick — for work that
  claims its own rows, like sending pushes.

A job gets the engine and the time, opens its own short transactions and must not hold one
during network I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend import metrics
from backend.db import get_engine, new_session, utcnow
from backend.domain.dates import COPENHAGEN
from backend.reminders.models import SchedulerLease

log = logging.getLogger("opspor.scheduler")

TICK_SECONDS = 30
FIRST_TICK_SECONDS = 3


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[Engine, datetime], object]
    exclusive: bool = True
    lease: timedelta = timedelta(minutes=10)


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def register_job(
    name: str,
    every: timedelta,
    run: Callable[[Engine, datetime], object],
    *,
    exclusive: bool = True,
    lease: timedelta = timedelta(minutes=10),
) -> PeriodicJob:
    """Add (or replace) a periodic job. Jobs run in the order they were registered."""
    job = PeriodicJob(name[:40], every, run, exclusive, lease)
    PERIODIC_JOBS[job.name] = job
    return job


# --- Leases -------------------------------------------------------------------------------------


def take_lease(engine: Engine, job: PeriodicJob, holder: str, now: datetime, *, force: bool = False) -> bool:
    """Take the job's lease if nobody holds it and (unless forced) its interval has passed."""
    with new_session(engine) as db:
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        db.execute(
            insert(SchedulerLease.__table__)
            .values(name=job.name, last_error="")
            .on_conflict_do_nothing(index_elements=["name"])
        )
        statement = update(SchedulerLease).where(
            SchedulerLease.name == job.name,
            or_(SchedulerLease.expires_at.is_(None), SchedulerLease.expires_at < now),
        )
        if not force:
            statement = statement.where(
                or_(SchedulerLease.last_run_at.is_(None), SchedulerLease.last_run_at <= now - job.every)
            )
        taken = db.execute(statement.values(holder=holder, expires_at=now + job.lease)).rowcount == 1
        db.commit()
    return taken


def release_lease(engine: Engine, job: PeriodicJob, holder: str, started: datetime, error: str = "") -> None:
    with new_session(engine) as db:
        db.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == job.name, SchedulerLease.holder == holder)
            .values(holder=None, expires_at=None, last_run_at=started, last_error=error[:300])
        )
        db.commit()


# --- Running ------------------------------------------------------------------------------------


def run_jobs(
    engine: Engine | None = None,
    now: datetime | None = None,
    *,
    force: bool = False,
    instance: str | None = None,
    stop: threading.Event | None = None,
) -> dict[str, object]:
    """Run every job that is due (all of them with `force`); returns each job's result."""
    from backend.reminders.push import INSTANCE_ID

    _register_builtin_jobs()
    engine = engine or get_engine()
    instance = instance or INSTANCE_ID
    results: dict[str, object] = {}
    for job in list(PERIODIC_JOBS.values()):
        if stop is not None and stop.is_set():
            break
        started = now or utcnow()
        if job.exclusive and not take_lease(engine, job, instance, started, force=force):
            continue
        try:
            results[job.name] = job.run(engine, started)
        except Exception as error:
            log.exception("periodic job %s failed", job.name)
            metrics.job_run(job.name, ok=False)
            results[job.name] = error
            if job.exclusive:
                release_lease(engine, job, instance, started, f"{type(error).__name__}: {error}")
            continue
        metrics.job_run(job.name, ok=True)
        if job.exclusive:
            release_lease(engine, job, instance, started)
    return results


def _run_due_work(engine: Engine, now: datetime) -> object:
    from backend.reminders.due_work import materialise_due_work

    with new_session(engine) as db:
        result = materialise_due_work(db, now.astimezone(COPENHAGEN).date())
        db.commit()
    return result


def _run_planner(engine: Engine, now: datetime) -> object:
    from backend.reminders.planner import plan_reminders

    with new_session(engine) as db:
        result = plan_reminders(db, now)
        db.commit()
    return result


def _run_sender(engine: Engine, now: datetime) -> object:
    from backend.reminders.push import send_pending

    return send_pending(engine)


def _run_cleanup(engine: Engine, now: datetime) -> object:
    from backend.reminders.push import forget_old_deliveries

    with new_session(engine) as db:
        removed = forget_old_deliveries(db, now)
        db.commit()
    return removed


def _run_session_purge(engine: Engine, now: datetime) -> object:
    from backend.auth.sessions import purge_expired_sessions
    from backend.auth.throttle import purge_old_attempts
    from backend.config import get_settings

    settings = get_settings()
    with new_session(engine) as db:
        sessions = purge_expired_sessions(db, settings, now)
        attempts = purge_old_attempts(db, settings, now)
        db.commit()
    return {"sessions": sessions, "attempts": attempts}


def _register_builtin_jobs() -> None:
    """The reminders' own jobs, registered first so tasks exist before reminders are planned.
    Other services' jobs (e-mail, retention) are registered at start by `backend.startup`."""
    if "due_work" in PERIODIC_JOBS:
        return
    builtin = {
        "due_work": PeriodicJob("due_work", timedelta(minutes=2), _run_due_work),
        "reminders": PeriodicJob("reminders", timedelta(minutes=1), _run_planner),
        "push": PeriodicJob("push", timedelta(0), _run_sender, exclusive=False),
        "reminder_cleanup": PeriodicJob("reminder_cleanup", timedelta(days=1), _run_cleanup),
        "session_purge": PeriodicJob("session_purge", timedelta(hours=1), _run_session_purge),
    }
    others = dict(PERIODIC_JOBS)
    PERIODIC_JOBS.clear()
    PERIODIC_JOBS.update(builtin)
    PERIODIC_JOBS.update(others)


# --- Inside the server --------------------------------------------------------------------------


async def _loop(stop: threading.Event) -> None:
    await asyncio.sleep(FIRST_TICK_SECONDS)
    while not stop.is_set():
        try:
            await asyncio.to_thread(run_jobs, stop=stop)
            metrics.SCHEDULER_TICKS.inc()
        except Exception:
            log.exception("scheduler tick failed")
        await asyncio.sleep(TICK_SECONDS + random.uniform(0, 5))


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """The app's lifespan: VAPID keys on first start; the scheduler when `run_scheduler` is on."""
    from backend.config import get_settings
    from backend.reminders.vapid import ensure_vapid_key_at_start

    try:
        await asyncio.to_thread(ensure_vapid_key_at_start, get_engine())
    except Exception:
        log.exception("could not make the VAPID key at start")
    stop = threading.Event()
    task = asyncio.create_task(_loop(stop)) if get_settings().run_scheduler else None
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
