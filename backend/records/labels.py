"""Danish labels for the fields of every record type, for views, comparisons and error lists."""

from __future__ import annotations

from typing import Any

from backend.domain import adbb, transition, wellbeing
from backend.i18n import N_

#: The label of a field the app does not know. Never the key itself: keys can come from a
#: client, and a label is translated and shown as a heading.
UNKNOWN_FIELD = N_("Ukendt felt")

FIELD_LABELS: dict[str, str] = {
    # ADBB
    "screened_on": "Dato for screeningen",
    "occasion": "Anledning",
    "present": "Til stede",
    "parent_dialogue": "Samtalen med forældrene",
    "action": "Handling",
    "action_note": "Beskrivelse af handlingen",
    "age_reason": "Begrundelse for alder",
    **{f"items.{key}": label for key, label in adbb.ITEMS.items()},
    **{f"item_notes.{key}": f"Note: {label}" for key, label in adbb.ITEMS.items()},
    # Well-being
    "round_id": "Runde",
    "kind": "Vurdering",
    **{f"areas.{key}": label for key, label in wellbeing.AREAS.items()},
    **{f"area_notes.{key}": f"Kommentar: {label}" for key, label in wellbeing.AREAS.items()},
    "overall": "Samlet vurdering",
    "context": "Forældre og hjem",
    "summary": "Fælles beskrivelse",
    "decision": "Beslutning",
    # Dialogue meeting
    "planned_on": "Planlagt til",
    "held_on": "Holdt den",
    "purpose": "Formål",
    "hopes": "Det håber vi på",
    "chair": "Mødeleder",
    "participants": "Deltagere",
    "going_well": "Hvad går godt?",
    "challenges": "Udfordringer",
    "possibilities": "Muligheder",
    "agreements": "Aftaler",
    "best_today": "Det bedste i dag",
    "next_on": "Næste møde",
    "consent_id": "Samtykke",
    # Reflection
    "anonymous": "Anonym",
    "age_band": "Aldersgruppe",
    "legal_basis": "Hjemmel",
    "situation": "Situationen",
    "adult_perspective": "De voksnes perspektiv",
    "child_perspective": "Barnets perspektiv",
    "hand_needed": "Hånd barnet havde brug for",
    "hand_offered": "Hånd de voksne gav",
    "analysis": "Analyse",
    "trial_actions": "Prøvehandlinger",
    # Transition
    "to_unit_id": "Modtagende enhed",
    "starts_on": "Startdato",
    **{f"parents_part.{key}": label for key, label in transition.PARENTS_PART.items()},
    **{f"professional_part.{key}": label for key, label in transition.PROFESSIONAL_PART.items()},
    "professional_part.latest_position": "Seneste fælles trivselsvurdering",
    "professional_part.latest_summary": "Seneste fælles beskrivelse",
    **{f"learning_competences.{key}": label for key, label in transition.LEARNING_COMPETENCES.items()},
    "conversation_on": "Overgangssamtale",
    "visit.held_on": "Overgangsbesøg",
    "visit.attendees": "Deltagere i besøget",
    "visit.notes": "Noter fra besøget",
    "evaluation_due_on": "Evaluering senest",
    # Concern note, notification, consent
    "observed_on": "Observeret",
    "text": "Observation",
    "abuse_path": "Spor om vold eller overgreb",
    "sent_on": "Sendt den",
    "authority": "Sendt til",
    "receipt_on": "Kvittering modtaget",
    "scope": "Gælder",
    "state": "Beslutning",
    "guardian": "Forælder/værge",
    "decided_at": "Tidspunkt",
    "witness": "Vidne",
    "evidence.typed_name": "Skrevet navn",
    "evidence.signature": "Underskrift",
}


def label_for(path: str) -> str:
    """The label of a field path (`data.items.eye_contact` or `agreements.0.what`).

    Always a fixed Danish label from the table (or `UNKNOWN_FIELD`), never the path itself."""
    path = path.removeprefix("data.")
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    head = path.split(".")[0]
    return FIELD_LABELS.get(head, UNKNOWN_FIELD)


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Leaf values of nested data as (path, value), skipping empty ones."""
    if isinstance(data, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in data.items():
            rows.extend(flatten(value, f"{prefix}{key}."))
        return rows
    if isinstance(data, list):
        rows = []
        for index, value in enumerate(data):
            rows.extend(flatten(value, f"{prefix}{index}."))
        return rows
    return [] if data in (None, "") else [(prefix.rstrip("."), data)]


def differences(mine: dict, theirs: dict) -> list[tuple[str, Any, Any]]:
    """The fields where two versions differ: (path, my value, their value)."""
    left, right = dict(flatten(mine)), dict(flatten(theirs))
    return [
        (path, left.get(path), right.get(path))
        for path in sorted(set(left) | set(right))
        if left.get(path) != right.get(path)
    ]
