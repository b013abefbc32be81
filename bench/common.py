"""Shared by the benchmarks: a throwaway database with demo data and a server to measure."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from tempfile import mkdtemp

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import LiveServer

PG_URL = os.environ.get("OPSPOR_BENCH_DATABASE_URL") or os.environ.get("OPSPOR_TEST_DATABASE_URL", "")


@contextmanager
def bench_database(kind: str = "sqlite"):
    """A migrated database with the demo municipality: 'sqlite' or 'postgresql'."""
    from backend.db import make_engine, migrate, new_session
    from backend.people.demo import load_demo_data

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
    with new_session(engine) as session:
        load_demo_data(session)
        session.commit()
    engine.dispose()
    try:
        yield url
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@contextmanager
def bench_server(kind: str = "sqlite", env: dict[str, str] | None = None, workers: int | None = None):
    """The app on a throwaway database: one process, or `opspor serve --workers N`."""
    with bench_database(kind) as url:
        settings = {"OPSPOR_SECRET_KEY": "bench", "OPSPOR_RUN_SCHEDULER": "0", **(env or {})}
        if workers is None:
            server = LiveServer(url, env=settings)
        else:
            from tests.ops_support import Server

            server = Server(url, workers=workers, env=settings)
        server.start()
        try:
            yield server
        finally:
            server.stop()
