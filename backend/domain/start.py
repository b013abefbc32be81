"""Where each person starts (issue 17): the page with their next action, not an empty list."""

from __future__ import annotations

TODAY = "/"
LEADER_OVERVIEW = "/leader/overview"
ADMIN_HOME = "/admin"
FORUMS = "/forums"


def start_path(*, is_professional: bool, leads: bool, is_admin: bool, is_partner: bool = False) -> str:
    """Someone who works with children starts on "I dag" (their open work and children); a
    leader who does not is started on the overview of their units; an administrator with
    neither on the administration's start page; a partner with none of these on their coming
    forum meetings and cases (issue 16)."""
    if is_professional:
        return TODAY
    if leads:
        return LEADER_OVERVIEW
    if is_admin:
        return ADMIN_HOME
    if is_partner:
        return FORUMS
    return TODAY
