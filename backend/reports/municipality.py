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
from backend.domain.settings import POSITIONS, MunicipalSettings
from backend.domain.wellbeing import SEVERITY
from backend.people.models import Unit, UnitKind
from backend.reports.overview import AREA_KEYS, UnitFigures, many_units

UNIT_KIND_LABELS = {
    UnitKind.health_visiting: "Sundhedspleje",
    UnitKind.childminding: "Dagpleje",
    UnitKind.institution: "Institutioner",
}


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    group: str


def _metrics() -> list[Metric]:
    metrics = [
        Metric("children", "Børn i runden", "wellbeing"),
        Metric("assessed", "Med fælles vurdering", "wellbeing"),
    ]
    metrics += [Metric(f"overall.{p}", p, "positions") for p in POSITIONS]
    metrics += [Metric(f"{area}.{p}", p, f"area.{area}") for area in AREA_KEYS for p in POSITIONS]
    metrics += [
        Metric("compared", "Vurderet i begge runder", "movement"),
        Metric("better", "Bedre", "movement"),
        Metric("same", "Uændret", "movement"),
        Metric("worse", "Dårligere", "movement"),
        Metric("adbb.first_due", "1. screening: vindue lukket", "adbb"),
        Metric("adbb.first_on_time", "1. screening i vinduet", "adbb"),
        Metric("adbb.second_due", "2. screening: vindue lukket", "adbb"),
        Metric("adbb.second_on_time", "2. screening i vinduet", "adbb"),
        Metric("adbb.screenings", "Screeninger", "adbb"),
        Metric("adbb.above_cutoff", "Ved eller over cut-off", "adbb"),
        Metric("adbb.follow_ups_due", "Opfølgninger forfaldne", "adbb"),
        Metric("adbb.follow_ups_in_time", "Opfølgninger til tiden", "adbb"),
        Metric("transitions.outgoing", "Overgange", "transitions"),
        Metric("transitions.consent_given", "Samtykke givet", "transitions"),
        Metric("transitions.consent_refused", "Samtykke afvist", "transitions"),
        Metric("transitions.described_before_start", "Beskrivelse før start", "transitions"),
        Metric("transitions.evaluations_due", "Evalueringer forfaldne", "transitions"),
        Metric("transitions.evaluations_in_time", "Evalueret efter 3–4 mdr.", "transitions"),
        Metric("follow_up.agreement.open", "Åbne aftaler", "follow_up"),
        Metric("follow_up.agreement.overdue", "Forfaldne aftaler", "follow_up"),
        Metric("follow_up.trial_action_follow_up.open", "Åbne prøvehandlinger", "follow_up"),
        Metric("follow_up.trial_action_follow_up.overdue", "Forfaldne prøvehandlinger", "follow_up"),
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
        "Andel opfølgninger til tiden",
        "adbb.follow_ups_in_time",
        "adbb.follow_ups_due",
    ),
    ("share.transitions.consent", "Andel med samtykke", "transitions.consent_given", "transitions.outgoing"),
    (
        "share.transitions.described",
        "Andel beskrevet før start",
        "transitions.described_before_start",
        "transitions.outgoing",
    ),
    (
        "share.transitions.evaluated",
        "Andel evalueret til tiden",
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


def build_report(
    db: Session, municipality_id: str, on: date, settings: MunicipalSettings, age_band: str | None = None
) -> Report:
    units = list(
        db.exec(
            select(Unit)
            .where(Unit.municipality_id == municipality_id, Unit.active)
            .order_by(Unit.kind, Unit.name)
        )
    )
    figures = many_units(db, units, on, settings, age_band)
    return protect_rows([(u.kind, u.name, counts_of(f)) for u, f in zip(units, figures, strict=True)], on)


def protect_rows(units: list[tuple[str, str, dict[str, int]]], on: date) -> Report:
    """Add the unit-type and municipality rows and hide what must be hidden."""
    values: dict[Hashable, int] = {}
    sums: list[disclosure.Sum] = []
    kinds = [k for k in UNIT_KIND_LABELS if any(kind == k for kind, _n, _c in units)]
    layout: list[tuple[str, str, str, Hashable]] = []  # (level, kind, name, row key)
    for kind in kinds:
        members = [(index, name, counts) for index, (k, name, counts) in enumerate(units) if k == kind]
        for index, name, counts in members:
            row = ("unit", index)
            layout.append(("unit", kind, name, row))
            values.update({(row, key): counts[key] for key in METRIC_KEYS})
        type_row = ("type", kind)
        layout.append(("type", kind, UNIT_KIND_LABELS[kind], type_row))
        for key in METRIC_KEYS:
            values[(type_row, key)] = sum(counts[key] for _i, _n, counts in members)
            sums.append(disclosure.Sum((type_row, key), tuple((("unit", i), key) for i, _n, _c in members)))
    total_row = ("total",)
    layout.append(("total", "", "Hele kommunen", total_row))
    for key in METRIC_KEYS:
        values[(total_row, key)] = sum(values[(("type", kind), key)] for kind in kinds)
        sums.append(disclosure.Sum((total_row, key), tuple((("type", kind), key) for kind in kinds)))
    for _level, _kind, _name, row in layout:
        for total, parts in ROW_SUMS:
            sums.append(disclosure.Sum((row, total), tuple((row, part) for part in parts)))
    hidden = disclosure.protect(values, sums)
    rows = []
    for level, kind, name, row in layout:
        cells = {
            key: disclosure.shown_count(values[(row, key)], hidden.get((row, key))) for key in METRIC_KEYS
        }
        for share_key, _label, numerator, denominator in SHARES:
            cells[share_key] = disclosure.shown_share(
                values[(row, numerator)],
                values[(row, denominator)],
                (row, numerator) in hidden,
                (row, denominator) in hidden,
            )
        rows.append(ReportRow(level, kind, name, cells))
    return Report(on, rows, len(hidden))


def report_csv(report: Report) -> str:
    """The report as CSV (semicolon-separated, as Danish spreadsheets expect), with a header row;
    unit names are text and neutralised against formula injection (`backend/domain/csv_file.py`)."""
    keys = METRIC_KEYS + [s[0] for s in SHARES]
    return write_csv(
        ["level", "unit_type", "unit", *keys],
        ([row.level, row.kind, row.name, *(row.cells[k] for k in keys)] for row in report.rows),
    )
