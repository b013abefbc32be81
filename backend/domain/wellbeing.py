"""Well-being positions, decisions and their rules (domain §4.2)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from backend.domain.messages import N_
from backend.domain.settings import POSITIONS

AREAS: dict[str, str] = {
    "cognitive": "Kognitiv trivsel",
    "emotional": N_("Psykisk og emotionel trivsel"),
    "social": "Social trivsel",
    "physical": N_("Fysisk og sansemotorisk trivsel"),
}

DECISIONS: dict[str, str] = {
    "none": "Ingen yderligere handling",
    "dialogue_meeting": N_("Dialogmøde med forældrene"),
    "action_plan": N_("Handleplan"),
    "sparring": "Faglig sparring",
    "cross_disciplinary": N_("Tværfagligt samarbejde"),
    "ppr_referral": N_("Henvisning til PPR"),
    "notification": N_("Underretning"),
}

KINDS = ("individual", "joint")
SEVERITY = {position: rank for rank, position in enumerate(POSITIONS)}


def parents_must_be_involved(overall: str | None) -> bool:
    """A joint overall position of extra attention or concern always involves the parents."""
    return overall in ("extra_attention", "concern")


def parent_involvement_hint(individual_overalls: Iterable[str | None]) -> bool:
    """The optional municipal rule: two or more individual non-thriving marks."""
    return sum(1 for p in individual_overalls if p in ("extra_attention", "concern")) >= 2


def disagreement(positions: Iterable[str | None]) -> bool:
    """Raters disagree when they gave different positions (missing marks do not count)."""
    given = {p for p in positions if p}
    return len(given) > 1


def disagreeing_areas(marks: Iterable[Mapping[str, str | None]]) -> set[str]:
    """The areas (and 'overall') on which individual marks differ."""
    marks = list(marks)
    keys = [*AREAS, "overall"]
    return {key for key in keys if disagreement(mark.get(key) for mark in marks)}


def moved(previous: str | None, current: str | None) -> str | None:
    """'better', 'worse' or 'same' between two positions, None when one is missing."""
    if previous not in SEVERITY or current not in SEVERITY:
        return None
    difference = SEVERITY[current] - SEVERITY[previous]
    return "same" if difference == 0 else ("worse" if difference > 0 else "better")


# --- Rounds -----------------------------------------------------------------------------------

#: How far from today a round may lie (a round is a few weeks; years away is a typing slip).
ROUND_PAST_LIMIT = timedelta(days=3 * 365)
ROUND_FUTURE_LIMIT = timedelta(days=2 * 365)
ROUND_LONGEST = timedelta(weeks=26)


@dataclass(frozen=True)
class Period:
    """A round's dates; both days count (a round open 1–5 October includes the 5th)."""

    opens_on: date
    closes_on: date

    def overlaps(self, other: Period) -> bool:
        return self.opens_on <= other.closes_on and other.opens_on <= self.closes_on


def danish_date(day: date) -> str:
    """5.10.2026 — the short Danish date, for messages."""
    return f"{day.day}.{day.month}.{day.year}"


def default_closes_on(opens_on: date, window_weeks: int) -> date:
    """The last day of a round opening on `opens_on` with the municipal window length."""
    return opens_on + timedelta(weeks=window_weeks) - timedelta(days=1)


def round_state(period: Period, on: date) -> str:
    """'upcoming', 'open' or 'closed' on a date."""
    if on < period.opens_on:
        return "upcoming"
    return "open" if on <= period.closes_on else "closed"


def round_date_problems(period: Period, others: Iterable[Period], on: date) -> dict[str, str]:
    """Danish messages, by field, for a round's dates (empty when they are fine).

    `others` are the unit's other rounds: rounds of one unit never overlap, so every mark
    belongs to exactly one round.
    """
    problems: dict[str, str] = {}
    if period.opens_on < on - ROUND_PAST_LIMIT:
        problems["opens_on"] = N_("Startdatoen ligger for langt tilbage (højst tre år).")
    elif period.opens_on > on + ROUND_FUTURE_LIMIT:
        problems["opens_on"] = N_("Startdatoen ligger for langt ude i fremtiden (højst to år).")
    if period.closes_on <= period.opens_on:
        problems["closes_on"] = N_("Runden skal slutte efter den starter.")
    elif period.closes_on - period.opens_on >= ROUND_LONGEST:
        problems["closes_on"] = N_("En runde kan højst vare et halvt år.")
    if problems:
        return problems
    clash = next((other for other in others if other.overlaps(period)), None)
    if clash is not None:
        problems["opens_on"] = (
            "Perioden overlapper en anden runde i enheden "
            f"({danish_date(clash.opens_on)} – {danish_date(clash.closes_on)})."
        )
    return problems


