"""The record types: the shape of each type's `data` (contract) and what a final one needs.

Drafts may be incomplete but never malformed: every field is checked for type and range on
every save; the fields in `REQUIRED_FOR_FINAL` must be filled before a record can be final.
Rules that need the child, the settings or other records live in `records/checks.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from backend.domain import adbb, consent, transition, wellbeing
from backend.domain.numbers import is_digits
from backend.domain.text import clean_text

TEXT_MAX = 20_000
SHORT_MAX = 300
SIGNATURE_MAX = 200_000

Text = Annotated[str, AfterValidator(clean_text), Field(max_length=TEXT_MAX)]
ShortText = Annotated[str, AfterValidator(clean_text), Field(max_length=SHORT_MAX)]
Id = Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
Score = Annotated[int, Field(ge=0, le=4)]
Position = Literal["thriving", "extra_attention", "concern"]
#: A list row's stable key (agreements, trial actions): tasks follow their row by it.
RowKey = Annotated[str, Field(pattern=r"^[0-9a-f]{8,32}$")]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- ADBB -------------------------------------------------------------------------------------


def keyed_part(name: str, keys: Iterable[str], value_type: Any) -> type[Part]:
    """A part with one optional field per key (the eight ADBB items, the four areas, …)."""
    return create_model(name, __base__=Part, **{key: (value_type | None, None) for key in keys})


AdbbItems = keyed_part("AdbbItems", adbb.ITEMS, Score)
AdbbNotes = keyed_part("AdbbNotes", adbb.ITEMS, Text)


class AdbbData(Part):
    screened_on: date | None = None
    occasion: Literal[tuple(adbb.OCCASIONS)] | None = None  # type: ignore[valid-type]
    items: AdbbItems = Field(default_factory=AdbbItems)  # type: ignore[valid-type]
    item_notes: AdbbNotes = Field(default_factory=AdbbNotes)  # type: ignore[valid-type]
    present: ShortText | None = None
    parent_dialogue: Text | None = None
    action: Literal[tuple(adbb.ACTIONS)] | None = None  # type: ignore[valid-type]
    action_note: Text | None = None
    age_reason: Text | None = None


# --- Well-being -------------------------------------------------------------------------------

Areas = keyed_part("Areas", wellbeing.AREAS, Position)
AreaNotes = keyed_part("AreaNotes", wellbeing.AREAS, Text)


class WellbeingData(Part):
    round_id: Id | None = None
    kind: Literal["individual", "joint"] | None = None
    areas: Areas = Field(default_factory=Areas)  # type: ignore[valid-type]
    area_notes: AreaNotes = Field(default_factory=AreaNotes)  # type: ignore[valid-type]
    overall: Position | None = None
    context: Position | None = None
    summary: Text | None = None
    decision: Literal[tuple(wellbeing.DECISIONS)] | None = None  # type: ignore[valid-type]


# --- Dialogue meeting -------------------------------------------------------------------------


class Participant(Part):
    name: ShortText | None = None
    role: Literal["parent", "staff", "external"] | None = None
    organisation: ShortText | None = None


class Agreement(Part):
    key: RowKey | None = None
    what: Text | None = None
    who: ShortText | None = None
    due_on: date | None = None
    done: bool = False


class DialogueMeetingData(Part):
    planned_on: date | None = None
    held_on: date | None = None
    purpose: Text | None = None
    hopes: Text | None = None
    chair: ShortText | None = None
    participants: list[Participant] = Field(default_factory=list, max_length=30)
    consent_id: Id | None = None
    going_well: Text | None = None
    challenges: Text | None = None
    possibilities: Text | None = None
    agreements: list[Agreement] = Field(default_factory=list, max_length=30)
    best_today: Text | None = None
    next_on: date | None = None


# --- Reflection -------------------------------------------------------------------------------


class TrialAction(Part):
    key: RowKey | None = None
    what: Text | None = None
    follow_up_on: date | None = None
    outcome: Text | None = None
    made_difference: Literal["yes", "partly", "no"] | None = None


class ReflectionData(Part):
    anonymous: bool = False
    held_on: date | None = None
    participants: ShortText | None = None
    age_band: Literal["0-1", "1-3", "3-6"] | None = None
    consent_id: Id | None = None
    legal_basis: Text | None = None
    situation: Text | None = None
    adult_perspective: Text | None = None
    child_perspective: Text | None = None
    hand_needed: Literal["big", "small", "both"] | None = None
    hand_offered: Literal["big", "small", "both", "none"] | None = None
    analysis: Text | None = None
    trial_actions: list[TrialAction] = Field(default_factory=list, max_length=20)


# --- Transition -------------------------------------------------------------------------------

ParentsPart = keyed_part("ParentsPart", transition.PARENTS_PART, Text)


class ProfessionalPart(Part):
    strengths: Text | None = None
    what_helps: Text | None = None
    support: Text | None = None
    attention_points: Text | None = None
    latest_position: Position | None = None
    latest_summary: Text | None = None


LearningCompetences = keyed_part("LearningCompetences", transition.LEARNING_COMPETENCES, Text)


class TransitionVisit(Part):
    held_on: date | None = None
    attendees: ShortText | None = None
    notes: Text | None = None


class TransitionData(Part):
    to_unit_id: Id | None = None
    starts_on: date | None = None
    parents_part: ParentsPart = Field(default_factory=ParentsPart)  # type: ignore[valid-type]
    professional_part: ProfessionalPart = Field(default_factory=ProfessionalPart)
    learning_competences: LearningCompetences = Field(  # type: ignore[valid-type]
        default_factory=LearningCompetences
    )
    consent_id: Id | None = None
    conversation_on: date | None = None
    visit: TransitionVisit = Field(default_factory=TransitionVisit)
    evaluation_due_on: date | None = None


# --- Concern note, notification, consent ------------------------------------------------------


class ConcernNoteData(Part):
    observed_on: date | None = None
    text: Text | None = None
    abuse_path: bool = False


class NotificationData(Part):
    sent_on: date | None = None
    authority: ShortText | None = None
    summary: Text | None = None
    receipt_on: date | None = None


class Evidence(Part):
    signature: (
        Annotated[str, Field(max_length=SIGNATURE_MAX, pattern=r"^data:image/png;base64,[A-Za-z0-9+/=]+$")]
        | None
    ) = None
    typed_name: ShortText | None = None


class ConsentData(Part):
    kind: Literal[tuple(consent.KINDS)] | None = None  # type: ignore[valid-type]
    scope: Id | None = None
    state: Literal[tuple(consent.STATES)] | None = None  # type: ignore[valid-type]
    guardian: Id | None = None
    decided_at: datetime | None = None
    witness: ShortText | None = None
    evidence: Evidence = Field(default_factory=Evidence)


DATA_MODELS: dict[str, type[Part]] = {
    "adbb": AdbbData,
    "wellbeing": WellbeingData,
    "dialogue_meeting": DialogueMeetingData,
    "reflection": ReflectionData,
    "transition": TransitionData,
    "concern_note": ConcernNoteData,
    "notification": NotificationData,
    "consent": ConsentData,
}

TYPE_LABELS: dict[str, str] = {
    "adbb": "ADBB-screening",
    "wellbeing": "Trivselsvurdering",
    "dialogue_meeting": "Dialogmøde",
    "reflection": "Faglig sparring",
    "transition": "Overgangsbeskrivelse",
    "concern_note": "Bekymringsnotat",
    "notification": "Underretning",
    "consent": "Samtykke",
}

#: Dotted paths that a final record must fill.
REQUIRED_FOR_FINAL: dict[str, list[str]] = {
    "adbb": ["screened_on", "occasion", *(f"items.{k}" for k in adbb.ITEMS), "action"],
    "wellbeing": ["round_id", "kind", *(f"areas.{k}" for k in wellbeing.AREAS), "overall"],
    "dialogue_meeting": ["held_on", "purpose"],
    "reflection": ["held_on", "situation", "child_perspective", "hand_needed", "hand_offered"],
    "transition": ["to_unit_id", "starts_on"],
    "concern_note": ["observed_on", "text"],
    "notification": ["sent_on", "authority", "summary"],
    "consent": ["kind", "scope", "state", "guardian", "decided_at"],
}

RECORD_TYPES = tuple(DATA_MODELS)


class FieldError(Exception):
    """Field errors in the contract's shape: [{"field": "data.x.y", "message": "..."}]."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse_data(record_type: str, data: Any) -> Part:
    """The typed data of a record, or FieldError with Danish messages."""
    if not isinstance(data, dict):
        raise FieldError([{"field": "data", "message": "Skal være et objekt."}])
    try:
        return DATA_MODELS[record_type].model_validate(data)
    except ValidationError as error:
        raise FieldError(
            [
                {"field": ".".join(["data", *(str(p) for p in e["loc"])]), "message": _message(e)}
                for e in error.errors()
            ]
        ) from None


def _message(error: Any) -> str:
    from backend.web.errors import VALIDATION_MESSAGES

    if error["type"] in ("too_long", "string_too_long") and isinstance(error.get("input"), str):
        limit = (error.get("ctx") or {}).get("max_length")
        return (
            f"Teksten er for lang (højst {limit:,} tegn).".replace(",", ".")
            if limit
            else "Teksten er for lang."
        )
    return VALIDATION_MESSAGES.get(error["type"], "Ugyldig værdi.")


def get_path(values: Any, path: str) -> Any:
    """The value at a dotted path in nested dicts/lists (None when absent)."""
    current = values
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and is_digits(part) and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def missing_for_final(record_type: str, data: dict) -> list[dict[str, str]]:
    return [
        {"field": f"data.{path}", "message": "Skal udfyldes, før registreringen kan afsluttes."}
        for path in REQUIRED_FOR_FINAL[record_type]
        if get_path(data, path) in (None, "", [])
    ]
