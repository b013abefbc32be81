"""CPR numbers: DDMMYY-SSSS, the date part a real date, no modulus-11 check.

Denmark has issued CPR numbers that fail the old modulus-11 check since 2007, so the check
would reject real children. The seventh digit together with the year gives the century.
"""

from __future__ import annotations

import re
from datetime import date

from backend.domain.messages import N_
from backend.domain.numbers import is_digits

_SEPARATORS = re.compile(r"[\s\-–.]")


class CprError(ValueError):
    """A CPR number that cannot be right; the message is Danish and safe to show."""


def normalise_cpr(raw: str) -> str:
    """Return the ten digits of a CPR number typed in any common format, or raise CprError."""
    digits = _SEPARATORS.sub("", raw or "")
    if not is_digits(digits) or len(digits) != 10:
        raise CprError(N_("CPR-nummeret skal have formen DDMMÅÅ-XXXX (10 cifre)."))
    cpr_birth_date(digits)
    return digits


def century(year_two_digits: int, seventh_digit: int) -> int:
    """The century of a CPR birth year, from the published CPR century table."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if year_two_digits <= 36 else 1900
    return 2000 if year_two_digits <= 57 else 1800


def cpr_birth_date(digits: str) -> date:
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    full_year = century(year, int(digits[6])) + year
    try:
        return date(full_year, month, day)
    except ValueError:
        raise CprError(N_("CPR-nummerets dato findes ikke.")) from None


def format_cpr(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


def check_cpr_matches_birth_date(digits: str, birth_date: date) -> None:
    if cpr_birth_date(digits) != birth_date:
        raise CprError(N_("CPR-nummeret passer ikke med fødselsdatoen."))


_CPR_LIKE = re.compile(r"(?<!\d)\d{6}[\s\-–.]?\d{4}(?!\d)")


def redact_cpr(text: str) -> str:
    """Free text with anything that looks like a CPR number replaced (for reasons in the audit log)."""
    return _CPR_LIKE.sub("[CPR]", text or "")
