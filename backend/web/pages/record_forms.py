"""What each record type's form needs beyond the record itself (options, the child's context).

One small function per type; `form_context` picks it. Defaults are what the form opens with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.domain import adbb, consent, wellbeing
from backend.domain.dates import age_in_months, today
from backend.domain.numbers import is_digits
from backend.people.models import Child
from backend.records.types import TYPE_LABELS
from backend.web.context import RequestContext
from backend.web.pages import meeting_forms
from backend.web.pages.transition_forms import consent_context, transition_context
from backend.web.pages.wellbeing_form import wellbeing_context

FormContext = Callable[[RequestContext, Child | None, str, dict[str, Any]], dict[str, Any]]


def _adbb(ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    return {
        "items": adbb.ITEMS,
        "scores": adbb.SCORES,
        "occasions": adbb.OCCASIONS,
        "score_options": {score: f"{score} – {text}" for score, text in adbb.SCORES.items()},
        "adbb_total": _total_of,
        "actions": adbb.ACTIONS,
        "cutoff": ctx.municipal.adbb_cutoff,
        "min_age": adbb.MIN_AGE_MONTHS,
        "max_age": adbb.MAX_AGE_MONTHS,
        "defaults": {"occasion": query.get("occasion")},
    }


def _total_of(items: Any) -> int:
    """The total of the scores filled in so far (form values may be text)."""
    if not isinstance(items, dict):
        return 0
    return sum(int(v) for v in items.values() if isinstance(v, int | str) and is_digits(str(v)))


def _common(ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    return {
        "positions": ctx.municipal.position_labels,
        "areas": wellbeing.AREAS,
        "decisions": wellbeing.DECISIONS,
        "consent_kinds": consent.KINDS,
        "consent_states": consent.STATES,
        "defaults": {},
    }


CONTEXTS: dict[str, FormContext] = {"adbb": _adbb}
CONTEXTS["dialogue_meeting"] = meeting_forms.dialogue_meeting
CONTEXTS["reflection"] = meeting_forms.reflection
CONTEXTS.update({"transition": transition_context, "consent": consent_context})
CONTEXTS["wellbeing"] = wellbeing_context


def form_context(
    record_type: str, ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    values = _common(ctx, child, unit_id, query)
    values.update(CONTEXTS.get(record_type, _common)(ctx, child, unit_id, query))
    values["type_label"] = TYPE_LABELS[record_type]
    if child is not None:
        values["age_months_today"] = age_in_months(child.birth_date, today())
    return values
