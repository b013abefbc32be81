"""Transitions (den gode overgang, domain §4.5)."""

from __future__ import annotations

from datetime import date, timedelta

from backend.domain.dates import add_months
from backend.domain.messages import N_

#: Days before the start by which the transition conversation should have been held.
CONVERSATION_LEAD_DAYS = 30

LEARNING_COMPETENCES: dict[str, str] = {
    "robustness": N_("Robusthed"),
    "automation": N_("Automatisering"),
    "delayed_gratification": N_("Behovsudsættelse"),
    "good_manners": N_("Gode omgangsformer"),
    "curiosity": N_("Nysgerrighed"),
    "self_regulation": N_("Selvregulering/selvdisciplin"),
    "persistence": N_("Vedholdenhed"),
}

PARENTS_PART: dict[str, str] = {
    "about_child": N_("Om vores barn"),
    "what_helps": N_("Det hjælper vores barn"),
    "wishes_worries": N_("Ønsker og bekymringer"),
    "child_thoughts": N_("Barnets egne tanker"),
}

PROFESSIONAL_PART: dict[str, str] = {
    "strengths": N_("Barnets styrker"),
    "what_helps": N_("Det hjælper barnet"),
    "support": N_("Støtte, der er sat i gang"),
    "attention_points": N_("Opmærksomhedspunkter"),
}


def evaluation_window(starts_on: date) -> tuple[date, date]:
    """The receiving unit evaluates the transition 3–4 months after the start."""
    return add_months(starts_on, 3), add_months(starts_on, 4)


def needs_transition_conversation(latest_overall: str | None) -> bool:
    """Children in extra attention or concern are invited to a transition conversation."""
    return latest_overall in ("extra_attention", "concern")


def evaluation_due_on(starts_on: date, chosen: date | None = None) -> date:
    """The planned evaluation date: the one chosen, else three months after the start."""
    return chosen or evaluation_window(starts_on)[0]


def evaluation_in_window(starts_on: date, chosen: date) -> bool:
    first, last = evaluation_window(starts_on)
    return first <= chosen <= last


def conversation_due_on(on: date, starts_on: date | None) -> date:
    """Invite to the transition conversation a month before the start (and not in the past)."""
    if starts_on is None:
        return on + timedelta(days=CONVERSATION_LEAD_DAYS // 2)
    return max(on, starts_on - timedelta(days=CONVERSATION_LEAD_DAYS))


def handover_unit(
    is_final: bool, to_unit_id: str | None, consent_state: str | None, consented_unit_id: str | None
) -> str | None:
    """The unit that may read the description: only a final one, only after the parents' latest
    decision is `given`, and only the unit they consented to hand it to."""
    if not is_final or not to_unit_id or consent_state != "given":
        return None
    return to_unit_id if consented_unit_id == to_unit_id else None
