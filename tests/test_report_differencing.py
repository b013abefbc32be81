"""The municipality report's small-count suppression holds across its age-band filter (issue 12,
L-7): an attacker who downloads every view the page offers and subtracts one from another (and
even knows the exact number outside every band) can work out no hidden count."""

from __future__ import annotations

import csv
import io
import math
import random
from datetime import date

import pytest

from backend.domain.overview import AGE_BANDS
from backend.domain.settings import POSITIONS
from backend.reports.municipality import (
    METRIC_KEYS,
    ROW_SUMS,
    VIEWS,
    counts_of,
    protect_rows,
    protect_views,
)
from backend.reports.overview import AREA_KEYS
from tests.support import login

Row = tuple[str, str, str]  # (level, unit type, name)


def _published(client, band: str | None) -> dict[Row, dict[str, str]]:
    url = "/api/reports/municipality.csv" + (f"?age_band={band}" if band else "")
    response = client.get(url)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    return {(r["level"], r["unit_type"], r["unit"]): {k: r[k] for k in METRIC_KEYS} for r in rows}


def _true_counts(db, on: date) -> dict[str | None, dict[Row, dict[str, int]]]:
    """What the views would show without any suppression (to give the attacker the exact rest)."""
    from sqlmodel import select

    from backend.domain.settings import load_settings
    from backend.domain.units import UNIT_KIND_LABELS
    from backend.people.models import Municipality, Unit
    from backend.reports.overview import many_units

    municipality = db.exec(select(Municipality)).one()
    settings = load_settings(municipality.settings)
    units = list(db.exec(select(Unit).where(Unit.active).order_by(Unit.kind, Unit.name)))
    truth: dict[str | None, dict[Row, dict[str, int]]] = {}
    for band in VIEWS:
        rows: dict[Row, dict[str, int]] = {}
        for unit, figures in zip(units, many_units(db, units, on, settings, band), strict=True):
            counts = counts_of(figures)
            rows[("unit", unit.kind, unit.name)] = counts
            type_row = ("type", unit.kind, UNIT_KIND_LABELS[unit.kind])
            total_row = ("total", "", "Hele kommunen")
            for row in (type_row, total_row):
                rows.setdefault(row, dict.fromkeys(METRIC_KEYS, 0))
                for key in METRIC_KEYS:
                    rows[row][key] += counts[key]
        truth[band] = rows
    return truth


def _recoverable(
    published: dict[str | None, dict[Row, dict[str, str]]], rest: dict[tuple[Row, str], int]
) -> list[tuple]:
    """Hidden cells whose exact value follows from the published views, by interval reasoning
    over every sum the reader knows: within a view (units → type → municipality, positions →
    assessed, movements → compared) and across views (all ages = the bands + the known rest)."""
    low: dict[tuple, float] = {}
    high: dict[tuple, float] = {}
    hidden = []
    for view, rows in published.items():
        for row, cells in rows.items():
            for key, shown in cells.items():
                cell = (view, row, key)
                if shown == "<5":
                    low[cell], high[cell] = 0, 4
                    hidden.append(cell)
                elif shown == "x":
                    low[cell], high[cell] = 0, math.inf
                    hidden.append(cell)
                else:
                    low[cell] = high[cell] = int(shown)
    sums: list[tuple[tuple, list[tuple], int]] = []  # total = parts + constant
    any_rows = next(iter(published.values()))
    for view, rows in published.items():
        for row in rows:
            if row[0] == "type":
                units = [r for r in rows if r[0] == "unit" and r[1] == row[1]]
                sums += [((view, row, k), [(view, u, k) for u in units], 0) for k in METRIC_KEYS]
            if row[0] == "total":
                types = [r for r in rows if r[0] == "type"]
                sums += [((view, row, k), [(view, t, k) for t in types], 0) for k in METRIC_KEYS]
            for total, parts in ROW_SUMS:
                sums.append(((view, row, total), [(view, row, p) for p in parts], 0))
    for row in any_rows:
        for key in METRIC_KEYS:
            # The rest (children in no band) is never published; the reader is granted it as if
            # it were, under the same rule: exact when 0 or at least 5, "below 5" otherwise.
            value = rest[(row, key)]
            low[("rest", row, key)], high[("rest", row, key)] = (0, 4) if 0 < value < 5 else (value, value)
            parts = [(band, row, key) for band in AGE_BANDS] + [("rest", row, key)]
            sums.append(((None, row, key), parts, 0))
    for _round in range(200):
        changed = False
        for total, parts, constant in sums:
            parts_low = sum(low[p] for p in parts) + constant
            parts_high = sum(high[p] for p in parts) + constant
            if parts_low > low[total]:
                low[total], changed = parts_low, True
            if parts_high < high[total]:
                high[total], changed = parts_high, True
            for part in parts:
                others_high = parts_high - high[part]
                others_low = parts_low - low[part]
                new_low = low[total] - others_high if others_high != math.inf else -math.inf
                new_high = high[total] - others_low
                if new_low > low[part]:
                    low[part], changed = new_low, True
                if new_high < high[part]:
                    high[part], changed = new_high, True
        if not changed:
            break
    return [cell for cell in hidden if low[cell] == high[cell]]


