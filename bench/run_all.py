"""Run every benchmark and print its figures (`make bench`). Never part of the tests."""

from __future__ import annotations

import importlib
import os
import sys

BENCHMARKS = [
    "bench.page_weight",
    "bench.load",
    "bench.records",
    "bench.offline",
    "bench.adbb_journey",
    "bench.reminders",
    "bench.overview",
    "bench.server",
]


def main() -> None:
    if {"bench.load", "bench.server"} & set(BENCHMARKS) and not (
        os.environ.get("OPSPOR_BENCH_DATABASE_URL") or os.environ.get("OPSPOR_TEST_DATABASE_URL")
    ):
        os.environ["OPSPOR_BENCH_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    for name in BENCHMARKS:
        print(f"\n== {name} ==", flush=True)
        sys.argv = [name]
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
