"""ADBB (Alarm Distress Baby Scale) scoring and its rules (domain §4.1).

The item names and the 0–4 scale are public; the anchor texts below are our own short wording,
not the licensed manual's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from backend.domain.dates import age_in_months
from backend.domain.messages import N_

ITEMS: dict[str, str] = {
    "facial_expression": N_("Ansigtsudtryk"),
    "eye_contact": N_("Øjenkontakt"),
    "activity_level": "Generelt aktivitetsniveau",
    "self_stimulation": N_("Selvstimulerende bevægelser"),
    "vocalisation": N_("Vokalisering"),
    "response_briskness": N_("Reaktion på stimulation"),
    "relationship": N_("Evne til at indgå i relation"),
    "attracting_attention": N_("Evne til at tiltrække og fastholde opmærksomhed"),
}

#: Short anchors per score, in our own words.
SCORES: dict[int, str] = {
    0: N_("Intet usædvanligt"),
    1: "Let eller tvivlsom",
    2: N_("Tydelig"),
    3: N_("Markant"),
    4: N_("Massiv"),
}

OCCASIONS: dict[str, str] = {
    "first": "1. screening (2–3 mdr.)",
    "second": "2. screening (8–10 mdr.)",
    "follow_up": N_("Opfølgende screening"),
    "ad_hoc": "Ekstra screening",
}

ACTIONS: dict[str, str] = {
    "none": "Ingen yderligere handling",
    "follow_up": N_("Opfølgende screening"),
    "supervision_team": N_("Drøftes i det tværfaglige supervisionsteam"),
    "doctor": N_("Henvisning til egen læge"),
    "other": "Anden handling (beskrives)",
}

MIN_AGE_MONTHS = 2
MAX_AGE_MONTHS = 24


def total(items: dict[str, int]) -> int:
    return sum(items.get(key, 0) for key in ITEMS)


def is_above_cutoff(score: int, cutoff: int) -> bool:
    """At or over the cut-off signals withdrawal (the published cut-off is a total ≥ 5)."""
    return score >= cutoff


def age_is_outside_range(birth_date: date, screened_on: date) -> bool:
    months = age_in_months(birth_date, screened_on)
    return not MIN_AGE_MONTHS <= months <= MAX_AGE_MONTHS


def follow_up_due_on(screened_on: date, follow_up_days: int) -> date:
    return screened_on + timedelta(days=follow_up_days)


def wants_follow_up(above_cutoff: bool, action: str | None) -> bool:
    """A follow-up screening is due when the total is at or over the cut-off (domain §4.1), and
    also when the health visitor chose "Opfølgende screening" below it: the choice is the task."""
    return above_cutoff or action == "follow_up"


@dataclass(frozen=True)
class Screening:
    """One ADBB screening as the rules see it (two-in-a-row, schedules, the leader overview)."""

    occasion: str
    screened_on: date
    above_cutoff: bool = False


def consider_notification(current: Screening, earlier: list[Screening]) -> bool:
    """Two in a row at or over the cut-off: a follow-up that is again over → consider notifying.

    Never sends anything; it only flags the screening so the health visitor considers it.
    """
    if not current.above_cutoff or current.occasion != "follow_up":
        return False
    before = [s for s in earlier if s.screened_on <= current.screened_on]
    if not before:
        return False
    previous = max(before, key=lambda s: s.screened_on)
    return previous.above_cutoff
