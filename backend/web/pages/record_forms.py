"""What a record's form page needs beyond the record: what every form shares, and what the
record's kind adds (its `form_context` in `records/kinds/`). Defaults are what the form opens with.
"""

from __future__ import annotations

from typing import Any

from backend.domain import consent, wellbeing
from backend.domain.dates import age_in_months, today
from backend.people.models import Child
from backend.records.registry import kind
from backend.web.context import RequestContext


def _common(ctx: RequestContext) -> dict[str, Any]:
    return {
        "positions": ctx.municipal.position_labels,
        "areas": wellbeing.AREAS,
        "decisions": wellbeing.DECISIONS,
        "consent_kinds": consent.KINDS,
        "consent_states": consent.STATES,
        "defaults": {},
    }


def form_context(
    record_type: str, ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    entry = kind(record_type)
    values = _common(ctx)
    values.update(entry.form_context(ctx, child, unit_id, query))
    values["type_label"] = entry.label
    if child is not None:
        values["age_months_today"] = age_in_months(child.birth_date, today())
    return values