def test_no_hidden_count_can_be_recovered_by_differencing_the_age_band_views(client, demo_full, db) -> None:
    from backend.domain.dates import today

    login(client, "demo-admin")
    published = {band: _published(client, band) for band in VIEWS}
    truth = _true_counts(db, today())
    rest = {
        (row, key): truth[None][row][key] - sum(truth[band][row][key] for band in AGE_BANDS)
        for row in truth[None]
        for key in METRIC_KEYS
    }
    assert min(rest.values()) >= 0  # every unfiltered count is its bands plus a rest
    # The unfiltered view still shows what it may (the suppression does not hide everything).
    assert any(c not in ("<5", "x") for cells in published[None].values() for c in cells.values())
    # The band views hide cells: the targets of differencing.
    assert any(
        published[band][row][key] in ("<5", "x")
        for band in AGE_BANDS
        for row in published[band]
        for key in METRIC_KEYS
    )
    assert _recoverable(published, rest) == []
    # Each view protected on its own (the old way) would have been undone by differencing.
    alone = {
        band: protect_rows([(r[1], r[2], c) for r, c in rows.items() if r[0] == "unit"], today())
        for band, rows in truth.items()
    }
    assert _recoverable(_as_published(alone), rest) != []


def test_a_cell_hidden_in_a_band_view_is_not_given_away_by_the_other_views() -> None:
    """By hand: 20 children in all, 12 aged 0–1 and 8 aged 1–3 — but only 3 aged 3–6 and
    none elsewhere would leave 3–6 the difference 20 − 12 − 5 = 3."""

    def counts(children: int) -> dict[str, int]:
        return {key: (children if key in ("children",) else 0) for key in METRIC_KEYS}

    views = {
        None: [("institution", "A", counts(20)), ("institution", "B", counts(30))],
        "0-1": [("institution", "A", counts(12)), ("institution", "B", counts(10))],
        "1-3": [("institution", "A", counts(5)), ("institution", "B", counts(10))],
        "3-6": [("institution", "A", counts(3)), ("institution", "B", counts(10))],
    }
    reports = protect_views(views, date(2026, 6, 1))
    cells = {band: {row.name: row.cells["children"] for row in r.rows} for band, r in reports.items()}
    assert cells["3-6"]["A"] == "<5"
    # A second cell of the same sum is hidden in some view, so 20 − 12 − 5 gives nothing away.
    same_sum = [cells[band]["A"] for band in (None, "0-1", "1-3")]
    assert any(shown in ("<5", "x") for shown in same_sum)
    published = {
        band: {(row.level, row.kind, row.name): {k: row.cells[k] for k in METRIC_KEYS} for row in report.rows}
        for band, report in reports.items()
    }
    rest = {(row, key): 0 for row in published[None] for key in METRIC_KEYS}
    assert _recoverable(published, rest) == []


