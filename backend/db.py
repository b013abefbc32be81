"""Engine, sessions and the migrations hook."""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus
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

    On PostgreSQL it keeps `database_pool_size` (settings) connections and opens no more: a
    request beyond them waits for one (a 503 after 30 s). With connections beyond a kept few
    ("overflow"), a busy process opened and closed a connection for many of its requests — a new
    PostgreSQL process each, its statements planned again — which cost the database more CPU
    than the requests' own statements (the child page under 16 connections: 7.4 ms of the
    database's CPU a request, 2.4–3.9 ms with them kept).

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
    engine = create_engine(
        url,
        pool_size=get_settings().database_pool_size,
        max_overflow=0,
        connect_args={"cursor_factory": _Cursor},
    )
    event.listen(engine, "before_cursor_execute", _begin_before_a_write)
    return engine


class _Description(Sequence):
    """A cursor's `description`, its `Column`s built when first read. SQLAlchemy asks for the
    description after every statement, but with its result metadata cached per statement it only
    looks whether there is one; psycopg would build a `Column` (name decoded, type looked up) for
    every column of the answer — 35 for the session query alone."""

    __slots__ = ("_cursor", "_result", "_columns")

    def __init__(self, cursor: psycopg.Cursor, result) -> None:
        self._cursor, self._result, self._columns = cursor, result, None

    def __len__(self) -> int:
        return self._result.nfields

    def __getitem__(self, index):
        return self._built()[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    def _built(self) -> list[Column]:
        if self._columns is None:
            cursor = self._cursor
            if cursor.pgresult is not self._result:  # the cursor has moved on: as it was then
                cursor = SimpleNamespace(
                    pgresult=self._result, _encoding=cursor._encoding, adapters=cursor.adapters
                )
            self._columns = [Column(cursor, index) for index in range(self._result.nfields)]
        return self._columns


class _Cursor(psycopg.Cursor):
    @property
    def description(self) -> _Description | None:
        result = self.pgresult
        if result and (result.nfields or result.status in _TUPLES):
            return _Description(self, result)
        return None


_TUPLES = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


#: The execution option `begin_at_first_write` sets on a session's connection.
_LAZY = "opspor_begin_at_first_write"
_LOCKING_READ = re.compile(
    r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|pg_advisory", re.IGNORECASE
)


def begin_at_first_write(db: Session) -> None:
    """PostgreSQL: the session's reads run outside a transaction, and its first statement that
    writes or locks (an INSERT, UPDATE or DELETE, an ORM flush, SELECT … FOR UPDATE, an advisory
    lock, a savepoint) begins one, which the session's commit or rollback ends as usual.

    For a read (a GET) that writes nothing but its audit rows this saves the BEGIN and COMMIT
    round trips: the audit INSERT is one statement, atomic on its own (`audit.AuditTrail.flush`),
    committed by PostgreSQL when it has run — before the response is sent. Under PostgreSQL's
    READ COMMITTED each statement sees the database as of its own start, inside a transaction or
    not, so the reads see what they saw before. Call it before the session's first statement;
    SQLite keeps its `BEGIN IMMEDIATE`."""
    if db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "AUTOCOMMIT", _LAZY: True})


@lru_cache(maxsize=2048)
def _writes_or_locks(statement: str) -> bool:
    start = statement.lstrip()[:6].upper()
    return start != "SELECT" or _LOCKING_READ.search(statement) is not None


def _begin_before_a_write(connection, cursor, statement, _parameters, context, _executemany) -> None:
    options = context.execution_options if context is not None else connection.get_execution_options()
    if not options.get(_LAZY) or options.get("opspor_alone"):
        return
    dbapi_connection = cursor.connection
    if dbapi_connection.autocommit and _writes_or_locks(statement):
        dbapi_connection.autocommit = False  # psycopg sends BEGIN before this statement


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def new_session(engine: Engine | None = None) -> Session:
    return Session(engine or get_engine(), expire_on_commit=False)


@lru_cache
def plain(model: type) -> type[tuple]:
    """A read-only stand-in for a table model: a named tuple of its columns (the attributes a
    page reads), for lists loaded through `plain_rows`."""
    return namedtuple(model.__name__, [column.key for column in model.__table__.columns])


def plain_rows(db: Session, statement, params: dict, *models: type) -> Iterator[tuple]:
    """Runs a select of `models`' entities (then any other columns) without the ORM: each row as
    one `plain(model)` per model, then the other columns. For the long lists of a busy page: the
    ORM's object per entity and row (identity map, instance state) costs ~20 times the tuple.
    What the session has not written yet is flushed first, as the ORM's own query would (the
    request's own changes are read); the session does not hold on to what was read."""
    db.flush()  # nothing to do (and no statement) when nothing is pending
    shapes = []
    start = 0
    for model in models:
        end = start + len(model.__table__.columns)
        shapes.append((plain(model), start, end))
        start = end
    make = tuple.__new__
    for row in db.connection().execute(statement, params):
        yield (*(make(cls, row[a:b]) for cls, a, b in shapes), *row[start:])


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
