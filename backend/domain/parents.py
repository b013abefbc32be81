"""Parents take part (issue 15): the plain rules of parent invitations and the parents' own words.

An invitation asks one guardian for one task on one record (`PARTS`). It is a one-time link
plus a six-digit code; it is valid for `VALID_DAYS` days or until used or revoked, and
`MAX_WRONG_CODES` wrong codes lock it. What the parents send is kept on the record as their own
words (`parents_words`), attributed to the guardian: staff may add to the record, never change them.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any

from backend.domain.messages import N_

VALID_DAYS = 14
MAX_WRONG_CODES = 5
CODE_DIGITS = 6
#: Bytes of randomness in a link's token (≥ 128 bits).
TOKEN_BYTES = 32
#: How long a parent's session lasts after the right code (idle time is not extended).
SESSION_MINUTES = 60

#: The tasks a parent can be invited to, and the record types each fits.
PARTS: dict[str, frozenset[str]] = {
    "transition_parents_part": frozenset({"transition"}),
    "meeting_preparation": frozenset({"dialogue_meeting"}),
    "consent": frozenset({"consent", "transition"}),
    #: "What we agreed" after a dialogue meeting (an addition to the contract's three parts).
    "agreements": frozenset({"dialogue_meeting"}),
}

#: The fields of the parents' part of a transition description (domain §4.5), in order.
TRANSITION_FIELDS: dict[str, str] = {
    "about_child": N_("Om vores barn"),
    "what_helps": N_("Det hjælper vores barn"),
    "wishes_worries": N_("Ønsker og bekymringer"),
    "child_thoughts": N_("Barnets egne tanker"),
}

#: The fields of the parents' preparation for a dialogue meeting, in order.
MEETING_FIELDS: dict[str, str] = {
    "everyday_life": N_("Sådan oplever vi vores barn i hverdagen"),
    "topics": N_("Det vil vi gerne tale om"),
    "participants": N_("Dem vil vi gerne have med til mødet"),
}

#: The fields a parent fills in, per part with a form of its own.
FIELDS_OF_PART: dict[str, dict[str, str]] = {
    "transition_parents_part": TRANSITION_FIELDS,
    "meeting_preparation": MEETING_FIELDS,
}

#: The longest text a parent may write in one field.
FIELD_MAX = 5_000

STATE_OPEN = "open"
STATE_USED = "used"
STATE_REVOKED = "revoked"
STATE_EXPIRED = "expired"
STATE_LOCKED = "locked"
#: Open, but nothing is offered to parents while the child's concern is on the abuse path (§6).
STATE_HELD = "held"


def email_subject() -> str:
    return "Invitation fra Opspor"


def email_body(guardian_name: str, child_first_name: str, url: str, expires: datetime) -> str:
    """The invitation e-mail: the link only, never the code (it comes by word of mouth or phone)."""
    return (
        f"Kære {guardian_name}\n\n"
        f"I er inviteret til at skrive med jeres egne ord om {child_first_name}.\n\n"
        f"Åbn linket her:\n{url}\n\n"
        "Fagpersonen giver jer en kode på seks cifre mundtligt eller i telefonen. "
        f"Linket virker én gang og til og med {expires:%d.%m.%Y}.\n\n"
        "To read in English or Arabic, open the link and choose your language.\n"
    )


def part_fits(part: str, record_type: str) -> bool:
    """The task fits the record: the parents' part of a transition, the preparation of a
    dialogue meeting, a consent (a consent record, or the handover of a transition)."""
    return record_type in PARTS.get(part, frozenset())


def expires_at(created_at: datetime) -> datetime:
    return created_at + timedelta(days=VALID_DAYS)


def invitation_state(
    *,
    now: datetime,
    expires: datetime,
    used_at: datetime | None,
    revoked_at: datetime | None,
    wrong_codes: int,
) -> str:
    """Whether a link still opens: revoked, used, locked and expired links never do."""
    if revoked_at is not None:
        return STATE_REVOKED
    if used_at is not None:
        return STATE_USED
    if wrong_codes >= MAX_WRONG_CODES:
        return STATE_LOCKED
    if now >= expires:
        return STATE_EXPIRED
    return STATE_OPEN


def codes_left(wrong_codes: int) -> int:
    return max(0, MAX_WRONG_CODES - wrong_codes)


def is_code_shaped(code: str) -> bool:
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()


def normalised_code(typed: str) -> str:
    """What a parent typed, without spaces and dashes ("123 456", "123-456"), with digits from an
    Arabic keyboard ("١٢٣٤٥٦") read as the same digits."""
    kept = (ch for ch in typed[:40] if ch not in " -\u00a0\t")
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in kept)[:20]


def clean_answers(part: str, values: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The parents' answers for `part` (only its own fields, stripped) and the errors by field.
    At least one field must be filled in."""
    fields = FIELDS_OF_PART.get(part, {})
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key in fields:
        value = values.get(key)
        text = value.strip() if isinstance(value, str) else ""
        text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").replace("\r", "")
        if len(text) > FIELD_MAX:
            errors[key] = N_("Teksten er for lang (højst 5.000 tegn).")
        elif text:
            answers[key] = text
    if not answers and not errors and fields:
        errors[next(iter(fields))] = N_("Skriv mindst ét af felterne, før I sender.")
    return answers, errors


def parents_words_changed(before: list | None, after: list | None) -> bool:
    """Staff may never add, change or remove the parents' own words on a record."""
    return (before or []) != (after or [])