# --- demo-like data, larger than the demo: many units, every band, a few children in no band -----


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _unit_counts(rng: random.Random, children: int) -> dict[str, int]:
    """One unit's counts for one band, consistent with every sum the report holds."""
    counts = dict.fromkeys(METRIC_KEYS, 0)
    assessed = rng.randint(children // 2, children)
    counts.update(children=children, assessed=assessed)
    for prefix in ["overall", *AREA_KEYS]:
        for position, value in zip(POSITIONS, _split(rng, assessed, len(POSITIONS)), strict=True):
            counts[f"{prefix}.{position}"] = value
    compared = rng.randint(0, assessed)
    counts["compared"] = compared
    counts["better"], counts["same"], counts["worse"] = _split(rng, compared, 3)
    for key in METRIC_KEYS:
        if key.startswith(("adbb.", "transitions.", "follow_up.")):
            counts[key] = rng.randint(0, max(children // 3, 1))
    return counts


def _demo_like_views(seed: int) -> tuple[dict, dict]:
    """Views as the page offers them (all ages + each band) for 10 units; the unfiltered counts
    are the bands plus a rest (children older than the bands) — and that rest, per cell."""
    rng = random.Random(seed)
    units = [("health_visiting", f"Sundhedspleje {i}") for i in range(2)]
    units += [("childminding", f"Dagpleje {i}") for i in range(3)]
    units += [("institution", f"Børnehus {i}") for i in range(5)]
    views: dict[str | None, list] = {band: [] for band in VIEWS}
    for kind, name in units:
        parts = {}
        for band in AGE_BANDS:
            plausible = kind == "health_visiting" and band != "0-1"
            parts[band] = _unit_counts(rng, rng.randint(0, 4) if plausible else rng.randint(0, 30))
        parts["rest"] = _unit_counts(rng, rng.choice([0, 0, 0, 1, 2, 6]))
        for band in AGE_BANDS:
            views[band].append((kind, name, parts[band]))
        views[None].append((kind, name, {k: sum(p[k] for p in parts.values()) for k in METRIC_KEYS}))
    return views, _rest_of(views)


def _rest_of(views: dict) -> dict:
    """Per published row and metric: the unfiltered count minus the bands (the attacker knows it)."""
    from backend.domain.units import UNIT_KIND_LABELS

    truth: dict[str | None, dict[Row, dict[str, int]]] = {}
    for band, units in views.items():
        rows: dict[Row, dict[str, int]] = {}
        for kind, name, counts in units:
            rows[("unit", kind, name)] = counts
            for row in (("type", kind, UNIT_KIND_LABELS[kind]), ("total", "", "Hele kommunen")):
                rows.setdefault(row, dict.fromkeys(METRIC_KEYS, 0))
                for key in METRIC_KEYS:
                    rows[row][key] += counts[key]
        truth[band] = rows
    return {
        (row, key): truth[None][row][key] - sum(truth[band][row][key] for band in AGE_BANDS)
        for row in truth[None]
        for key in METRIC_KEYS
    }


def _as_published(reports: dict) -> dict[str | None, dict[Row, dict[str, str]]]:
    return {
        band: {(r.level, r.kind, r.name): {k: r.cells[k] for k in METRIC_KEYS} for r in report.rows}
        for band, report in reports.items()
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_demo_like_views_protected_together_leak_nothing_by_differencing(seed: int) -> None:
    views, rest = _demo_like_views(seed)
    on = date(2026, 6, 1)
    # Each view protected on its own (the old way) can be undone by differencing …
    alone = {band: protect_rows(units, on) for band, units in views.items()}
    assert _recoverable(_as_published(alone), rest) != []
    # … the views protected together cannot.
    together = protect_views(views, on)
    assert _recoverable(_as_published(together), rest) == []
    # And the report is still worth reading: most unfiltered unit counts of children are shown.
    shown = [r.cells["children"] for r in together[None].rows if r.level == "unit"]
    assert sum(cell not in ("<5", "x") for cell in shown) >= len(shown) // 2
