"""Issue 21: PostgreSQL goes away under load and comes back — the app answers 503 (a Danish page,
or the contract's error JSON under /api/) meanwhile, stores nothing half, and recovers by itself.
The database's network is cut with a TCP forwarder between the app and PostgreSQL."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.records.models import Record, RecordVersion
from tests.ops_support import Server, load_demo, wait_for
from tests.support import children_of_unit, login
from tests.tcp_proxy import TcpProxy


def _concern(child_id: str, text: str) -> dict:
    return {
        "type": "concern_note",
        "child_id": child_id,
        "base_version": None,
        "status": "final",
        "data": {"observed_on": today().isoformat(), "text": text},
    }


def test_postgresql_outage_gives_503_stores_nothing_and_recovers(db_url, db, tmp_path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a database restart is a PostgreSQL matter (SQLite is a file in the process)")
    load_demo(db_url, with_records=False)
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    db.rollback()
    target = make_url(db_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    statuses: list[int] = []
    stop = threading.Event()
    try:
        with (
            Server(proxied, log_dir=tmp_path) as server,
            httpx.Client(base_url=server.url, timeout=60) as client,
        ):
            login(client, "demo-sundhedsplejerske")
            before = client.put(f"/api/records/{uuid.uuid4()}", json=_concern(child.id, "Før"))
            assert before.status_code == 201

            def load() -> None:  # other people keep opening the child meanwhile
                with httpx.Client(base_url=server.url, timeout=60, cookies=client.cookies) as other:
                    while not stop.is_set():
                        statuses.append(other.get(f"/api/children/{child.id}").status_code)

            loader = threading.Thread(target=load)
            loader.start()
            wait_for(lambda: len(statuses) >= 3, timeout=60, interval=0.05)

            proxy.cut()
            during_id = str(uuid.uuid4())
            during = client.put(f"/api/records/{during_id}", json=_concern(child.id, "Under"))
            assert during.status_code == 503
            assert set(during.json()) == {"detail", "errors"} and "Databasen" in during.json()["detail"]
            assert during.headers["retry-after"]
            page = client.get("/children", headers={"Accept": "text/html"})
            assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
            assert "ikke tilgængelig" in page.text and 'lang="da"' in page.text
            wait_for(lambda: 503 in statuses, timeout=60, interval=0.05)

            proxy.restore()
            wait_for(lambda: client.get(f"/api/children/{child.id}").status_code == 200, timeout=60)
            stop.set()
            loader.join(timeout=60)
            assert set(statuses) <= {200, 503}, statuses  # never a 500

            # Nothing of the refused write was stored; sent again it is stored once.
            assert db.exec(select(Record).where(Record.id == during_id)).first() is None
            assert db.exec(select(AuditEvent).where(AuditEvent.object_id == during_id)).first() is None
            again = client.put(f"/api/records/{during_id}", json=_concern(child.id, "Under"))
            assert again.status_code == 201
            db.rollback()
            assert db.exec(select(func.count()).select_from(Record).where(Record.id == during_id)).one() == 1
            versions = (
                select(func.count()).select_from(RecordVersion).where(RecordVersion.record_id == during_id)
            )
            assert db.exec(versions).one() == 1
    finally:
        stop.set()
        proxy.stop()
