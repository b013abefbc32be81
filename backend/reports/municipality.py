"""The municipality report (admins): the overview's figures per unit, per unit type and in all,
as counts and shares only — no child names, ids or CPR, small counts suppressed (domain §7).

Rows are units, unit types and the municipality; columns are the metrics below. Every count is
protected by `backend/domain/disclosure.py` against the sums that hold between cells: the
positions add up to the children assessed, the movements to the children compared, the units to
their type and the types to the municipality.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from backend.domain import disclosure
from backend.domain.csv_file import write_csv
from backend.domain.messages import N_
from backend.domain.overview import AGE_BANDS
from backend.domain.settings import POSITIONS, MunicipalSettings
from backend.domain.units import UNIT_KIND_LABELS
from backend.domain.wellbeing import SEVERITY
from backend.people.models import Unit
from backend.reports.overview import AREA_KEYS, UnitFigures, many_units_by_band


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    group: str


def _metrics() -> list[Metric]:
    metrics = [
        Metric("children", N_("Børn i runden"), "wellbeing"),
        Metric("assessed", N_("Med fælles vurdering"), "wellbeing"),
    ]
    metrics += [Metric(f"overall.{p}", p, "positions") for p in POSITIONS]
    metrics += [Metric(f"{area}.{p}", p, f"area.{area}") for area in AREA_KEYS for p in POSITIONS]
    metrics += [
        Metric("compared", "Vurderet i begge runder", "movement"),
        Metric("better", N_("Bedre"), "movement"),
        Metric("same", N_("Uændret"), "movement"),
        Metric("worse", N_("Dårligere"), "movement"),
        Metric("adbb.first_due", "1. screening: vindue lukket", "adbb"),
        Metric("adbb.first_on_time", "1. screening i vinduet", "adbb"),
        Metric("adbb.second_due", "2. screening: vindue lukket", "adbb"),
        Metric("adbb.second_on_time", "2. screening i vinduet", "adbb"),
        Metric("adbb.screenings", N_("Screeninger"), "adbb"),
        Metric("adbb.above_cutoff", "Ved eller over cut-off", "adbb"),
        Metric("adbb.follow_ups_due", N_("Opfølgninger forfaldne"), "adbb"),
        Metric("adbb.follow_ups_in_time", N_("Opfølgninger til tiden"), "adbb"),
        Metric("transitions.outgoing", N_("Overgange"), "transitions"),
        Metric("transitions.consent_given", "Samtykke givet", "transitions"),
        Metric("transitions.consent_refused", "Samtykke afvist", "transitions"),
        Metric("transitions.described_before_start", N_("Beskrivelse før start"), "transitions"),
        Metric("transitions.evaluations_due", "Evalueringer forfaldne", "transitions"),
        Metric("transitions.evaluations_in_time", "Evalueret efter 3–4 mdr.", "transitions"),
        Metric("follow_up.agreement.open", N_("Åbne aftaler"), "follow_up"),
        Metric("follow_up.agreement.overdue", "Forfaldne aftaler", "follow_up"),
        Metric("follow_up.trial_action_follow_up.open", N_("Åbne prøvehandlinger"), "follow_up"),
        Metric("follow_up.trial_action_follow_up.overdue", N_("Forfaldne prøvehandlinger"), "follow_up"),
    ]
    return metrics


METRICS = _metrics()
METRIC_KEYS = [m.key for m in METRICS]

#: Shares: (key, label, numerator, denominator).
SHARES = [
    ("share.assessed", "Andel vurderet", "assessed", "children"),
    ("share.adbb.first", "Andel 1. screening i vinduet", "adbb.first_on_time", "adbb.first_due"),
    ("share.adbb.second", "Andel 2. screening i vinduet", "adbb.second_on_time", "adbb.second_due"),
    ("share.adbb.above_cutoff", "Andel ved eller over cut-off", "adbb.above_cutoff", "adbb.screenings"),
    (
        "share.adbb.follow_ups",
        N_("Andel opfølgninger til tiden"),
        "adbb.follow_ups_in_time",
        "adbb.follow_ups_due",
    ),
    (
        "share.transitions.consent",
        N_("Andel med samtykke"),
        "transitions.consent_given",
        "transitions.outgoing",
    ),
    (
        "share.transitions.described",
        N_("Andel beskrevet før start"),
        "transitions.described_before_start",
        "transitions.outgoing",
    ),
    (
        "share.transitions.evaluated",
        N_("Andel evalueret til tiden"),
        "transitions.evaluations_in_time",
        "transitions.evaluations_due",
    ),
]

#: Sums within a row: total → parts.
ROW_SUMS = [("assessed", tuple(f"overall.{p}" for p in POSITIONS))]
ROW_SUMS += [("assessed", tuple(f"{area}.{p}" for p in POSITIONS)) for area in AREA_KEYS]
ROW_SUMS += [("compared", ("better", "same", "worse"))]


def counts_of(figures: UnitFigures) -> dict[str, int]:
    """A unit's figures as plain counts, by metric key."""
    counts = {"children": figures.progress.children, "assessed": figures.progress.assessed}
    for position in POSITIONS:
        counts[f"overall.{position}"] = figures.positions.get(position, 0)
        for area in AREA_KEYS:
            counts[f"{area}.{position}"] = figures.areas.get(area, {}).get(position, 0)
    better = same = worse = 0
    for before, row in figures.movement.items():
        for after, count in row.items():
            difference = SEVERITY[after] - SEVERITY[before]
            if difference < 0:
                better += count
            elif difference == 0:
                same += count
            else:
                worse += count
    counts.update(compared=figures.compared, better=better, same=same, worse=worse)
    for name in figures.adbb.__dataclass_fields__:
        counts[f"adbb.{name}"] = getattr(figures.adbb, name)
    for name in figures.transitions.__dataclass_fields__:
        counts[f"transitions.{name}"] = getattr(figures.transitions, name)
    total = figures.follow_up_total
    for kind in total.open:
        counts[f"follow_up.{kind}.open"] = total.open[kind]
        counts[f"follow_up.{kind}.overdue"] = total.overdue[kind]
    return counts


