"""Whole numbers typed by people or sent by clients.

`str.isdigit()` is true for more than 0-9 ("²", "①"), and `int()` then raises: a 500. Every
place that reads a number from input uses these instead, with bounds.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")
#: The largest value a signed 64-bit database column holds.
MAX_BIGINT = 2**63 - 1
#: The largest value an INTEGER column holds on PostgreSQL (ids such as the audit log's).
MAX_INT = 2**31 - 1


def is_digits(text: object) -> bool:
    """True for a non-empty string of ASCII digits 0-9 only."""
    return isinstance(text, str) and _ASCII_DIGITS.fullmatch(text) is not None


def parse_int(text: object, low: int = 0, high: int = MAX_INT) -> int | None:
    """The number `text` spells with ASCII digits (an optional leading minus) within low..high, else None."""
    if not isinstance(text, str) or len(text) > 20:
        return None
    digits = text[1:] if text.startswith("-") else text
    if not is_digits(digits):
        return None
    value = int(text)
    return value if low <= value <= high else None
