"""Prometheus metrics (prometheus_client): what the server did, never who or about whom.

Labels are route templates (`/children/{child_id}`), methods, status codes, job names and
outcomes — never raw paths, ids, names or query strings.

`opspor serve` sets `PROMETHEUS_MULTIPROC_DIR` (a fresh directory per start) before the worker
processes import this module, so with `--workers N` every process writes its samples there and
`/metrics` adds them up across processes. Without it (tests in one process) the default
registry is used.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "opspor_http_requests",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "opspor_http_request_duration_seconds",
    "Time from request to the end of the response, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PROCESS_REQUESTS = Gauge(
    "opspor_process_requests",
    "Requests served by each server process (shows that every worker serves).",
    multiprocess_mode="all",
)
RECORD_WRITES = Counter(
    "opspor_record_writes",
    "Record writes (PUT /api/records, POST /api/sync items, forms) by result status.",
    ["status"],
)
JOB_RUNS = Counter(
    "opspor_job_runs",
    "Periodic job runs by job and outcome (ok or error).",
    ["job", "outcome"],
)
SCHEDULER_TICKS = Counter("opspor_scheduler_ticks", "Scheduler passes over the periodic jobs.")
PUSH_DELIVERIES = Counter(
    "opspor_push_deliveries",
    "Web push delivery attempts by outcome (sent, retry, gone, failed).",
    ["outcome"],
)
PASSWORD_HASHES_WAITING = Counter(
    "opspor_password_hash_waits",
    "Password hashings that had to wait for a free slot in the bounded pool.",
)
PASSWORD_HASHES_AT_ONCE = Gauge(
    "opspor_password_hashes_most_at_once",
    "The most password hashings that ever ran at the same time in one process (the pool's bound).",
    multiprocess_mode="max",
)


def render_latest() -> tuple[bytes, str]:
    """The exposition text of every metric, added up across the server's processes."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def record_write(status: int) -> None:
    RECORD_WRITES.labels(status=str(status)).inc()


def job_run(name: str, ok: bool) -> None:
    JOB_RUNS.labels(job=name, outcome="ok" if ok else "error").inc()


def push_delivery(outcome: str) -> None:
    PUSH_DELIVERIES.labels(outcome=outcome).inc()
