"""Form and view context for dialogue meetings and reflections (see record_forms.CONTEXTS)."""

from __future__ import annotations

from typing import Any

from backend.domain import meetings
from backend.people.models import Child
from backend.records.kinds.meeting_support import consent_link, has_consent
from backend.web.context import RequestContext

#: Blank rows a form shows below the filled ones (the way to add rows without JavaScript).
BLANK_ROWS = 2


def _consent(ctx: RequestContext, child: Child | None, kind: str, unit_id: str) -> dict[str, Any]:
    """Helpers for a template: is consent given for this record, and where is it recorded."""

    def given(record_id: str) -> bool:
        scopes = {record_id, unit_id} if kind == "sparring_case" else {record_id}
        return has_consent(ctx.db, child.id if child else None, kind, scopes)

    def link(record_id: str) -> str:
        return consent_link(child.id, kind, record_id) if child else ""

    return {"consent_given_for": given, "consent_link_for": link}


def dialogue_meeting(
    ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    return {
        "participant_roles": meetings.PARTICIPANT_ROLES,
        "headings": meetings.MINUTES_HEADINGS,
        "blank_rows": BLANK_ROWS,
        **_consent(ctx, child, "meeting", unit_id),
        "defaults": {},
    }


def reflection(
    ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    return {
        "hands_needed": meetings.HANDS_NEEDED,
        "hands_offered": meetings.HANDS_OFFERED,
        "age_bands": meetings.AGE_BANDS,
        "made_difference": meetings.MADE_DIFFERENCE,
        "blank_rows": BLANK_ROWS,
        **_consent(ctx, child, "sparring_case", unit_id),
        "defaults": {},
    }
