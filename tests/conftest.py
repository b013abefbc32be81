"""Shared fixtures.

Database: every test that asks for `db_url` (directly or through `app`, `client`, `db`) runs
once on SQLite and, when OPSPOR_TEST_DATABASE_URL is set, once more on PostgreSQL. Each test
gets an empty, migrated database: a copy of a migrated SQLite file, or a PostgreSQL database
created for this test session and truncated between tests.

- `app` / `client`: the FastAPI app and a TestClient on http://127.0.0.1 (cookies not Secure).
- `demo`: the demo organisation and children (no records); `demo_full`: with demo records.
- `db`: a SQLModel session on the test database.
- `live_server`: `opspor serve` in a subprocess (SQLite file), stoppable mid-test.
- `browser` / `page`: Debian's Chromium via Playwright, phone viewport, new context per test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import CHROMIUM, CHROMIUM_ARGS, PHONE, LiveServer

PG_URL = os.environ.get("OPSPOR_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _reset_caches() -> None:
    from backend.config import get_settings
    from backend.db import get_engine

    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    from backend.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run inside one
    raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database for this test session (created, migrated, dropped at the end)."""
    if not PG_URL:
        pytest.skip("OPSPOR_TEST_DATABASE_URL is not set")
    from backend.db import make_engine, migrate

    base = make_url(PG_URL)
    name = f"opspor_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    created = True
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    except Exception:  # noqa: BLE001 - no CREATEDB right: use the given database as it is
        created = False
        url = PG_URL
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    if created:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            names = ", ".join(f'"{table}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "opspor.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def app_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OPSPOR_DATABASE_URL", db_url)
    monkeypatch.setenv("OPSPOR_SECRET_KEY", "test-secret-" + uuid.uuid4().hex)
    monkeypatch.setenv("OPSPOR_DEMO", "1")
    monkeypatch.setenv("OPSPOR_BASE_URL", "http://127.0.0.1")
    monkeypatch.setenv("OPSPOR_RUN_SCHEDULER", "0")
    _reset_caches()
    yield db_url
    _reset_caches()


@pytest.fixture
def app(app_env: str):  # noqa: ANN201
    from backend.app import create_app

    return create_app()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def db(app_env: str):  # noqa: ANN201
    """A session for the test's own reads and setup; on SQLite it does not hold the write lock
    while the app serves requests (commit after writing, as the app would)."""
    from backend.db import make_engine, new_session

    engine = make_engine(app_env, sqlite_write_lock_up_front=False)
    with new_session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def demo(app_env: str) -> None:
    """The demo organisation and children, without demo records (tests count what they make)."""
    from backend.db import new_session
    from backend.people.demo import load_demo_data

    with new_session() as session:
        load_demo_data(session, with_records=False)
        session.commit()


@pytest.fixture
def demo_full(app_env: str) -> None:
    """The demo municipality exactly as `opspor demo-data` loads it, records and all."""
    from backend.db import new_session
    from backend.people.demo import load_demo_data

    with new_session() as session:
        load_demo_data(session)
        session.commit()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """A demo-mode server on its own SQLite file; `live_server.stop()` kills it."""
    from backend.db import make_engine, new_session
    from backend.people.demo import load_demo_data

    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with new_session(engine) as session:
        load_demo_data(session)
        session.commit()
    engine.dispose()
    server = LiveServer(url, env={"OPSPOR_SECRET_KEY": "live-" + uuid.uuid4().hex})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is missing: run `make test` (it installs it) or `apt-get install -y chromium`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):  # noqa: ANN001, ANN201
    return browser_context.new_page()
