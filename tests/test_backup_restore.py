"""Issue 21: the README's backup and restore (`pg_dump -Fc` / `pg_restore`) gives a copy that
starts and shows the same children and records."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.ops_support import Server, load_demo
from tests.support import login


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _seen_by(server: Server, username: str) -> dict:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        login(client, username)
        children = client.get("/api/children")
        assert children.status_code == 200
        listed = sorted(children.json(), key=lambda child: child["id"])
        pages = {child["id"]: client.get(f"/api/children/{child['id']}").json() for child in listed}
    return {"children": listed, "pages": pages}


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        names = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        counts = {
            name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in sorted(names)
        }
    engine.dispose()
    return counts


def test_pg_dump_and_pg_restore_give_a_copy_that_starts_with_the_same_data(db_url, tmp_path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("backup and restore with pg_dump/pg_restore is for PostgreSQL")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore are not installed (Debian: postgresql-client)")
    load_demo(db_url)
    dump = tmp_path / "opspor.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-f", str(dump), _libpq(db_url)],
        check=True,
        timeout=300,
    )
    restored_name = f"opspor_restore_{uuid.uuid4().hex[:10]}"
    restored = make_url(db_url).set(database=restored_name).render_as_string(hide_password=False)
    admin = create_engine(make_url(db_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{restored_name}"'))
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq(restored), str(dump)],
            check=True,
            timeout=300,
        )
        counts = _counts(db_url)
        assert counts["record"] > 0 and counts["child"] > 0
        assert _counts(restored) == counts
        secret = {"OPSPOR_SECRET_KEY": "backup-" + uuid.uuid4().hex}  # the same key for both
        with Server(db_url, env=secret, log_dir=tmp_path) as original:
            before = {user: _seen_by(original, user) for user in ("demo-sundhedsplejerske", "demo-paedagog")}
        with Server(restored, env=secret, log_dir=tmp_path) as copy:
            after = {user: _seen_by(copy, user) for user in ("demo-sundhedsplejerske", "demo-paedagog")}
        assert after == before
        assert any(page.get("records") for seen in before.values() for page in seen["pages"].values())
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'))
        admin.dispose()
