"""Engine, sessions and the migrations hook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import JSON, DateTime, Engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from backend.config import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: JSON that is JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite as well as PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use backend.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, *, sqlite_write_lock_up_front: bool = True) -> Engine:
    """An engine for the URL.

    On SQLite every transaction begins with BEGIN IMMEDIATE (the write lock up front): requests
    then take turns instead of failing when a read-then-write transaction cannot upgrade its
    lock, and savepoints work. With False the driver's own behaviour stays: reads outside a
    transaction, BEGIN at the first write (tests use it to look at the database in between).
    """
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            if sqlite_write_lock_up_front:
                dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        if sqlite_write_lock_up_front:

            @event.listens_for(engine, "begin")
            def _sqlite_begin(connection):
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No ping before every checkout (a round trip per request): a connection the database
    # dropped fails its first statement, SQLAlchemy then lets go of the whole pool, and
    # `web/context.get_ctx` starts the request again on a fresh connection.
    return create_engine(url, pool_size=10, max_overflow=20)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def new_session(engine: Engine | None = None) -> Session:
    return Session(engine or get_engine(), expire_on_commit=False)


def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    with new_session(engine) as session:
        yield session


def database_answers(engine: Engine | None = None) -> bool:
    try:
        with (engine or get_engine()).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def migrate(engine: Engine | None = None) -> None:
    """Apply every Alembic migration to the configured database."""
    from alembic import command
    from alembic.config import Config

    engine = engine or get_engine()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