def mark_window_problem(period: Period, on: date) -> str | None:
    """Why a new individual mark cannot be started in the round today (None: it can)."""
    state = round_state(period, on)
    if state == "upcoming":
        return f"Runden åbner først {danish_date(period.opens_on)}."
    if state == "closed":
        return f"Runden lukkede {danish_date(period.closes_on)}. Tal med lederen, hvis datoerne skal rettes."
    return None


# --- Individual marks and the joint assessment ------------------------------------------------

POSITION_KEYS = (*AREAS, "overall", "context")

_COLOUR_WORDS = re.compile(
    r"\b(grøn|grønt|grønne|gul|gult|gule|rød|rødt|røde|green|yellow|red)\b", re.IGNORECASE
)
COLOUR_WORDS_MESSAGE = (
    "Skriv beskrivelsen uden farveord (fundet: {words}). Forældrene læser den, og et barn må ikke "
    "blive til en farve: sæt i stedet ord på, hvad I ser, og hvad barnet har brug for."
)


def colour_words(text: str | None) -> list[str]:
    """The colour words in a parent-facing text, as written, each once (empty when none)."""
    found: list[str] = []
    for match in _COLOUR_WORDS.finditer(text or ""):
        if match.group(0).lower() not in (word.lower() for word in found):
            found.append(match.group(0))
    return found


def prefill_joint(marks: Iterable[Mapping[str, str | None]]) -> dict[str, str]:
    """Joint positions to start from: each area (and overall, context) the raters agree on.

    `marks` are flat individual marks ({"cognitive": ..., "overall": ..., "context": ...}).
    A key nobody marked, or that raters disagree on, is left for the team to decide.
    """
    marks = list(marks)
    agreed: dict[str, str] = {}
    for key in POSITION_KEYS:
        given = {mark.get(key) for mark in marks} - {None}
        if len(given) == 1:
            agreed[key] = given.pop()
    return agreed


def flat_positions(data: Mapping) -> dict[str, str | None]:
    """A wellbeing record's data as {area...: position, 'overall': ..., 'context': ...}."""
    areas = data.get("areas") or {}
    flat = {key: areas.get(key) for key in AREAS}
    flat["overall"] = data.get("overall")
    flat["context"] = data.get("context")
    return flat


def needs_dialogue_meeting(overall: str | None, decision: str | None) -> bool:
    """Parents are involved in a dialogue meeting: always when the child is not thriving,
    and whenever the team decided on one."""
    return parents_must_be_involved(overall) or decision == "dialogue_meeting"


def decision_problem(overall: str | None, decision: str | None) -> str | None:
    """A joint decision that contradicts the overall position (None when it fits)."""
    if parents_must_be_involved(overall) and decision == "none":
        return N_(
            "Når barnet ikke er i trivsel, skal forældrene altid inddrages. "
            "Vælg, hvad der skal ske – fx et dialogmøde."
        )
    return None


@dataclass(frozen=True)
class HistoryPoint:
    """A joint overall position in one round, and how it moved since the round before."""

    round_name: str
    opens_on: date
    overall: str | None
    movement: str | None


def position_history(points: Iterable[tuple[str, date, str | None]]) -> list[HistoryPoint]:
    """(round name, opens_on, joint overall) in any order → oldest first, with movement."""
    history: list[HistoryPoint] = []
    previous: str | None = None
    for name, opens_on, overall in sorted(points, key=lambda point: point[1]):
        history.append(HistoryPoint(name, opens_on, overall, moved(previous, overall)))
        previous = overall
    return history


def next_to_mark(order: list[str], unmarked: set[str], after: str | None) -> str | None:
    """The child to mark after `after` in the round's order ("Gem og næste barn"): the next one
    not marked yet, going round to the start of the list; None when every child is marked."""
    if after in order:
        start = order.index(after) + 1
        order = order[start:] + order[:start]
    return next((child for child in order if child in unmarked and child != after), None)
