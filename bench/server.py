"""Opspor against the bare stack, side by side in one run (`make bench-server`).

Starts a bare app on the same stack (`bench/bare_app.py`: FastAPI + SQLAlchemy/psycopg + Jinja2,
one indexed read rendered into a small template, one JSON row inserted) and Opspor with the demo
municipality, each as one uvicorn process on its own database of the same kind, signs in as the
demo health visitor and measures every endpoint with `wrk` (16 connections, 12 s each by
default), the bare app first, then Opspor. Prints req/s, p50 and p99 per endpoint and the ratio
Opspor/bare. Never fails on timing: it reports.

Run: `OPSPOR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
      .venv/bin/python -m bench.server [--seconds 12] [--connections 16] [--database sqlite]
      [--profile DIR]` — with --profile, py-spy samples Opspor during each of its runs and the top
functions are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import PG_URL, bench_database
from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
MEASURE_LUA = Path(__file__).with_name("wrk") / "measure.lua"
USERNAME = "demo-sundhedsplejerske"


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    errors: int
    cpu_ms: float = 0.0  # the server process's CPU time per request (less noisy than req/s here)
    #: PostgreSQL's CPU time per request (all its processes): on one machine the database's work
    #: shares the cores with the app's, so a statement saved is CPU saved twice.
    db_cpu_ms: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Endpoint:
    label: str
    bare: tuple[str, str]  # (method, path)
    opspor: tuple[str, str]
    body: str | None = None  # for PUT: the JSON body; the path gets a new UUID per request

    @property
    def slug(self) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in self.label).strip("-")


# -- databases and processes ----------------------------------------------------------------------


@contextmanager
def bare_database(kind: str):
    if kind == "postgresql":
        name = f"bare_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bare.db'}"


@contextmanager
def process(command: list[str], env: dict[str, str], ready_url: str, log: Path):
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{command[2]} exited with {proc.returncode}; see {log}")
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[2]} did not start; see {log}")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def opspor_command(port: int) -> list[str]:
    command = [sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    help_text = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return command + (["--workers", "1"] if "--workers" in help_text else [])


# -- measuring ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux)."""
    return _cpu_of(Path(f"/proc/{pid}/stat").read_text())


def _cpu_of(stat: str, with_ended_children: bool = False) -> float:
    fields = stat.rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_ended_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """User + system CPU time of PostgreSQL's processes (0 for SQLite, which runs in the app): the
    running ones', and the ended ones' as counted in their parent's (a connection's process
    ends when the pool closes it)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        if "(postgres)" in text:
            total += _cpu_of(text, with_ended_children=True)
    return total


def measured(pid: int, run) -> Result:
    before, database_before = cpu_seconds(pid), database_cpu_seconds()
    result = run()
    requests = max(result.requests, 1)
    result.cpu_ms = 1000 * (cpu_seconds(pid) - before) / requests
    result.db_cpu_ms = 1000 * max(database_cpu_seconds() - database_before, 0.0) / requests
    return result


def run_wrk(
    base: str,
    endpoint: tuple[str, str],
    headers: dict[str, str],
    seconds: int,
    connections: int,
    body: str | None = None,
) -> Result:
    method, path = endpoint
    env = dict(os.environ)
    if method == "PUT":
        env["WRK_PUT_PREFIX"] = path
        env["WRK_BODY"] = body or "{}"
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    command += ["-s", str(MEASURE_LUA)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, base + (path if method == "GET" else "/")], capture_output=True, text=True, env=env
    ).stdout
    line = next((x for x in output.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no summary:\n{output}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non2xx=data["non2xx"],
        errors=data["errors"],
    )


@contextmanager
def sampling(pid: int, out: Path | None, seconds: int):
    """py-spy samples the process while the block runs (when `out` is given)."""
    if out is None:
        yield
        return
    spy = subprocess.Popen(
        [
            shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            str(out),
            "--duration",
            str(seconds + 1),
            "--rate",
            "200",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.wait(timeout=seconds + 60)


def top_entries(raw: Path, count: int = 8) -> list[tuple[float, str]]:
    """The functions of Opspor's own code and its libraries with the most samples (inclusive),
    leaving out the server's frames that every request passes through."""
    inclusive: Counter[str] = Counter()
    total = 0
    if not raw.exists():
        return []
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        n = int(samples)
        frames = stack.split(";")
        if not any("backend/" in f or "sqlalchemy" in f or "babel" in f or "jinja2" in f for f in frames):
            continue
        total += n
        for frame in set(frames):
            name = frame.split(" (")[0]
            where = frame.partition(" (")[2]
            if "backend/" in where or "babel/" in where or "psycopg" in where or "jinja2/" in where:
                short = where.split("site-packages/")[-1].split("h21-speed/")[-1].split(":")[0]
                inclusive[f"{short}:{name}"] += n
    return [(100 * n / total, name) for name, n in inclusive.most_common(count)] if total else []


# -- the run --------------------------------------------------------------------------------------