@dataclass
class ReportRow:
    level: str  # "unit" | "type" | "total"
    kind: str
    name: str
    cells: dict[str, str]  # metric or share key → shown text


@dataclass
class Report:
    on: date
    rows: list[ReportRow]
    hidden_cells: int


#: The views the report page offers: every age (None) and each age band of the filter.
VIEWS: tuple[str | None, ...] = (None, *AGE_BANDS)

UnitCounts = list[tuple[str, str, dict[str, int]]]  # (unit kind, unit name, counts) per unit


def build_report(
    db: Session, municipality_id: str, on: date, settings: MunicipalSettings, age_band: str | None = None
) -> Report:
    """One view of the report; its hidden cells are chosen together with every other view's."""
    return build_reports(db, municipality_id, on, settings)[age_band if age_band in VIEWS else None]


def build_reports(
    db: Session, municipality_id: str, on: date, settings: MunicipalSettings
) -> dict[str | None, Report]:
    """Every view the page offers (all ages and each age band), protected together (L-7)."""
    units = list(
        db.exec(
            select(Unit)
            .where(Unit.municipality_id == municipality_id, Unit.active)
            .order_by(Unit.kind, Unit.name)
        )
    )
    by_band = many_units_by_band(db, units, on, settings, VIEWS)
    views = {
        band: [(u.kind, u.name, counts_of(f)) for u, f in zip(units, figures, strict=True)]
        for band, figures in by_band.items()
    }
    return protect_views(views, on)


def protect_rows(units: UnitCounts, on: date) -> Report:
    """Add the unit-type and municipality rows and hide what must be hidden (one view alone)."""
    return protect_views({None: units}, on)[None]


