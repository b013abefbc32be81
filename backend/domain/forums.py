"""Cross-disciplinary forums (domain §11): kinds, member roles, age bands, and the rules for when
a partner may read a named case."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from backend.domain.messages import N_

KINDS: dict[str, str] = {
    "resource_team": N_("Ressourceteam"),
    "focus_team": N_("Fokusteam"),
    "adbb_supervision": N_("ADBB-supervisionsteam"),
}
MEMBER_ROLES: dict[str, str] = {
    "convener": N_("Mødeindkalder"),
    "internal": N_("Fagperson"),
    "partner": N_("Samarbejdspartner"),
}
MEETING_STATUSES: dict[str, str] = {"planned": "Planlagt", "held": "Afholdt", "cancelled": "Aflyst"}
AGE_BANDS: dict[str, str] = {
    "0-1": N_("0–1 år"),
    "1-3": N_("1–3 år"),
    "3-6": N_("3–6 år"),
}
#: The preparation form's free-text fields, in order.
PREPARATION_FIELDS: dict[str, str] = {
    "question": N_("Spørgsmålet til forummet"),
    "tried": N_("Det har vi prøvet"),
    "parents_view": N_("Forældrenes syn"),
}
#: The consent kind (domain §5) that covers a named case: the meeting's purpose and participants.
CONSENT_KIND = "meeting"
DEFAULT_ACCESS_DAYS = 14
TEXT_MAX = 2000


def partner_may_read(
    shared_at: datetime | None, held_on: date, status: str, on: date, access_days: int
) -> bool:
    """A partner reads a named case from when its preparation is shared until `access_days`
    after the meeting; never before sharing and never for a cancelled meeting."""
    if shared_at is None or status == "cancelled":
        return False
    return on <= held_on + timedelta(days=access_days)


def access_from(on: date, access_days: int) -> date:
    """The earliest meeting date whose cases a partner can still read on `on`."""
    return on - timedelta(days=access_days)
