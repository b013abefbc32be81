"""Offline benchmarks, server side (issue 14), over HTTP without a browser:

1. `POST /api/sync`: 100 and 1,000 queued concern notes delivered in batches of 200; seconds,
   and the bytes on the wire (request line, headers and body, both ways) next to the items'
   own JSON bodies.
2. Delta download: "Hent til offline" (manifest + every page) and a second one with nothing
   changed, sending each page's ETag as `If-None-Match` (bytes on the wire, seconds).

The browser figures (the outbox in Chromium) are in `bench/offline.py`.
Run: `.venv/bin/python -m bench.offline_server`
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import closing

import httpx
from sqlmodel import select

from bench.common import bench_server
from bench.offline import HEALTH_VISITOR, grow_caseload_to
from tests.browser.offline_support import server_database

BATCH = 200


class WireCounter:
    """Bytes of every request and response as HTTP/1.1 puts them on the wire (compressed
    bodies as sent; request line, status line and headers included)."""

    def __init__(self) -> None:
        self.sent = 0
        self.received = 0

    def request(self, request: httpx.Request) -> None:
        head = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
        self.sent += len(head.encode()) + len(request.content)

    def response(self, response: httpx.Response) -> None:
        response.read()
        head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
        self.received += len(head.encode()) + response.num_bytes_downloaded


def signed_in_client(base_url: str, counter: WireCounter) -> httpx.Client:
    client = httpx.Client(
        base_url=base_url,
        headers={"Accept-Encoding": "gzip"},
        event_hooks={"request": [counter.request], "response": [counter.response]},
        timeout=120,
    )
    answer = client.post("/api/session", json={"username": HEALTH_VISITOR, "password": "demo"})
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def notes(child_ids: list[str], count: int) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "schema": 1,
            "type": "concern_note",
            "child_id": child_ids[index % len(child_ids)],
            "base_version": None,
            "status": "final",
            "data": {"observed_on": time.strftime("%Y-%m-%d"), "text": f"Note {index} skrevet uden net"},
        }
        for index in range(count)
    ]


def measure_sync(base_url: str, child_ids: list[str], count: int) -> dict:
    counter = WireCounter()
    with closing(signed_in_client(base_url, counter)) as client:
        items = notes(child_ids, count)
        counter.sent = counter.received = 0
        start = time.perf_counter()
        statuses = []
        for first in range(0, count, BATCH):
            answer = client.post("/api/sync", json={"items": items[first : first + BATCH]})
            answer.raise_for_status()
            statuses += [result["status"] for result in answer.json()["results"]]
        seconds = time.perf_counter() - start
    assert statuses == [201] * count, set(statuses)
    body_bytes = sum(len(json.dumps(item, separators=(",", ":")).encode()) for item in items)
    return {
        "records": count,
        "seconds": seconds,
        "requests": -(-count // BATCH),
        "sent": counter.sent,
        "received": counter.received,
        "json_bodies": body_bytes,
        "ratio": counter.sent / body_bytes,
    }


def measure_delta_download(base_url: str) -> dict:
    counter = WireCounter()
    with closing(signed_in_client(base_url, counter)) as client:
        rounds = []
        etags: dict[str, str] = {}
        for mode in ("first", "if-none-match", "compare manifests"):
            counter.sent = counter.received = 0
            start = time.perf_counter()
            manifest = client.get("/api/offline/manifest").json()
            statuses: dict[int, int] = {}
            for url in manifest["urls"]:
                current = manifest["etags"].get(url)
                if mode == "compare manifests" and current and etags.get(url) == current:
                    continue  # the kept copy is current: no request at all
                headers = {"If-None-Match": etags[url]} if url in etags else {}
                page = client.get(url, headers=headers)
                statuses[page.status_code] = statuses.get(page.status_code, 0) + 1
            etags = dict(manifest["etags"])  # the kept copies' versions: the manifest fetched before them
            rounds.append(
                {
                    "seconds": time.perf_counter() - start,
                    "bytes": counter.sent + counter.received,
                    "received": counter.received,
                    "pages": len(manifest["urls"]),
                    "statuses": statuses,
                }
            )
    return {"first": rounds[0], "second": rounds[1], "compare": rounds[2]}


def main() -> None:
    with bench_server("sqlite") as server:
        grow_caseload_to(server, HEALTH_VISITOR, 25)
        with server_database(server) as db:
            from backend.people.models import Caseload, User

            user = db.exec(select(User).where(User.username == HEALTH_VISITOR)).one()
            child_ids = [c.child_id for c in db.exec(select(Caseload).where(Caseload.user_id == user.id))]
        measure_sync(server.url, child_ids, 20)  # warm up (imports, caches)
        syncs = [measure_sync(server.url, child_ids, count) for count in (100, 1000)]
        delta = measure_delta_download(server.url)
    print("Offline benchmarks, server side (HTTP client, SQLite server on the same 2-core machine)")
    for sync in syncs:
        print(
            f"  POST /api/sync: {sync['records']} records in {sync['requests']} request(s) of ≤{BATCH}: "
            f"{sync['seconds']:.2f} s; sent {sync['sent']:,} bytes for {sync['json_bodies']:,} bytes of "
            f"item JSON ({sync['ratio']:.2f}×); received {sync['received']:,} bytes"
        )
    first = delta["first"]
    print(
        f"  'Hent til offline' ({first['pages']} pages): first {first['bytes']:,} bytes "
        f"in {first['seconds']:.2f} s"
    )
    for name, again in (
        ("If-None-Match on every page", delta["second"]),
        ("comparing manifests", delta["compare"]),
    ):
        print(
            f"    again, nothing changed, {name}: {again['bytes']:,} bytes "
            f"({100 * again['bytes'] / first['bytes']:.1f} %) in {again['seconds']:.2f} s, "
            f"answers {again['statuses']}"
        )


if __name__ == "__main__":
    main()
