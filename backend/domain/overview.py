"""The leader overview's rules (domain §10). Plain functions over plain facts: no I/O, no clock.

Who counts in a round (children who joined or left during it):

- A child is *in the round* when placed in the unit on at least one day of the round.
- The *reference day* is the round's last day, or today while the round is still open.
- A child who *left* (no longer placed in the unit on the reference day) counts only if a joint
  assessment was made for them in the round anyway; otherwise the receiving unit is responsible,
  and the child is listed as "left during the round" but not in the shares.
- A child who *joined* after the round opened counts like everyone else (they are the unit's
  now) and is shown as "joined during the round".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from backend.domain.adbb import Screening
from backend.domain.dates import age_in_months
from backend.domain.messages import N_
from backend.domain.schedules import Window, month_window, screened_on_time
from backend.domain.settings import POSITIONS, MunicipalSettings
from backend.domain.transition import evaluation_window
from backend.domain.wellbeing import AREAS

#: Age bands for the filter: key → (from month, to month exclusive, Danish label).
AGE_BANDS: dict[str, tuple[int, int, str]] = {
    "0-1": (0, 12, N_("0–1 år")),
    "1-3": (12, 36, N_("1–2 år")),
    "3-6": (36, 96, N_("3–6 år")),
}

#: ADBB, transitions and follow-up look back this far from the period's end.
LOOK_BACK = timedelta(days=182)


@dataclass(frozen=True)
class Stay:
    """One placement of a child in the unit: from `starts_on` until (not including) `ends_on`."""

    starts_on: date
    ends_on: date | None
    room_id: str | None = None

    def holds_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on > day)

    def overlaps(self, first: date, last: date) -> bool:
        return self.starts_on <= last and (self.ends_on is None or self.ends_on > first)


@dataclass(frozen=True)
class Membership:
    in_round: bool
    counted: bool
    joined: bool
    left: bool
    room_id: str | None


def reference_day(opens_on: date, closes_on: date, on: date) -> date:
    """The day a round's figures are read on: its last day, or today while it is open."""
    return max(opens_on, min(closes_on, on))


def membership(
    stays: Iterable[Stay], opens_on: date, closes_on: date, on: date, assessed: bool
) -> Membership:
    """Whether a child belongs to a round of the unit, and whether they joined or left during it."""
    during = [s for s in stays if s.overlaps(opens_on, closes_on)]
    if not during:
        return Membership(False, False, False, False, None)
    day = reference_day(opens_on, closes_on, on)
    holding = next((s for s in during if s.holds_on(day)), None)
    left = holding is None
    joined = min(s.starts_on for s in during) > opens_on
    room = (holding or max(during, key=lambda s: s.starts_on)).room_id
    return Membership(True, not left or assessed, joined, left, room)


def age_band_of(birth_date: date, on: date) -> str | None:
    months = age_in_months(birth_date, on)
    for key, (low, high, _label) in AGE_BANDS.items():
        if low <= months < high:
            return key
    return None


def in_age_band(birth_date: date, on: date, band: str | None) -> bool:
    return not band or age_band_of(birth_date, on) == band


# --- Positions ----------------------------------------------------------------------------------


def distribution(positions: Iterable[str | None]) -> dict[str, int]:
    """How many of each position (unknown or missing positions are left out)."""
    counts = Counter(p for p in positions if p in POSITIONS)
    return {key: counts.get(key, 0) for key in POSITIONS}


def area_distributions(joints: Iterable[Mapping]) -> dict[str, dict[str, int]]:
    """Per area: how many of each position among joint assessments' `areas`."""
    joints = list(joints)
    return {area: distribution((j.get("areas") or {}).get(area) for j in joints) for area in AREAS}


def movement(previous: Mapping[str, str], current: Mapping[str, str]) -> dict[str, dict[str, int]]:
    """From → to: children with a joint overall position in both rounds, by position pair."""
    matrix = {a: dict.fromkeys(POSITIONS, 0) for a in POSITIONS}
    for child_id, now in current.items():
        before = previous.get(child_id)
        if before in POSITIONS and now in POSITIONS:
            matrix[before][now] += 1
    return matrix