def sign_in(base: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as client:
        response = client.post("/api/session", json={"username": USERNAME, "password": "demo"})
        response.raise_for_status()
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        return {"Cookie": cookie, "X-CSRF-Token": response.json()["csrf_token"]}


def busiest_child(base: str, headers: dict[str, str]) -> str:
    """The demo health visitor's child with the most records (the heaviest child page)."""
    with httpx.Client(base_url=base, headers=headers) as client:
        ids = [c["id"] for c in client.get("/api/children").json()]
        return max(ids, key=lambda i: len(client.get(f"/api/children/{i}").json()["records"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("OPSPOR_BENCH_SECONDS", "12")))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--profile", type=Path, default=None, help="folder for py-spy's samples")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench-server` installs it (apt-get install wrk).")
    if args.database == "postgresql" and not PG_URL:
        os.environ["OPSPOR_BENCH_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        globals()["PG_URL"] = os.environ["OPSPOR_BENCH_DATABASE_URL"]
        import bench.common

        bench.common.PG_URL = PG_URL
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    logs = Path(tempfile.mkdtemp(prefix="bench-server-"))

    with ExitStack() as stack:
        opspor_url = stack.enter_context(bench_database(args.database))
        bare_url = stack.enter_context(bare_database(args.database))
        from bench.bare_app import seed

        item_id = seed(bare_url)[0]
        bare_port, opspor_port = free_port(), free_port()
        bare_base, opspor_base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{opspor_port}"
        bare_proc = stack.enter_context(
            process(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bench.bare_app:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(bare_port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                {"BARE_DATABASE_URL": bare_url},
                f"{bare_base}/api/items/{item_id}",
                logs / "bare.log",
            )
        )
        opspor = stack.enter_context(
            process(
                opspor_command(opspor_port),
                {
                    "OPSPOR_DATABASE_URL": opspor_url,
                    "OPSPOR_DEMO": "1",
                    "OPSPOR_BASE_URL": opspor_base,
                    "OPSPOR_SECRET_KEY": "bench",
                    "OPSPOR_RUN_SCHEDULER": "0",
                },
                f"{opspor_base}/healthz",
                logs / "opspor.log",
            )
        )
        headers = sign_in(opspor_base)
        child_id = busiest_child(opspor_base, headers)
        note = {
            "type": "concern_note",
            "child_id": child_id,
            "base_version": None,
            "status": "final",
            "data": {"observed_on": time.strftime("%Y-%m-%d"), "text": "Måling af skrivning."},
        }
        endpoints = [
            Endpoint("child page", ("GET", f"/items/{item_id}"), ("GET", f"/children/{child_id}")),
            Endpoint('"I dag" (/)', ("GET", f"/items/{item_id}"), ("GET", "/")),
            Endpoint("caseload (/children)", ("GET", f"/items/{item_id}"), ("GET", "/children")),
            Endpoint(
                "GET /api/children/{id}",
                ("GET", f"/api/items/{item_id}"),
                ("GET", f"/api/children/{child_id}"),
            ),
            Endpoint(
                "PUT /api/records/{new uuid}",
                ("PUT", "/api/entries/"),
                ("PUT", "/api/records/"),
                json.dumps(note),
            ),
        ]
        json_headers = {"Content-Type": "application/json"}
        rows = []
        for endpoint in endpoints:
            bare = measured(
                bare_proc.pid,
                lambda e=endpoint: run_wrk(
                    bare_base, e.bare, json_headers, args.seconds, args.connections, e.body
                ),
            )
            spied = args.profile / f"{endpoint.slug}.txt" if args.profile else None
            with sampling(opspor.pid, spied, args.seconds):
                ours = measured(
                    opspor.pid,
                    lambda e=endpoint: run_wrk(
                        opspor_base,
                        e.opspor,
                        {**headers, **json_headers},
                        args.seconds,
                        args.connections,
                        e.body,
                    ),
                )
            rows.append((endpoint, bare, ours, spied))
            print(f"  measured {endpoint.label}", file=sys.stderr, flush=True)

    print(
        f"\nOpspor vs. the bare stack: {args.database}, one uvicorn process each, wrk "
        f"{args.connections} connections, {args.seconds} s per endpoint, signed in as {USERNAME}"
    )
    print(
        f"  {'endpoint':<30} {'bare req/s':>10} {'p50':>8} {'p99':>8} | {'Opspor req/s':>12} "
        f"{'p50':>8} {'p99':>8} | {'ratio':>5} | CPU ms/request bare, Opspor (app + database)"
    )
    for endpoint, bare, ours, _ in rows:
        ratio = ours.rate / bare.rate if bare.rate else 0.0
        print(
            f"  {endpoint.label:<30} {bare.rate:>10.0f} {bare.p50_ms:>6.1f}ms {bare.p99_ms:>6.1f}ms | "
            f"{ours.rate:>12.0f} {ours.p50_ms:>6.1f}ms {ours.p99_ms:>6.1f}ms | {ratio:>5.2f} | "
            f"{bare.cpu_ms:.1f} + {bare.db_cpu_ms:.1f}, {ours.cpu_ms:.1f} + {ours.db_cpu_ms:.1f}"
        )
        for who, result in (("bare", bare), ("Opspor", ours)):
            if result.non2xx or result.errors:
                print(f"    ({who}: {result.non2xx} answers not 2xx, {result.errors} socket errors)")
    for endpoint, _bare, _ours, spied in rows:
        if spied is not None:
            print(f"\npy-spy, Opspor, {endpoint.label}: share of samples (inclusive)")
            for share, name in top_entries(spied):
                print(f"  {share:5.1f} %  {name}")


if __name__ == "__main__":
    main()
