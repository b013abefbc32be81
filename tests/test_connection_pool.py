"""The database connections a server process keeps (issue 21, PostgreSQL): under load they are
reused, never opened and closed per request. With a few kept and more allowed beyond them, every
burst above the kept few opened new connections — a PostgreSQL process each, its statements
planned again — and closed them when the burst was over: the database spent more CPU on that
than on the requests' statements."""

from __future__ import annotations

import threading
from contextlib import ExitStack

import pytest
from sqlalchemy import event, text

from backend.config import get_settings
from backend.db import get_engine


@pytest.fixture
def postgresql(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite is a file in the process: it has no connections to keep")


def opened_connections(engine) -> list[object]:
    opened: list[object] = []
    event.listen(engine, "connect", lambda dbapi_connection, _record: opened.append(dbapi_connection))
    return opened


def test_bursts_of_requests_reuse_the_kept_connections(postgresql, app_env: str) -> None:
    engine = get_engine()
    kept = get_settings().database_pool_size
    opened = opened_connections(engine)
    for _ in range(3):  # three bursts, each with every kept connection in use at once
        with ExitStack() as burst:
            connections = [burst.enter_context(engine.connect()) for _ in range(kept)]
            for connection in connections:
                assert connection.execute(text("SELECT 1")).scalar() == 1
    assert len(opened) == kept


def test_a_request_beyond_the_kept_connections_waits_for_one(
    postgresql, app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSPOR_DATABASE_POOL_SIZE", "2")
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = get_engine()
    opened = opened_connections(engine)
    served = threading.Event()

    def third_request() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        served.set()

    with ExitStack() as busy:
        for _ in range(2):
            busy.enter_context(engine.connect()).execute(text("SELECT 1"))
        waiting = threading.Thread(target=third_request)
        waiting.start()
        assert not served.wait(0.5)  # both connections are in use: the third request waits
    waiting.join(10)
    assert served.is_set()  # and is served on a connection given back
    assert len(opened) == 2
