"""Free text as people type it: kept exactly, except characters no one can type."""

from __future__ import annotations

_CONTROL = {c for c in range(32) if c not in (9, 10, 13)} | {127}
_TRANSLATION = dict.fromkeys(_CONTROL)


def clean_text(value: str) -> str:
    """Drop NUL and other control characters (never typed; PostgreSQL refuses NUL)."""
    return value.translate(_TRANSLATION)
