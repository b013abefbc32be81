"""Municipal settings (domain §8): one validated object, stored as JSON per municipality."""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.domain.messages import N_
from backend.domain.units import UnitKind

POSITIONS = ("thriving", "extra_attention", "concern")

LABEL_PRESETS: dict[str, dict[str, str]] = {
    "words": {
        "thriving": N_("Trivsel"),
        "extra_attention": N_("Ekstra opmærksomhed"),
        "concern": N_("Bekymring"),
    },
    "colours": {"thriving": N_("Grøn"), "extra_attention": N_("Gul"), "concern": N_("Rød")},
}


class MonthWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    from_month: int = Field(ge=0, le=36)
    to_month: int = Field(ge=0, le=36)

    @model_validator(mode="after")
    def _ordered(self) -> MonthWindow:
        if self.to_month < self.from_month:
            raise ValueError(N_("Vinduet skal slutte efter det starter."))
        return self


class RetentionRule(BaseModel):
    """Keep until the child turns `until_age`, then (or after the last change, if later)
    `years_after` more years. See `backend/domain/retention.py`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    until_age: int = Field(default=7, ge=0, le=30)
    years_after: int = Field(ge=0, le=50)


#: Default retention per record type (domain §8: until the child turns 7 plus a minimum).
#: - ADBB screenings are health records: kept at least 10 years after the last entry, as the
#:   record-keeping rules for health professionals require of patient records.
#: - Notifications (underretninger) document a legal duty towards the social authorities: 10 years.
#: - Pedagogical documentation (well-being, dialogue meetings, reflections, transitions, concern
#:   notes) and the consents given for it: no statutory minimum; 5 years after the child turns 7
#:   (or after the last change) leaves room for complaints and follow-up. Municipalities change
#:   these with their data protection officer.
DEFAULT_RECORD_RETENTION: dict[str, int] = {
    "adbb": 10,
    "wellbeing": 5,
    "dialogue_meeting": 5,
    "reflection": 5,
    "transition": 5,
    "concern_note": 5,
    "notification": 10,
    "consent": 5,
    "action_paths": 5,
}


class RetentionSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    records: dict[str, RetentionRule] = Field(
        default_factory=lambda: {
            kind: RetentionRule(years_after=years) for kind, years in DEFAULT_RECORD_RETENTION.items()
        }
    )
    #: A child's master data (name, CPR, guardians, placements) after leaving the municipality,
    #: once none of the child's records remain.
    child: RetentionRule = Field(default_factory=lambda: RetentionRule(years_after=1))
    #: Writes kept aside (conflict copies, writes about a child who left), from when they were kept.
    kept_write_days: int = Field(default=365, ge=30, le=3650)
    #: Done or cancelled tasks, from when they were closed.
    closed_task_days: int = Field(default=730, ge=30, le=3650)
    #: The audit log's own retention (events of children on legal hold stay).
    audit_years: int = Field(default=5, ge=1, le=20)

    @model_validator(mode="after")
    def _every_type(self) -> RetentionSettings:
        for kind, years in DEFAULT_RECORD_RETENTION.items():
            self.records.setdefault(kind, RetentionRule(years_after=years))
        return self

    def rule_for(self, record_type: str) -> RetentionRule:
        return self.records.get(record_type) or RetentionRule(years_after=10)


class MunicipalSettings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    position_labels: dict[str, str] = Field(default_factory=lambda: dict(LABEL_PRESETS["words"]))
    adbb_cutoff: int = Field(default=5, ge=1, le=32)
    adbb_first_window: MonthWindow = MonthWindow(from_month=2, to_month=4)
    adbb_second_window: MonthWindow = MonthWindow(from_month=8, to_month=11)
    adbb_follow_up_days: int = Field(default=14, ge=1, le=120)
    rounds_per_year: dict[str, int] = Field(default_factory=lambda: {kind.value: 2 for kind in UnitKind})
    round_window_weeks: int = Field(default=5, ge=1, le=26)
    parent_involvement_hint: bool = False
    dialogue_meeting_within_days: int = Field(default=14, ge=1, le=120)
    local_sign_in_with_sso: bool = False
    offline_days: int = Field(default=7, ge=1, le=60)
    #: After how many idle minutes (or minutes hidden) the app locks the data kept on the phone
    #: (issue 20); given to every signed-in page as `<meta name="opspor-lock-minutes">`.
    lock_minutes: int = Field(default=5, ge=1, le=60)
    digest_time: str = Field(default="07:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    round_closing_days: int = Field(default=7, ge=1, le=60)
    urgent_within_days: int = Field(default=3, ge=0, le=30)
    transition_description_days_before: int = Field(default=14, ge=0, le=120)
    #: How many days after a forum meeting its partners can still read the named cases (§11).
    forum_access_days: int = Field(default=14, ge=1, le=90)
    language: str = Field(default="da", pattern=r"^(da|en)$")
    #: The municipality's SOR code: the managing organisation in FHIR exports (KL Gateway Children).
    sor_code: str = Field(default="", pattern=r"^(\d{6,18})?$")
    retention: RetentionSettings = Field(default_factory=RetentionSettings)

    @model_validator(mode="after")
    def _labels_complete(self) -> MunicipalSettings:
        missing = [key for key in POSITIONS if not self.position_labels.get(key, "").strip()]
        if missing:
            raise ValueError(N_("Alle tre positioner skal have en betegnelse."))
        for key, count in self.rounds_per_year.items():
            if not 1 <= count <= 4:
                raise ValueError(f"Antal runder pr. år for {key} skal være mellem 1 og 4.")
        return self


def load_settings(raw: dict | None) -> MunicipalSettings:
    """The municipality's settings from their stored JSON. Every signed-in request reads them:
    each distinct stored value is validated once and the (frozen) result shared."""
    return _validated(json.dumps(raw or {}, sort_keys=True, separators=(",", ":")))


@lru_cache(maxsize=64)
def _validated(stored: str) -> MunicipalSettings:
    return MunicipalSettings.model_validate_json(stored)
