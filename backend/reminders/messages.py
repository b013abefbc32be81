"""The texts of pushes: counts and a link, in the user's language — never a child's name, CPR
number or anything from a record. A lock screen is not a place for case details."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date

from backend.i18n import DEFAULT_LANGUAGE, LANGUAGES, babel_locale, current_language, gettext, ngettext
from backend.reminders.preferences import GROUP_LABELS, group_of

TASKS_URL = "/tasks"
MAX_LINES = 4


@dataclass(frozen=True)
class PushText:
    title: str
    body: str
    url: str = TASKS_URL


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    token = current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        current_language.reset(token)


def _day(value: date) -> str:
    return format_date(value, "d. MMMM", locale=babel_locale(current_language.get()))


#: Per kind group: the line for tasks past their date, and for tasks due this week.
OVERDUE_LINES: dict[str, Callable[[int], str]] = {
    "adbb": lambda n: ngettext("%(n)d ADBB-screening er forfalden", "%(n)d ADBB-screeninger er forfaldne", n),
    "rounds": lambda n: ngettext(
        "%(n)d trivselsrunde er overskredet", "%(n)d trivselsrunder er overskredet", n
    ),
    "meetings": lambda n: ngettext(
        "%(n)d aftale eller opfølgning er forfalden", "%(n)d aftaler og opfølgninger er forfaldne", n
    ),
    "transitions": lambda n: ngettext(
        "%(n)d opgave om en overgang er forfalden", "%(n)d opgaver om overgange er forfaldne", n
    ),
    "other": lambda n: ngettext("%(n)d anden opgave er forfalden", "%(n)d andre opgaver er forfaldne", n),
}
THIS_WEEK_LINES: dict[str, Callable[[int], str]] = {
    "adbb": lambda n: ngettext(
        "%(n)d ADBB-screening forfalder denne uge", "%(n)d ADBB-screeninger forfalder denne uge", n
    ),
    "rounds": lambda n: ngettext(
        "%(n)d trivselsrunde lukker denne uge", "%(n)d trivselsrunder lukker denne uge", n
    ),
    "meetings": lambda n: ngettext(
        "%(n)d aftale eller opfølgning forfalder denne uge",
        "%(n)d aftaler og opfølgninger forfalder denne uge",
        n,
    ),
    "transitions": lambda n: ngettext(
        "%(n)d opgave om en overgang forfalder denne uge", "%(n)d opgaver om overgange forfalder denne uge", n
    ),
    "other": lambda n: ngettext(
        "%(n)d anden opgave forfalder denne uge", "%(n)d andre opgaver forfalder denne uge", n
    ),
}


def digest_text(tasks: Iterable[tuple[str, date]], on: date) -> PushText | None:
    """The day's overview from (kind, due date) of the user's open tasks: counts per kind group
    of what is overdue and what is due this week; None when there is nothing to tell."""
    week_end = on + timedelta(days=6 - on.weekday())
    tasks = list(tasks)
    overdue = Counter(group_of(kind) for kind, due_on in tasks if due_on < on)
    this_week = Counter(group_of(kind) for kind, due_on in tasks if on <= due_on <= week_end)
    lines = [OVERDUE_LINES[g](overdue[g]) % {"n": overdue[g]} for g in GROUP_LABELS if overdue[g]]
    lines += [THIS_WEEK_LINES[g](this_week[g]) % {"n": this_week[g]} for g in GROUP_LABELS if this_week[g]]
    if not lines:
        return None
    if len(lines) > MAX_LINES:
        rest = sum(overdue.values()) + sum(this_week.values())
        lines = [
            *lines[: MAX_LINES - 1],
            ngettext("%(n)d opgave i alt", "%(n)d opgaver i alt", rest) % {"n": rest},
        ]
    return PushText(title=gettext("Dagens opgaver i Opspor"), body="\n".join(lines))


def urgent_text(kind: str, due_on: date, on: date) -> PushText:
    group = gettext(GROUP_LABELS[group_of(kind)])
    if due_on < on:
        body = gettext("%(group)s: fristen var %(date)s") % {"group": group, "date": _day(due_on)}
    else:
        body = gettext("%(group)s: frist %(date)s") % {"group": group, "date": _day(due_on)}
    return PushText(title=gettext("Ny opgave med kort frist"), body=body)


def round_text(stage: str, remaining: int, closes_on: date) -> PushText:
    if stage == "opens":
        return PushText(
            title=gettext("En trivselsrunde er åbnet"),
            body=gettext("Vurdér børnene i runden senest %(date)s.") % {"date": _day(closes_on)},
        )
    body = ngettext(
        "%(n)d barn mangler din vurdering. Runden lukker %(date)s.",
        "%(n)d børn mangler din vurdering. Runden lukker %(date)s.",
        remaining,
    ) % {"n": remaining, "date": _day(closes_on)}
    return PushText(title=gettext("Trivselsrunden lukker snart"), body=body)


def sample_text() -> PushText:
    return PushText(
        title=gettext("Påmindelser er slået til"),
        body=gettext("Sådan ser en påmindelse fra Opspor ud. Tryk for at se dine opgaver."),
    )
