"""Where each person starts (issue 17): the page with their next action, not an empty list."""

from __future__ import annotations

TODAY = "/"
LEADER_OVERVIEW = "/leader/overview"
ADMIN_HOME = "/admin"


def start_path(*, is_professional: bool, leads: bool, is_admin: bool) -> str:
    """Someone who works with children starts on "I dag" (their open work and children); a
    leader who does not is started on the overview of their units; an administrator with
    neither on the administration's start page."""
    if is_professional:
        return TODAY
    if leads:
        return LEADER_OVERVIEW
    if is_admin:
        return ADMIN_HOME
    return TODAY
