"""Servers for the operations tests: `opspor serve --workers N`, metrics reading, demo data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from tests.support import free_port, spawn_serve, wait_until_serving


def load_demo(url: str, *, with_records: bool = True) -> None:
    from backend.db import make_engine, new_session
    from backend.people.demo import load_demo_data

    engine = make_engine(url)
    with new_session(engine) as session:
        load_demo_data(session, with_records=with_records)
        session.commit()
    engine.dispose()


class Server:
    """`opspor serve` in its own process group, with its log in a file."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 1,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.host = host
        self.url = f"http://{host}:{self.port}"
        self.workers = workers
        self.env = {
            **os.environ,
            "OPSPOR_DATABASE_URL": database_url,
            "OPSPOR_DEMO": "1",
            "OPSPOR_BASE_URL": self.url,
            "OPSPOR_SECRET_KEY": "ops-" + uuid.uuid4().hex,
            "OPSPOR_RUN_SCHEDULER": "0",
            **(env or {}),
        }
        self.log_path = (log_dir or Path(os.environ.get("TMPDIR", "/tmp"))) / f"opspor-ops-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> Server:
        args = ["--host", self.host, "--port", str(self.port), "--workers", str(self.workers)]
        self.process = spawn_serve(args, self.env, self.log_path)
        wait_until_serving(self.process, self.url, self.log_path, timeout)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def metrics(self) -> str:
        response = httpx.get(self.url + "/metrics", timeout=10)
        assert response.status_code == 200, response.text
        return response.text

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus's text format (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match.group(4))
    return total


def per_process(text: str, name: str) -> dict[str, float]:
    return {
        pid: float(value)
        for pid, value in re.findall(rf'^{name}\{{pid="(\d+)"\}}\s+(\S+)$', text, flags=re.MULTILINE)
    }


def wait_for(condition, timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
