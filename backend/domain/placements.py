"""Placements (enrolment history, domain §3): the rules for a move, a new placement and leaving.

A placement holds from `starts_on` until (not including) `ends_on`; an open placement has no end.
A move takes effect on its start date: the placement that holds then ends that very day. A child
is never in two units at once, never placed before birth, and never "moved" to the unit it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.domain.messages import N_


class PlacementError(ValueError):
    """A placement the rules refuse; the message is Danish and safe to show."""


@dataclass(frozen=True)
class Span:
    unit_id: str
    starts_on: date
    ends_on: date | None = None
    unit_name: str = ""
    id: str = ""

    def holds_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)

    def overlaps(self, starts_on: date, ends_on: date | None) -> bool:
        starts_before_other_ends = ends_on is None or self.starts_on < ends_on
        ends_after_other_starts = self.ends_on is None or starts_on < self.ends_on
        return starts_before_other_ends and ends_after_other_starts


def _dates(span: Span) -> str:
    start = span.starts_on.strftime("%d-%m-%Y")
    return f"fra {start}" if span.ends_on is None else f"{start}–{span.ends_on.strftime('%d-%m-%Y')}"


def check_new_placement(
    history: list[Span], birth_date: date, unit_id: str, starts_on: date, ends_on: date | None = None
) -> Span | None:
    """Check a new placement against the child's history.

    Returns the open placement the new one supersedes (to be ended on `starts_on`), or None.
    Raises PlacementError for a placement before birth, an empty period, a move to the unit the
    child is in, or an overlap with any other placement.
    """
    if starts_on < birth_date:
        raise PlacementError(N_("Startdatoen ligger før barnets fødselsdato."))
    if ends_on is not None and ends_on <= starts_on:
        raise PlacementError(N_("Slutdatoen skal ligge efter startdatoen."))
    superseded = None
    for span in sorted(history, key=lambda s: s.starts_on, reverse=True):  # report the latest clash
        if not span.overlaps(starts_on, ends_on):
            continue
        if span.unit_id == unit_id:
            name = span.unit_name or "enheden"
            raise PlacementError(f"Barnet er allerede indskrevet i {name} på den dato. Vælg en anden enhed.")
        if span.ends_on is None and span.starts_on < starts_on:
            superseded = span
            continue
        raise PlacementError(
            f"Indskrivningen overlapper barnets indskrivning i {span.unit_name} {_dates(span)}."
        )
    return superseded


def check_leaving(history: list[Span], leaves_on: date) -> Span:
    """The open placement that ends when the child leaves the municipality on `leaves_on`."""
    open_spans = [span for span in history if span.ends_on is None]
    if not open_spans:
        raise PlacementError(N_("Barnet har ingen åben indskrivning at afslutte."))
    span = open_spans[0]
    if leaves_on <= span.starts_on:
        raise PlacementError(N_("Slutdatoen skal ligge efter indskrivningens startdato."))
    return span


def has_left(history: list[Span], on: date) -> date | None:
    """The day the child left when no placement holds on or after `on`, else None."""
    if not history:
        return None
    if any(span.ends_on is None or span.ends_on > on for span in history):
        return None
    return max(span.ends_on for span in history if span.ends_on is not None)
