"""Server latency under load: locust, headless, 50 users for 60 s, against PostgreSQL.

Run: `OPSPOR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
      .venv/bin/python -m bench.load [--users 50] [--seconds 60] [--database sqlite] [--workers 2]`
(`make bench-load-200`: 200 users against PostgreSQL and `opspor serve --workers 2`.)
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import bench_server

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def run(
    users: int, seconds: int, database: str, locustfile: Path = LOCUSTFILE, workers: int | None = None
) -> list[dict]:
    with bench_server(database, workers=workers) as server, tempfile.TemporaryDirectory() as out:
        prefix = Path(out) / "stats"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(locustfile),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(max(1, users // 5)),
                "-t",
                f"{seconds}s",
                "--host",
                server.url,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            check=False,
            capture_output=True,
        )
        with open(f"{prefix}_failures.csv", newline="") as failures:
            for row in csv.DictReader(failures):  # what failed, so a count is never unexplained
                error = row["Error"][:160]
                print(f"  failed {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {error}")
        with open(f"{prefix}_stats.csv", newline="") as stats:
            return list(csv.DictReader(stats))


def report(rows: list[dict], title: str) -> None:
    print(title)
    print(f"  {'request':<34} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}")
    for row in rows:
        print(
            f"  {row['Name'][:34]:<34} {int(row['Request Count']):>7} {int(row['Failure Count']):>5} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>5}ms {row['95%']:>5}ms {row['99%']:>5}ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=None, help="opspor serve --workers N")
    args = parser.parse_args()
    rows = run(args.users, args.seconds, args.database, workers=args.workers)
    processes = f"opspor serve --workers {args.workers}" if args.workers else "one uvicorn process"
    report(
        rows,
        f"Server latency: {args.users} users, {args.seconds} s, {args.database} "
        f"({processes}; locust on the same 2-core machine)",
    )


if __name__ == "__main__":
    main()
