"""The one check of an e-mail address and of a child's birth date, for forms, admin and import.

E-mail addresses are checked by `email-validator` for their form only: no DNS look-up (no
network), so a municipality's internal domains pass as long as they are well-formed.
"""

from __future__ import annotations

from datetime import date

from email_validator import EmailNotValidError, validate_email

from backend.domain.messages import N_

EMAIL_MAX = 320
EMAIL_INVALID = N_("E-mailadressen er ikke gyldig.")
#: A child older than this is not one of ours (and a wrong century is a typing error).
OLDEST_CHILD_YEARS = 18


def email_is_valid(address: str) -> bool:
    """Whether an address is a well-formed e-mail address (`a@b` is not: no domain)."""
    if not address or len(address) > EMAIL_MAX:
        return False
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def birth_date_problem(birth_date: date, today: date) -> str | None:
    """The Danish message for a birth date that cannot be right, or None."""
    if birth_date > today:
        return N_("Fødselsdatoen ligger i fremtiden.")
    if birth_date.year < today.year - OLDEST_CHILD_YEARS:
        return N_("Fødselsdatoen er mere end 18 år gammel.")
    return None
