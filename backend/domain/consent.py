"""Consent (domain §5): kinds, states, and whether sharing is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from backend.domain.dates import COPENHAGEN
from backend.domain.messages import N_

#: The consent that lets a transition description reach the receiving unit.
HANDOVER = "transition_handover"

KINDS: dict[str, str] = {
    "collegial_dialogue": N_("Kollegial drøftelse af barnet"),
    "meeting": N_("Mødets formål og deltagere"),
    "sparring_case": "Navngiven sag i faglig sparring",
    "transition_handover": N_("Overlevering af overgangsbeskrivelse"),
}
STATES: dict[str, str] = {"given": N_("Givet"), "refused": N_("Afslået"), "withdrawn": N_("Trukket tilbage")}
#: A first decision is a yes or a no; only a consent already given can be withdrawn.
FIRST_STATES: dict[str, str] = {key: STATES[key] for key in ("given", "refused")}

#: The consent a record asks for before it can be finished, and what it then covers (its id).
CONSENT_FOR_RECORD: dict[str, str] = {"reflection": "sparring_case", "dialogue_meeting": "meeting"}


def states_offered(new: bool, asked: str | None) -> dict[str, str]:
    """The decisions a consent form offers: no "Trukket tilbage" on a new consent, unless the
    form was opened to withdraw one ("Træk samtykket tilbage")."""
    return FIRST_STATES if new and asked != "withdrawn" else STATES


def only_option(options: dict[str, str]) -> str | None:
    """The scope to preselect: the one thing the consent can cover, when there is only one."""
    return next(iter(options)) if len(options) == 1 else None


@dataclass(frozen=True)
class ConsentFact:
    kind: str
    scope: str
    state: str
    decided_at: datetime
    #: The user ids the decision covers, when it recorded its participants (a forum consent
    #: through the parents' link); None when it recorded none (a consent form filled in by staff).
    covers: frozenset[str] | None = None


def fact_of(data: object) -> ConsentFact | None:
    """A final consent record's data as a decision (None when a field is missing or unreadable);
    a time without a zone is Copenhagen time."""
    if not isinstance(data, dict) or not all(data.get(k) for k in ("kind", "scope", "state", "decided_at")):
        return None
    try:
        decided_at = datetime.fromisoformat(str(data["decided_at"]))
    except ValueError:
        return None
    if decided_at.tzinfo is None:
        decided_at = decided_at.replace(tzinfo=COPENHAGEN)
    return ConsentFact(str(data["kind"]), str(data["scope"]), str(data["state"]), decided_at)


def current_state(facts: Iterable[ConsentFact], kind: str, scope: str) -> str | None:
    """The latest decision for a kind and scope; withdrawal takes effect from then on."""
    relevant = [f for f in facts if f.kind == kind and f.scope == scope]
    if not relevant:
        return None
    return max(relevant, key=lambda f: f.decided_at).state


def allows(facts: Iterable[ConsentFact], kind: str, scope: str) -> bool:
    return current_state(facts, kind, scope) == "given"
