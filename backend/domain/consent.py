"""Consent (domain §5): kinds, states, and whether sharing is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

#: The consent that lets a transition description reach the receiving unit.
HANDOVER = "transition_handover"

KINDS: dict[str, str] = {
    "collegial_dialogue": "Kollegial drøftelse af barnet",
    "meeting": "Mødets formål og deltagere",
    "sparring_case": "Navngiven sag i faglig sparring",
    "transition_handover": "Overlevering af overgangsbeskrivelse",
}
STATES: dict[str, str] = {"given": "Givet", "refused": "Afslået", "withdrawn": "Trukket tilbage"}


@dataclass(frozen=True)
class ConsentFact:
    kind: str
    scope: str
    state: str
    decided_at: datetime


def current_state(facts: Iterable[ConsentFact], kind: str, scope: str) -> str | None:
    """The latest decision for a kind and scope; withdrawal takes effect from then on."""
    relevant = [f for f in facts if f.kind == kind and f.scope == scope]
    if not relevant:
        return None
    return max(relevant, key=lambda f: f.decided_at).state


def allows(facts: Iterable[ConsentFact], kind: str, scope: str) -> bool:
    return current_state(facts, kind, scope) == "given"
