""" "I dag" as the page shows it: the records' view with what was sent to the parents
(`backend/parents/pages.py`) and the coming forum meetings (`backend/forums/today.py`) — composed
here, above the packages, so neither imports the other and the web page calls one function."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from backend.audit import AuditTrail
from backend.auth.policy import Scope
from backend.forums.today import forum_cards
from backend.parents.pages import TodayWithParents, today_with_parents


def start_page(db: Session, scope: Scope, audit: AuditTrail, on: date) -> TodayWithParents:
    page = today_with_parents(db, scope, audit, on)
    page.view.open_work.extend(forum_cards(db, scope, on))
    return page
