"""Dialogue meetings and professional sparring (domain §4.3, §4.4, §5): the pure rules.

No I/O: the record rules in `records/kinds/` fetch what these functions need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

from backend.domain.messages import N_

#: Who takes part in a dialogue meeting. Parents and the child's own staff need no consent;
#: anyone else (PPR, a social worker, another unit's health visitor) does (domain §4.3).
PARTICIPANT_ROLES: dict[str, str] = {
    "parent": N_("Forælder"),
    "staff": N_("Barnets egen medarbejder"),
    "external": N_("Ekstern (fx PPR, socialrådgiver)"),
}

#: The five headings of the minutes, in the order they are talked through.
MINUTES_HEADINGS: dict[str, str] = {
    "going_well": N_("Hvad går godt?"),
    "challenges": N_("Udfordringer"),
    "possibilities": N_("Muligheder"),
    "agreements": N_("Aftaler"),
    "best_today": N_("Det bedste i dag"),
}

#: Omsorgsgrebet: the big hand (closeness, comfort, protection), the small hand (autonomy,
#: skills, taking part).
HANDS_NEEDED: dict[str, str] = {
    "big": N_("Den store hånd"),
    "small": N_("Den lille hånd"),
    "both": N_("Begge hænder"),
}
HANDS_OFFERED: dict[str, str] = {**HANDS_NEEDED, "none": N_("Ingen af dem")}

AGE_BANDS: dict[str, str] = {"0-1": N_("0–1 år"), "1-3": N_("1–3 år"), "3-6": N_("3–6 år")}

MADE_DIFFERENCE: dict[str, str] = {"yes": N_("Ja"), "partly": N_("Delvist"), "no": N_("Nej")}

#: A follow-up this far away is not a trial action but a plan (trial actions are small).
TRIAL_ACTION_HORIZON = timedelta(days=366)


def needs_meeting_consent(participant_roles: Iterable[str | None]) -> bool:
    """Consent to purpose and participants is needed when anyone but parents and the child's
    own staff takes part."""
    return any(role == "external" for role in participant_roles)


def hand_mismatch(needed: str | None, offered: str | None) -> bool:
    """True when the adults offered another hand than the one the child reached for."""
    if needed is None or offered is None:
        return False
    if offered == "none":
        return True
    return needed != offered and offered != "both"


def reflection_basis_ok(consent_given: bool, legal_basis: str | None) -> bool:
    """A named sparring case needs the parents' consent or a documented legal basis."""
    return consent_given or bool((legal_basis or "").strip())


def trial_action_done(outcome: str | None, made_difference: str | None) -> bool:
    """A follow-up is done when the outcome is written and the difference for the child judged."""
    return bool((outcome or "").strip()) and made_difference is not None


def trial_action_too_far(follow_up_on: date, today: date) -> bool:
    return follow_up_on > today + TRIAL_ACTION_HORIZON


def next_meeting_before_this(held_on: date | None, next_on: date | None) -> bool:
    return held_on is not None and next_on is not None and next_on <= held_on


def row_keys(
    rows: Sequence[tuple[str | None, str | None]],
    previous: Sequence[tuple[str, str | None]],
    new_key: Callable[[], str],
) -> list[str]:
    """A stable key for each row (agreements, trial actions), so a task follows its row when
    rows are added, reordered or removed.

    `rows` are (key sent by the client or None, text); `previous` are the keys and texts of the
    version before. A row without a key takes the key of an unclaimed earlier row with the same
    text, else a new one. A key sent twice is only honoured once.
    """
    used: set[str] = set()
    known = {key for key, _text in previous}
    keys: list[str] = []
    for key, _text in rows:
        keys.append(key if key and key not in used else "")
        if key:
            used.add(key)
    for index, (_key, text) in enumerate(rows):
        if keys[index]:
            continue
        match = next(
            (k for k, t in previous if t == text and k not in used and k in known),
            None,
        )
        keys[index] = match or new_key()
        used.add(keys[index])
    return keys
