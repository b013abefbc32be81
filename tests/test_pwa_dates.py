"""The page's age in months (pwa/dates.js) and the server's (backend/domain/dates.py) agree.

Node runs the ES module itself; both sides get the same table of tricky dates: month ends, leap
days, year ends, the day before birth.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

from backend.config import PROJECT_DIR
from backend.domain.dates import add_months, age_in_months

DATES_JS = PROJECT_DIR / "pwa" / "dates.js"

TRICKY = [
    # born 31 Jan: one month old at the end of February
    ("2024-01-31", "2024-02-28"),
    ("2024-01-31", "2024-02-29"),
    ("2024-01-31", "2024-03-01"),
    ("2023-01-31", "2023-02-28"),
    ("2023-01-31", "2023-03-30"),
    ("2023-01-31", "2023-03-31"),
    # born 30/31 of a month, on the 30th of a 30-day month
    ("2024-03-31", "2024-04-30"),
    ("2024-03-30", "2024-04-29"),
    ("2024-03-30", "2024-04-30"),
    ("2024-05-31", "2024-06-30"),
    ("2024-08-31", "2024-09-30"),
    ("2024-10-31", "2024-11-30"),
    # leap days
    ("2024-02-29", "2025-02-28"),
    ("2024-02-29", "2025-03-01"),
    ("2024-02-29", "2024-03-29"),
    ("2024-02-29", "2026-02-28"),
    ("2024-02-28", "2024-02-29"),
    # year ends
    ("2023-12-31", "2024-01-30"),
    ("2023-12-31", "2024-01-31"),
    ("2023-12-31", "2024-02-29"),
    ("2023-12-15", "2024-01-14"),
    ("2023-12-15", "2024-01-15"),
    # the screening window's edges and the day of birth
    ("2024-01-31", "2024-03-30"),
    ("2024-01-31", "2026-01-30"),
    ("2024-01-31", "2026-01-31"),
    ("2024-06-15", "2024-06-15"),
    ("2024-06-15", "2024-06-14"),
]


def every_day_after(birth: str, days: int) -> list[tuple[str, str]]:
    start = date.fromisoformat(birth)
    return [(birth, (start + timedelta(days=n)).isoformat()) for n in range(days)]


CASES = TRICKY + every_day_after("2024-01-31", 800) + every_day_after("2023-08-31", 400)


def run_js(expression: str, cases: list[tuple[str, str]]) -> list:
    script = (
        f"const m = await import({json.dumps(DATES_JS.as_uri())});"
        f"const cases = {json.dumps(cases)};"
        f"console.log(JSON.stringify(cases.map(([a, b]) => {expression})));"
    )
    result = subprocess.run(
        ["node", "--experimental-detect-module", "--no-warnings", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_age_in_months_is_the_same_in_the_page_and_on_the_server() -> None:
    js = run_js("m.ageInMonths(a, b)", CASES)
    python = [age_in_months(date.fromisoformat(a), date.fromisoformat(b)) for a, b in CASES]
    differences = [(case, j, p) for case, j, p in zip(CASES, js, python, strict=True) if j != p]
    assert differences == []
    # The cases the old page script got wrong: one month old on the last day of a shorter month.
    page = dict(zip(CASES, js, strict=True))
    assert page[("2024-01-31", "2024-02-29")] == 1 and page[("2024-03-31", "2024-04-30")] == 1


def test_add_months_is_the_same_in_the_page_and_on_the_server() -> None:
    cases = [(start, str(months)) for start, _ in TRICKY for months in (-13, -1, 0, 1, 2, 11, 12, 25)]
    js = run_js("m.addMonths(a, Number(b))", cases)
    python = [add_months(date.fromisoformat(a), int(b)).isoformat() for a, b in cases]
    assert js == python