def _layout(units: UnitCounts) -> tuple[list[str], list[tuple[str, str, str, Hashable, list[int]]]]:
    """The unit kinds present and the rows: (level, kind, name, row key, member unit indexes)."""
    kinds = [k for k in UNIT_KIND_LABELS if any(kind == k for kind, _n, _c in units)]
    layout: list[tuple[str, str, str, Hashable, list[int]]] = []
    for kind in kinds:
        members = [index for index, (k, _name, _counts) in enumerate(units) if k == kind]
        layout += [("unit", kind, units[index][1], ("unit", index), [index]) for index in members]
        layout.append(("type", kind, UNIT_KIND_LABELS[kind], ("type", kind), members))
    layout.append(("total", "", "Hele kommunen", ("total",), list(range(len(units)))))
    return kinds, layout


def protect_views(views: dict[str | None, UnitCounts], on: date) -> dict[str | None, Report]:
    """Add the unit-type and municipality rows to each view and hide what must be hidden — in all
    views at once, so that no view can be subtracted from another to work out a hidden cell.

    Each view's cells are protected against the sums within it (positions → assessed, units →
    type → municipality). Across views, every unfiltered cell is the sum of its age-band cells and
    of the children in no band (older, or counted only unfiltered such as round tasks): that rest
    is never published but can be worked out, so it is a cell of its own — protected when below 5,
    never chosen as a complement — and a structural 0 rest leaves the bands summing to the total.
    """
    first = next(iter(views.values()))
    kinds, layout = _layout(first)
    values: dict[Hashable, int] = {}
    sums: list[disclosure.Sum] = []
    for view, units in views.items():
        for _level, _kind, _name, row, members in layout:
            for key in METRIC_KEYS:
                values[(view, row, key)] = sum(units[index][2][key] for index in members)
        for _level, kind, _name, row, _members in layout:
            for key in METRIC_KEYS:
                if row[0] == "type":
                    parts = tuple(
                        (view, ("unit", i), key) for i, (k, _n, _c) in enumerate(units) if k == kind
                    )
                    sums.append(disclosure.Sum((view, row, key), parts))
                elif row[0] == "total":
                    parts = tuple((view, ("type", k), key) for k in kinds)
                    sums.append(disclosure.Sum((view, row, key), parts))
            for total, parts in ROW_SUMS:
                sums.append(disclosure.Sum((view, row, total), tuple((view, row, part) for part in parts)))
    unpublished: set[Hashable] = set()
    bands = [view for view in views if view is not None]
    if None in views and bands:
        for _level, _kind, _name, row, _members in layout:
            for key in METRIC_KEYS:
                parts = [(band, row, key) for band in bands]
                rest = values[(None, row, key)] - sum(values[part] for part in parts)
                if rest < 0:
                    continue  # not a sum of the bands (no such metric today): nothing to tie
                if rest > 0:
                    values[("rest", row, key)] = rest
                    unpublished.add(("rest", row, key))
                    parts.append(("rest", row, key))
                sums.append(disclosure.Sum((None, row, key), tuple(parts)))
    hidden = disclosure.protect(values, sums, unpublished)
    return {view: _view_report(view, layout, values, hidden, on) for view in views}


def _view_report(
    view: str | None,
    layout: list[tuple[str, str, str, Hashable, list[int]]],
    values: dict[Hashable, int],
    hidden: dict[Hashable, str],
    on: date,
) -> Report:
    rows = []
    for level, kind, name, row, _members in layout:
        cells = {
            key: disclosure.shown_count(values[(view, row, key)], hidden.get((view, row, key)))
            for key in METRIC_KEYS
        }
        for share_key, _label, numerator, denominator in SHARES:
            cells[share_key] = disclosure.shown_share(
                values[(view, row, numerator)],
                values[(view, row, denominator)],
                (view, row, numerator) in hidden,
                (view, row, denominator) in hidden,
            )
        rows.append(ReportRow(level, kind, name, cells))
    return Report(on, rows, sum(1 for key in hidden if key[0] == view))


def report_csv(report: Report) -> str:
    """The report as CSV (semicolon-separated, as Danish spreadsheets expect), with a header row;
    unit names are text and neutralised against formula injection (`backend/domain/csv_file.py`)."""
    keys = METRIC_KEYS + [s[0] for s in SHARES]
    return write_csv(
        ["level", "unit_type", "unit", *keys],
        ([row.level, row.kind, row.name, *(row.cells[k] for k in keys)] for row in report.rows),
    )