def share(numerator: int, denominator: int) -> int | None:
    """Whole per cent, None without a denominator."""
    return round(100 * numerator / denominator) if denominator else None


# --- ADBB ---------------------------------------------------------------------------------------


@dataclass
class AdbbFigures:
    first_due: int = 0
    first_on_time: int = 0
    second_due: int = 0
    second_on_time: int = 0
    screenings: int = 0
    above_cutoff: int = 0
    follow_ups_due: int = 0
    follow_ups_in_time: int = 0

    def add(self, other: AdbbFigures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def screening_window(birth_date: date, occasion: str, settings: MunicipalSettings) -> Window:
    setting = settings.adbb_first_window if occasion == "first" else settings.adbb_second_window
    return month_window(birth_date, setting)


def adbb_figures(
    birth_date: date, screenings: list[Screening], first: date, last: date, settings: MunicipalSettings
) -> AdbbFigures:
    """One child's ADBB figures for a period: windows that closed in the period (done inside the
    window or not), screenings made in it (at or over the cut-off), and follow-ups that fell due
    in it (a later screening within the follow-up interval)."""
    figures = AdbbFigures()
    for occasion in ("first", "second"):
        window = screening_window(birth_date, occasion, settings)
        if first <= window.due_on <= last:
            done = screened_on_time(window, occasion, screenings)
            if occasion == "first":
                figures.first_due, figures.first_on_time = 1, int(done)
            else:
                figures.second_due, figures.second_on_time = 1, int(done)
    ordered = sorted(screenings, key=lambda s: s.screened_on)
    for index, screening in enumerate(ordered):
        if first <= screening.screened_on <= last:
            figures.screenings += 1
            figures.above_cutoff += int(screening.above_cutoff)
        due_on = screening.screened_on + timedelta(days=settings.adbb_follow_up_days)
        if screening.above_cutoff and first <= due_on <= last:
            figures.follow_ups_due += 1
            figures.follow_ups_in_time += int(
                any(screening.screened_on < later.screened_on <= due_on for later in ordered[index + 1 :])
            )
    return figures


# --- Transitions --------------------------------------------------------------------------------


@dataclass
class TransitionFigures:
    outgoing: int = 0
    consent_given: int = 0
    consent_refused: int = 0
    described_before_start: int = 0
    evaluations_due: int = 0
    evaluations_in_time: int = 0

    def add(self, other: TransitionFigures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def outgoing_figures(
    starts_on: date, consent_state: str | None, first_final_on: date | None
) -> TransitionFigures:
    """A transition the unit sends: the parents' latest decision about handing the description
    over, and whether the description was final before the child's start date."""
    return TransitionFigures(
        outgoing=1,
        consent_given=int(consent_state == "given"),
        consent_refused=int(consent_state in ("refused", "withdrawn")),
        described_before_start=int(first_final_on is not None and first_final_on < starts_on),
    )


def evaluation_figures(
    starts_on: date, evaluated_on: date | None, first: date, last: date
) -> TransitionFigures:
    """A transition the unit received: when its 3–4 month window closed in the period, was the
    evaluation done inside the window?"""
    opens_on, due_on = evaluation_window(starts_on)
    if not first <= due_on <= last:
        return TransitionFigures()
    in_time = evaluated_on is not None and opens_on <= evaluated_on <= due_on
    return TransitionFigures(evaluations_due=1, evaluations_in_time=int(in_time))


# --- Follow-up ----------------------------------------------------------------------------------

FOLLOW_UP_KINDS = ("agreement", "trial_action_follow_up")


@dataclass
class FollowUp:
    open: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FOLLOW_UP_KINDS, 0))
    overdue: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FOLLOW_UP_KINDS, 0))

    def count(self, kind: str, due_on: date, on: date) -> None:
        self.open[kind] += 1
        self.overdue[kind] += int(due_on < on)


def period_before(last: date) -> tuple[date, date]:
    """The look-back period ending on `last` (for ADBB, transitions)."""
    return last - LOOK_BACK, last


def age_band_or_none(value: str) -> str | None:
    """An age band's key from a query parameter (None for anything else: all ages)."""
    return value if value in AGE_BANDS else None
