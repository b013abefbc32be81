"""Saving records (issue 4): the write path itself, and PUT /api/records under load.

1. `save_record` called directly for 1,000 ADBB screenings (validation, versions, audit, rules):
   p50/p95 per save on SQLite and on PostgreSQL.
2. `PUT /api/records/{id}` under locust: 50 users, 60 s, PostgreSQL.

Run: `OPSPOR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
      .venv/bin/python -m bench.records [--saves 1000] [--users 50] [--seconds 60]`
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from pathlib import Path

from sqlmodel import select

from bench.common import bench_database
from bench.load import report, run
from tests.support import adbb_data

LOCUSTFILE = Path(__file__).with_name("locust_records.py")


def time_service_saves(kind: str, saves: int) -> dict:
    from backend.audit import AuditTrail
    from backend.auth.policy import load_scope
    from backend.db import make_engine, new_session
    from backend.domain.dates import age_in_months, today
    from backend.domain.settings import load_settings
    from backend.people.models import Caseload, Child, Municipality, User
    from backend.records.demo import DemoActor
    from backend.records.service import save_record

    with bench_database(kind) as url:
        engine = make_engine(url)
        with new_session(engine) as db:
            user = db.exec(select(User).where(User.username == "demo-sundhedsplejerske")).one()
            children = [
                child
                for child in db.exec(
                    select(Child)
                    .join(Caseload, Caseload.child_id == Child.id)
                    .where(Caseload.user_id == user.id)
                )
                if 2 <= age_in_months(child.birth_date, today()) <= 24
            ]
            municipality = db.get(Municipality, user.municipality_id)
            actor = DemoActor(
                db=db,
                user=user,
                audit=AuditTrail(actor_id=user.id),
                scope=load_scope(db, user),
                municipal=load_settings(municipality.settings),
            )
            timings = []
            for index in range(saves):
                child = children[index % len(children)]
                body = {
                    "type": "adbb",
                    "child_id": child.id,
                    "base_version": None,
                    "status": "final",
                    "data": adbb_data(today().isoformat(), index % 9),
                }
                start = time.perf_counter()
                result = save_record(actor, str(uuid.uuid4()), body)
                actor.audit.flush(db)
                db.commit()
                timings.append((time.perf_counter() - start) * 1000)
                assert result.status == 201, result.errors
        engine.dispose()
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "n": len(timings),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    print("Saving an ADBB screening through save_record (validation, version, audit, rules; commit each):")
    for kind in ("sqlite", "postgresql"):
        figures = time_service_saves(kind, args.saves)
        print(
            f"  {kind:<10} p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms over {figures['n']} saves"
        )
    rows = run(args.users, args.seconds, "postgresql", LOCUSTFILE)
    report(rows, f"PUT /api/records under locust: {args.users} users, {args.seconds} s, PostgreSQL")


if __name__ == "__main__":
    main()
