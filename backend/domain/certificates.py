"""When a certificate the installation relies on needs the administrator's attention."""

from __future__ import annotations

from datetime import datetime, timedelta

#: The administrator is warned this long before a certificate expires.
WARN_BEFORE = timedelta(days=30)


def expiry_state(expires_at: datetime, now: datetime, warn_before: timedelta = WARN_BEFORE) -> str:
    """ "expired", "soon" (within `warn_before`) or "ok"."""
    if expires_at <= now:
        return "expired"
    if expires_at - now <= warn_before:
        return "soon"
    return "ok"
