"""Due work and when to remind about it (domain §8–§9). Plain functions: no I/O, no clock.

Every function takes the day (`on`, a Copenhagen date) or the local time it decides for, so the
rules are the same in tests, in the server's background task and in `opspor reminders run`.

Dates are calendar dates in Europe/Copenhagen: "due in 3 days" counts dates, not 72 hours, so a
daylight-saving weekend changes nothing. Months are calendar months (`add_months` clamps to the
month's end: a child born 29 February is 2 months old on 29 April and 12 months old on
28 February).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backend.domain.adbb import MAX_AGE_MONTHS, Screening
from backend.domain.dates import add_months, is_working_day
from backend.domain.settings import MonthWindow, MunicipalSettings
from backend.domain.transition import evaluation_window

#: A screening of the right occasion up to this many days before its window still counts (a
#: home visit a few days early is the same visit).
EARLY_SCREENING_GRACE_DAYS = 14

#: No pushes at night: from 20:00 until 07:00 (local time).
NIGHT_STARTS = time(20, 0)
NIGHT_ENDS = time(7, 0)

#: A round's task stays open this long after the round closed (then it is cancelled).
ROUND_OVERDUE_DAYS = 56

#: Future moves further ahead than this do not make a transition task yet.
TRANSITION_HORIZON_DAYS = 183

#: Kinds whose tasks also get an immediate push when they fall due within `urgent_within_days`.
URGENT_KINDS = frozenset(
    {
        "adbb_follow_up",
        "notification_receipt",
        "abuse_path_review",
        "agreement",
        "trial_action_follow_up",
        "transition_description",
    }
)


# --- Windows and due work -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A period in which something should be done: from `opens_on` until `due_on` (inclusive)."""

    opens_on: date
    due_on: date

    def contains(self, day: date) -> bool:
        return self.opens_on <= day <= self.due_on


@dataclass(frozen=True)
class DueWork:
    """Work that should be an open task on the day asked about."""

    kind: str
    opens_on: date
    due_on: date

    def overdue(self, on: date) -> bool:
        return on > self.due_on


def month_window(birth_date: date, window: MonthWindow) -> Window:
    """A window in months of age: from the `from_month` birthday until the `to_month` one."""
    return Window(add_months(birth_date, window.from_month), add_months(birth_date, window.to_month))


# --- ADBB first and second screening ------------------------------------------------------------


def screening_satisfies(window: Window, occasion: str, screening: Screening) -> bool:
    """A screening of the right occasion done in the window (or shortly before it) satisfies it;
    so does one done late: the work is done, even if not on time."""
    earliest = window.opens_on - timedelta(days=EARLY_SCREENING_GRACE_DAYS)
    return screening.occasion == occasion and screening.screened_on >= earliest


def screened_on_time(window: Window, occasion: str, screenings: Iterable[Screening]) -> bool:
    """For the leader overview: a screening of the occasion inside the window itself."""
    return any(s.occasion == occasion and window.contains(s.screened_on) for s in screenings)


def adbb_screenings_due(
    birth_date: date, on: date, settings: MunicipalSettings, screenings: Iterable[Screening]
) -> list[DueWork]:
    """The first and second ADBB screenings that should be open tasks for a child on `on`.

    A screening's task opens with its window and falls due at the window's end (overdue after).
    The first screening stops being asked for when the second window opens; the second when the
    child is older than the scale's range (24 months).
    """
    screenings = list(screenings)
    first = month_window(birth_date, settings.adbb_first_window)
    second = month_window(birth_date, settings.adbb_second_window)
    still_relevant = {
        "first": on < second.opens_on,
        "second": on < add_months(birth_date, MAX_AGE_MONTHS + 1),
    }
    due = []
    for occasion, window in (("first", first), ("second", second)):
        if on < window.opens_on or not still_relevant[occasion]:
            continue
        if any(screening_satisfies(window, occasion, s) for s in screenings):
            continue
        due.append(DueWork(f"adbb_{occasion}", window.opens_on, window.due_on))
    return due


