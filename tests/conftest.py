"""Shared fixtures.

Database: every test that asks for `db_url` (directly or through `app`, `client`, `db`) runs
once on SQLite and, when OPSPOR_TEST_DATABASE_URL is set, once more on PostgreSQL. Each test
gets a migrated database of its own: a copy of a migrated SQLite file, or a PostgreSQL database
created for this test session (per xdist worker) and truncated between tests.

- `app` / `client`: the FastAPI app and a TestClient on http://127.0.0.1 (cookies not Secure).
- `demo`: the demo organisation and children (no records); `demo_full`: with demo records.
  Both are built once per database kind and day, then copied into each test's database before
  anything opens it (SQLite: a template file; PostgreSQL: template tables copied back).
- `db`: a SQLModel session on the test database.
- `live_server`: `opspor serve` in a subprocess (SQLite file), stoppable mid-test.
  `shared_live_server`: one started server for a whole test module (never stop it).
- `browser` / `page`: Debian's Chromium via Playwright, phone viewport, new context per test.

Passwords are hashed with argon2's smallest parameters (OPSPOR_PASSWORD_HASH_PROFILE=test, set
here for the tests and the servers they start); tests/test_passwords.py checks production's.
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
from sqlalchemy.pool import NullPool

from tests.support import CHROMIUM, CHROMIUM_ARGS, PHONE, LiveServer

# Read when a password is hashed, so it also holds for the servers the tests start.
os.environ.setdefault("OPSPOR_PASSWORD_HASH_PROFILE", "test")
# Code that reads the settings outside `app_env` (e.g. hashing a password for a helper's demo
# data) would otherwise write var/secret_key, one file shared by every test process.
os.environ.setdefault("OPSPOR_SECRET_KEY", "test-session-" + uuid.uuid4().hex)

PG_URL = os.environ.get("OPSPOR_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
#: The demo fixtures and whether each loads the demo records.
DEMO_KINDS = {"demo": False, "demo_full": True}


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
    except Exception:
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


def _public_tables(connection) -> list[str]:
    query = text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
    )
    return list(connection.execute(query).scalars())


_POSTGRES_ENGINES: dict[str, object] = {}


def _reset_postgres(url: str, template_schema: str | None = None) -> None:
    """Empty every table (and restart its ids), then copy the template schema's rows back in.

    DELETE, not TRUNCATE: for tables this small it takes ~15 ms where TRUNCATE takes ~1 s (a new
    file per table); see the README's figures.
    """
    if url not in _POSTGRES_ENGINES:
        _POSTGRES_ENGINES[url] = create_engine(url, poolclass=NullPool)
    with _POSTGRES_ENGINES[url].begin() as connection:
        order = _in_dependency_order(connection, _public_tables(connection))
        statements = [f'DELETE FROM public."{table}"' for table in reversed(order)]
        if template_schema:
            statements += [
                f'INSERT INTO public."{table}" SELECT * FROM "{template_schema}"."{table}"' for table in order
            ]
        statements += [
            f"SELECT setval(pg_get_serial_sequence('public.\"{table}\"', '{column}'), "
            f'COALESCE((SELECT max("{column}") FROM public."{table}"), 0) + 1, false)'
            for table, column in connection.execute(_SERIAL_COLUMNS)
        ]
        connection.exec_driver_sql("; ".join(statements))


def _load_demo(url: str, with_records: bool) -> None:
    """The demo municipality into the database at `url`, as the `demo`/`demo_full` fixtures give it."""
    from backend.db import make_engine, new_session
    from backend.people.demo import load_demo_data

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPSPOR_DATABASE_URL", url)
        patch.setenv("OPSPOR_SECRET_KEY", "demo-template-" + uuid.uuid4().hex)
        patch.setenv("OPSPOR_DEMO", "1")
        _reset_caches()
        engine = make_engine(url)
        with new_session(engine) as session:
            load_demo_data(session, with_records=with_records)
            session.commit()
        engine.dispose()
    _reset_caches()


class DemoTemplates:
    """The demo data built once per database kind, demo kind and day, then copied into tests' databases.

    SQLite: a template file copied over the test's file. PostgreSQL: the rows kept in a schema of
    the session's database and copied back with INSERT ... SELECT after emptying the tables
    (measured against CREATE DATABASE ... TEMPLATE per test, which is slower; see README).
    """

    def __init__(self, folder: Path, sqlite_template: Path) -> None:
        self.folder = folder
        self.sqlite_template = sqlite_template
        self.sqlite_files: dict[tuple[str, object], Path] = {}
        self.postgres_schemas: dict[tuple[str, str, object], str] = {}

    @staticmethod
    def _day() -> object:
        from backend.domain.dates import today

        return today()  # demo dates are relative to today: a run past midnight builds anew

    def sqlite(self, kind: str) -> Path:
        key = (kind, self._day())
        if key not in self.sqlite_files:
            path = self.folder / f"{kind}-{key[1]}.db"
            shutil.copy(self.sqlite_template, path)
            _load_demo(f"sqlite:///{path}", DEMO_KINDS[kind])
            engine = create_engine(f"sqlite:///{path}")
            raw = engine.raw_connection()
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.close()
            engine.dispose()
            self.sqlite_files[key] = path
        return self.sqlite_files[key]

    def copy_sqlite(self, kind: str, path: Path) -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.sqlite(kind), path)

    def restore_postgres(self, url: str, kind: str) -> None:
        """Empty the session database and copy the demo rows back in (building them the first time)."""
        key = (url, kind, self._day())
        if key not in self.postgres_schemas:
            _reset_postgres(url)
            _load_demo(url, DEMO_KINDS[kind])
            schema = f"template_{kind}_{len(self.postgres_schemas)}"
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                for table in _public_tables(connection):
                    connection.execute(text(f'CREATE TABLE "{schema}"."{table}" AS TABLE public."{table}"'))
            engine.dispose()
            self.postgres_schemas[key] = schema
        _reset_postgres(url, self.postgres_schemas[key])


#: The columns of public tables that own a sequence (serial or identity).
_SERIAL_COLUMNS = text(
    "SELECT t.relname, a.attname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
    "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid "
    "AND a.attnum = d.refobjsubid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE s.relkind = 'S' AND n.nspname = 'public'"
)


def _in_dependency_order(connection, tables: list[str]) -> list[str]:
    """The tables ordered so that every table comes after those its foreign keys point at."""
    edges = connection.execute(
        text(
            "SELECT DISTINCT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = 'public'"
        )
    ).all()
    needs = {table: set() for table in tables}
    for child, parent in edges:
        child, parent = child.strip('"'), parent.strip('"')
        if child in needs and parent in needs and child != parent:
            needs[child].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(table for table, parents in needs.items() if not parents - set(ordered))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle: {sorted(needs)}")
        ordered.extend(ready)
        for table in ready:
            del needs[table]
    return ordered


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> DemoTemplates:
    return DemoTemplates(tmp_path_factory.mktemp("demo-templates"), sqlite_template)


def _demo_kind(request: pytest.FixtureRequest) -> str | None:
    """The demo data the test asks for (demo_full wins when both are asked for: it includes demo)."""
    names = set(request.fixturenames)
    if "demo_full" in names:
        return "demo_full"
    return "demo" if "demo" in names else None


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, demo_templates: DemoTemplates) -> str:
    """The test's database, with the demo data already in it when the test asks for `demo`/`demo_full`."""
    kind = _demo_kind(request)
    if request.param == "sqlite":
        path = tmp_path / "opspor.db"
        if kind:
            demo_templates.copy_sqlite(kind, path)
        else:
            shutil.copy(demo_templates.sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    if kind:
        demo_templates.restore_postgres(url, kind)
    else:
        _reset_postgres(url)
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
def app(app_env: str):
    from backend.app import create_app

    return create_app()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def db(app_env: str):
    """A session for the test's own reads and setup; on SQLite it does not hold the write lock
    while the app serves requests (commit after writing, as the app would)."""
    from backend.db import make_engine, new_session

    engine = make_engine(app_env, sqlite_write_lock_up_front=False)
    with new_session(engine) as session:
        yield session
    engine.dispose()


def _ensure_demo(with_records: bool) -> None:
    """Load the demo data unless `db_url` copied it in already (a test asking for it dynamically)."""
    from backend.db import new_session
    from backend.people.demo import load_demo_data

    with new_session() as session:
        load_demo_data(session, with_records=with_records)
        session.commit()


@pytest.fixture
def demo(app_env: str) -> None:
    """The demo organisation and children, without demo records (tests count what they make)."""
    _ensure_demo(with_records=False)


@pytest.fixture
def demo_full(app_env: str) -> None:
    """The demo municipality exactly as `opspor demo-data` loads it, records and all."""
    _ensure_demo(with_records=True)


def _started_live_server(path: Path, demo_templates: DemoTemplates) -> LiveServer:
    demo_templates.copy_sqlite("demo_full", path)
    server = LiveServer(f"sqlite:///{path}", env={"OPSPOR_SECRET_KEY": "live-" + uuid.uuid4().hex})
    server.start()
    return server


@pytest.fixture
def live_server(tmp_path: Path, demo_templates: DemoTemplates) -> Iterator[LiveServer]:
    """A demo-mode server on its own SQLite file (the full demo data); `live_server.stop()` kills it."""
    server = _started_live_server(tmp_path / "live.db", demo_templates)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_live_server(
    tmp_path_factory: pytest.TempPathFactory, demo_templates: DemoTemplates
) -> Iterator[LiveServer]:
    """One started demo-mode server for the tests of a module that neither stop it nor depend on
    what the module's other tests wrote (each test should use its own child, user or record)."""
    server = _started_live_server(tmp_path_factory.mktemp("shared-live") / "live.db", demo_templates)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
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
def browser_context(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()
