"""Helpers for tests: signing in, demo lookups, a live server in a subprocess, Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from backend.people.models import Child, Placement, Unit, User

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--disable-dev-shm-usage",
]
#: For the subprocesses tests start with an environment of their own: passwords hashed cheaply.
TEST_HASHING = {"OPSPOR_PASSWORD_HASH_PROFILE": "test"}
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "da-DK",
    "timezone_id": "Europe/Copenhagen",
}


def login(client: httpx.Client, username: str, password: str = "demo", code: str | None = None) -> str:
    """Sign in through the JSON API; returns the CSRF token and sets it as a default header.

    `code` is the second factor that local accounts other than demo users need (see `give_totp`).
    """
    body = {"username": username, "password": password} | ({"code": code} if code else {})
    response = client.post("/api/session", json=body)
    assert response.status_code == 200, response.text
    token = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


def give_totp(db: Session, user_id: str) -> str:
    """Enrol a user in TOTP directly in the database; returns the secret (for `pyotp.TOTP`)."""
    from backend.auth import totp
    from backend.auth.models import TotpCredential
    from backend.config import get_settings

    secret = totp.new_secret()
    db.add(TotpCredential(user_id=user_id, secret_sealed=totp.seal(get_settings(), secret)))
    db.commit()
    return secret


def user_named(db: Session, username: str) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def unit_named(db: Session, name: str) -> Unit:
    return db.exec(select(Unit).where(Unit.name == name)).one()


def children_of_unit(db: Session, unit_name: str) -> list[Child]:
    unit = unit_named(db, unit_name)
    query = (
        select(Child)
        .join(Placement, Placement.child_id == Child.id)
        .where(Placement.unit_id == unit.id, Placement.ends_on.is_(None))
        .order_by(Child.name)
    )
    return list(db.exec(query))


def moved_child(db: Session) -> Child:
    """The demo child who moved from health visiting to childminding 20 days ago."""
    ended = select(Placement.child_id).where(Placement.ends_on.is_not(None))
    unit = unit_named(db, "Dagplejen Syd")
    query = (
        select(Child)
        .join(Placement, Placement.child_id == Child.id)
        .where(Child.id.in_(ended), Placement.unit_id == unit.id)
    )
    return db.exec(query).one()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn_serve(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """`opspor serve ARGS` from this checkout, in its own process group, its output in `log_path`."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", *args],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_serving(process: subprocess.Popen, url: str, log_path: Path, timeout: float) -> None:
    """Return once `/healthz` answers 200; the server's log tail in the error otherwise."""

    def tail() -> str:
        return log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {tail()}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start: " + tail())


class LiveServer:
    """`opspor serve` in a subprocess, so a test can stop it mid-visit and start it again."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "OPSPOR_DATABASE_URL": database_url,
            "OPSPOR_DEMO": "1",
            "OPSPOR_BASE_URL": self.url,
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"opspor-live-{self.port}.log"
        self.process = spawn_serve(["--port", str(self.port), "--workers", "1"], self.env, self.log_path)
        wait_until_serving(self.process, self.url, self.log_path, timeout)

    def stop(self) -> None:
        """Kill the server process (as a crash or a dead network would)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def app_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers and all."""
    from fastapi.routing import iter_route_contexts

    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if route.path and method != "HEAD":
                found.append((method, route.path))
    return found


def concrete(path: str) -> str:
    """A route path with a made-up id in every parameter."""
    import re

    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


ADBB_ITEMS = [
    "facial_expression",
    "eye_contact",
    "activity_level",
    "self_stimulation",
    "vocalisation",
    "response_briskness",
    "relationship",
    "attracting_attention",
]


def adbb_data(screened_on: str, total: int, occasion: str = "second", **extra: object) -> dict:
    """ADBB data whose eight scores add up to `total` (0–32)."""
    scores, left = {}, total
    for key in ADBB_ITEMS:
        scores[key] = min(4, left)
        left -= scores[key]
    return {
        "screened_on": screened_on,
        "occasion": occasion,
        "items": scores,
        "action": "follow_up" if total >= 5 else "none",
        **extra,
    }


def put_record(
    client: httpx.Client,
    record_type: str,
    child_id: str | None,
    data: dict,
    *,
    status: str = "final",
    base_version: int | None = None,
    record_id: str | None = None,
    unit_id: str | None = None,
) -> httpx.Response:
    import uuid

    record_id = record_id or str(uuid.uuid4())
    body = {
        "type": record_type,
        "child_id": child_id,
        "base_version": base_version,
        "status": status,
        "data": data,
    }
    if unit_id:
        body["unit_id"] = unit_id
    return client.put(f"/api/records/{record_id}", json=body)


def child_aged(db: Session, unit_name: str, min_months: int, max_months: int) -> Child:
    """A demo child of the unit whose age today is within the given months."""
    from backend.domain.dates import age_in_months, today

    for child in children_of_unit(db, unit_name):
        if min_months <= age_in_months(child.birth_date, today()) <= max_months:
            return child
    raise LookupError(f"no child aged {min_months}–{max_months} months in {unit_name}")


def add_user(db: Session, username: str, role: str, unit_name: str | None, password: str = "demo") -> User:
    """A non-demo colleague with one role (password 'demo', no second factor needed in tests)."""
    from backend.auth.passwords import hash_password
    from backend.people.models import RoleAssignment

    municipality_id = db.exec(select(Unit.municipality_id)).first()
    user = User(
        municipality_id=municipality_id,
        username=username,
        display_name=username.title(),
        password_hash=hash_password(password),
        is_demo=True,
    )
    db.add(user)
    db.flush()
    db.add(
        RoleAssignment(
            user_id=user.id, role=role, unit_id=unit_named(db, unit_name).id if unit_name else None
        )
    )
    db.commit()
    return user