# --- Evaluation rounds --------------------------------------------------------------------------


def round_stage(opens_on: date, closes_on: date, on: date, closing_days: int) -> str:
    """Where a round stands on a day: upcoming, opens (its first day), open, closing (the last
    `closing_days` days), overdue (after it closed)."""
    if on < opens_on:
        return "upcoming"
    if on > closes_on:
        return "overdue"
    if on >= closes_on - timedelta(days=closing_days):
        return "closing"
    return "opens" if on == opens_on else "open"


def round_task_wanted(opens_on: date, closes_on: date, on: date) -> bool:
    """A round's assessment task is open from the day it opens until a while after it closed."""
    return opens_on <= on <= closes_on + timedelta(days=ROUND_OVERDUE_DAYS)


# --- Dialogue meetings and reflections ----------------------------------------------------------


def agreement_due_on(due_on: date | None, held_on: date, default_days: int) -> date:
    """An agreement falls due on its date, or `default_days` after the meeting when it has none."""
    return due_on or held_on + timedelta(days=default_days)


def next_meeting_due_on(next_on: date) -> date:
    """The next dialogue meeting is due on the date the meeting set."""
    return next_on


def trial_action_due_on(follow_up_on: date | None, reflected_on: date, default_days: int) -> date:
    """A trial action is followed up on its date, or `default_days` after the reflection."""
    return follow_up_on or reflected_on + timedelta(days=default_days)


# --- Transitions --------------------------------------------------------------------------------


def transition_description_due(starts_on: date, on: date, days_before: int) -> DueWork | None:
    """The transition description should be ready `days_before` the child starts in the new
    place. The task exists from the day the move is known (within half a year) until the start."""
    if on >= starts_on or (starts_on - on).days > TRANSITION_HORIZON_DAYS:
        return None
    due_on = starts_on - timedelta(days=days_before)
    return DueWork("transition_description", min(on, due_on), due_on)


def transition_evaluation_due(starts_on: date, on: date) -> DueWork | None:
    """The receiving unit evaluates the transition 3–4 months after the start."""
    opens_on, due_on = evaluation_window(starts_on)
    if on < opens_on:
        return None
    return DueWork("transition_evaluation", opens_on, due_on)


# --- When to push -------------------------------------------------------------------------------


def parse_clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_push_time(local: datetime) -> bool:
    """Pushes go out on Danish working days (no weekends or public holidays), not at night."""
    return is_working_day(local.date()) and NIGHT_ENDS <= local.time() < NIGHT_STARTS


def digest_time_reached(local: datetime, digest_time: str) -> bool:
    """The day's overview goes out from the municipal digest time (07:30) — on a push day."""
    start = max(parse_clock(digest_time), NIGHT_ENDS)
    return is_push_time(local) and local.time() >= start


def is_urgent(kind: str, due_on: date, on: date, within_days: int) -> bool:
    """An urgent task: of an urgent kind and due within `within_days` (or due already, but not
    more than a week ago — older ones are in the daily overview, not pushed one by one)."""
    return kind in URGENT_KINDS and on - timedelta(days=7) <= due_on <= on + timedelta(days=within_days)


def round_push_stage(opens_on: date, closes_on: date, on: date, closing_days: int) -> str | None:
    """The round reminders pushed once each: 'opens' (the first three days) and 'closing'."""
    stage = round_stage(opens_on, closes_on, on, closing_days)
    if stage == "opens" or (stage == "open" and on <= opens_on + timedelta(days=2)):
        return "opens"
    if stage == "closing":
        return "closing"
    return None


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before trying a push again: doubling from a minute, at most an hour, and
    never sooner than the push service asked for (Retry-After, at most six hours)."""
    delay = min(60 * 2 ** max(attempts - 1, 0), 3600)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 6 * 3600))
    return timedelta(seconds=delay)
