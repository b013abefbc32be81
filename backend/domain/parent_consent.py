"""Parents decide and read on their own phone (issue 15): the plain rules of the consent page and
of "What we agreed".

A consent invitation shows exactly what the decision covers — the version of a transition
description that will be handed over, or a dialogue meeting's purpose and participants — and the
parent gives or refuses with their typed name. A consent given this way can be withdrawn later
through a withdrawal link of its own. "What we agreed" shows only what the professional chose to
share after a meeting: the agreements (what, who, by when) and the plain-words summary — never
the colour positions or anything else from the minutes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from backend.domain.consent import HANDOVER
from backend.domain.messages import N_

#: The channel a consent came through when the parent decided on their own phone.
CHANNEL_PARENT_LINK = "parent_link"

#: What a parent can choose on the consent page.
CHOICES = ("given", "refused")

#: The longest name a parent may type as their evidence.
NAME_MAX = 200

#: Bytes of randomness in a withdrawal link's token (≥ 128 bits).
WITHDRAW_TOKEN_BYTES = 32


#: The consent kinds a parent can decide on their phone: the handover of a transition
#: description, and a meeting's purpose and participants (a consent record of that kind).
PARENT_CONSENT_KINDS = (HANDOVER, "meeting")


def consent_kind_for(record_type: str, record_data: dict[str, Any]) -> tuple[str, str] | None:
    """The consent kind an invitation's record asks about, and whether its scope is the record
    itself ("self": a transition description, whose handover it is) or the consent record's own
    scope ("scope": a consent record the professional prepared, e.g. for a meeting)."""
    if record_type == "transition":
        return HANDOVER, "self"
    if record_type == "consent" and record_data.get("kind") in PARENT_CONSENT_KINDS:
        return str(record_data["kind"]), "scope"
    return None


def decision_errors(choice: str, typed_name: str) -> dict[str, str]:
    """The parent must choose yes or no and type their name (the written evidence)."""
    errors: dict[str, str] = {}
    if choice not in CHOICES:
        errors["choice"] = N_("Vælg, om I giver samtykke eller siger nej.")
    name = typed_name.strip()
    if not name:
        errors["typed_name"] = N_("Skriv jeres navn som underskrift.")
    elif len(name) > NAME_MAX:
        errors["typed_name"] = N_("Navnet er for langt (højst 200 tegn).")
    return errors


def version_still_shown(shown: int | None, current: int) -> bool:
    """The parent decides about the version they read: a change meanwhile means reading again."""
    return shown is not None and shown == current


def may_withdraw(state: str | None, withdrawn_already: bool) -> bool:
    """Only a consent that was given (and not yet withdrawn) can be withdrawn."""
    return state == "given" and not withdrawn_already


def _iso_date(value: object) -> str:
    """A stored date as YYYY-MM-DD, or "" when missing or not a date."""
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) and value else ""
    except ValueError:
        return ""


def shared_with_parents(data: dict[str, Any]) -> bool:
    return data.get("share_with_parents") is True


def shared_agreements(data: dict[str, Any]) -> dict[str, Any] | None:
    """What the parents may read after a dialogue meeting: only when the professional chose to
    share it, and then only the agreements (what, who, by when) and the shared summary."""
    if not shared_with_parents(data):
        return None
    agreements = []
    for row in data.get("agreements") or []:
        if not isinstance(row, dict) or not str(row.get("what") or "").strip():
            continue
        agreements.append(
            {
                "what": str(row.get("what") or ""),
                "who": str(row.get("who") or ""),
                "due_on": _iso_date(row.get("due_on")),
            }
        )
    return {
        "held_on": _iso_date(data.get("held_on")),
        "summary": str(data.get("shared_summary") or ""),
        "agreements": agreements,
    }


#: The receipt by e-mail (in the parent's language): what was decided, when, and about what —
#: never the child's name or any text from the record.
RECEIPT_SUBJECT = N_("Kvittering for jeres samtykke")
RECEIPT_GREETING = N_("Hej")
RECEIPT_DECISION: dict[str, str] = {
    "given": N_("I gav samtykke den %(when)s."),
    "refused": N_("I sagde nej den %(when)s."),
    "withdrawn": N_("I trak jeres samtykke tilbage den %(when)s. Det gælder fra nu af."),
}
RECEIPT_ABOUT: dict[str, str] = {
    "transition_handover": N_("Det gælder overleveringen af overgangsbeskrivelsen til %(unit)s."),
    "meeting": N_("Det gælder formålet med dialogmødet og dem, der deltager."),
}
RECEIPT_ABOUT_FORUM = N_("Det gælder drøftelsen i %(forum)s og dem, der deltager.")
RECEIPT_WITHDRAW = N_("I kan altid trække samtykket tilbage med dette link:")
RECEIPT_FOOTER = N_("Med venlig hilsen Opspor. Denne e-mail kan ikke besvares.")
