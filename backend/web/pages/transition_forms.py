"""What the transition and consent forms and views need (see `record_forms.CONTEXTS`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from backend.auth.policy import is_id
from backend.domain import consent, transition
from backend.domain.dates import now_local
from backend.people.models import Child, Unit
from backend.people.service import guardians_of
from backend.records.handover import HANDOVER, latest_joint_assessment
from backend.records.models import Record
from backend.records.transition_views import handover_of
from backend.web.context import RequestContext


def transition_context(
    ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    units = list(ctx.db.exec(select(Unit).where(Unit.municipality_id == ctx.scope.municipality_id)))
    latest = _latest_joint(ctx, child, unit_id)
    defaults: dict[str, Any] = {}
    if latest is not None:
        defaults["professional_part"] = {
            "latest_position": latest["position"],
            "latest_summary": latest["summary"],
        }
    return {
        "receiving_units": {u.id: u.name for u in units if u.active and u.id != unit_id},
        "unit_labels": {u.id: u.name for u in units},
        "parents_part": transition.PARENTS_PART,
        "professional_part": transition.PROFESSIONAL_PART,
        "competences": transition.LEARNING_COMPETENCES,
        "latest_joint": latest,
        "handover": lambda record: handover_of(ctx.db, ctx.scope, record),
        "defaults": defaults,
    }


def _latest_joint(ctx: RequestContext, child: Child | None, unit_id: str) -> dict[str, Any] | None:
    """The newest final joint assessment of the writing unit (never another unit's)."""
    if child is None or unit_id not in ctx.scope.unit_ids:
        return None
    joint = latest_joint_assessment(ctx.db, child.id, unit_id)
    if joint is None:
        return None
    return {
        "record_id": joint.id,
        "position": joint.data.get("overall"),
        "summary": joint.data.get("summary") or "",
        "updated_at": joint.updated_at,
    }


def consent_context(
    ctx: RequestContext, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    guardians = guardians_of(ctx.db, child.id) if child else []
    transitions = _own_records(ctx, child, unit_id, "transition")
    defaults: dict[str, Any] = {"decided_at": now_local().strftime("%Y-%m-%dT%H:%M")}
    for key in ("kind", "scope", "state", "guardian"):
        value = query.get(key)
        if isinstance(value, str) and (value in consent.KINDS or value in consent.STATES or is_id(value)):
            defaults[key] = value
    return {
        "guardian_options": {g.id: f"{g.name} ({g.relation})" if g.relation else g.name for g in guardians},
        "guardian_names": {g.id: g.name for g in guardians},
        "scope_options": _scope_options(ctx, child, unit_id, transitions),
        "transitions": {t.id: t for t in transitions},
        "handover_kind": HANDOVER,
        "latest_handover_id": lambda scope: _latest_handover_id(ctx, child, scope),
        "defaults": defaults,
    }


def _latest_handover_id(ctx: RequestContext, child: Child | None, scope: str) -> str | None:
    from backend.records.kinds.consent import latest_decision

    decision = latest_decision(ctx.db, child.id, HANDOVER, scope) if child else None
    return decision.id if decision else None


def _own_records(ctx: RequestContext, child: Child | None, unit_id: str, record_type: str) -> list[Record]:
    if child is None or unit_id not in ctx.scope.unit_ids:
        return []
    query = select(Record).where(
        Record.type == record_type, Record.child_id == child.id, Record.unit_id == unit_id
    )
    return list(ctx.db.exec(query.order_by(Record.created_at.desc())))


def _scope_options(
    ctx: RequestContext, child: Child | None, unit_id: str, transitions: list[Record]
) -> dict[str, dict[str, str]]:
    """What a consent can cover, per kind: the child's transitions, meetings, sparring cases,
    or (for collegial dialogue) the unit itself."""
    from backend.i18n import gettext as _

    def when(record: Record, date_key: str) -> str:
        return (record.data.get(date_key) or record.created_at.date().isoformat())[:10]

    unit = ctx.db.get(Unit, unit_id)
    to_unit = _("Overgangsbeskrivelse til %(unit)s")
    return {
        HANDOVER: {
            t.id: to_unit % {"unit": t.derived.get("to_unit_name") or "–"} + f" · {when(t, 'starts_on')}"
            for t in transitions
        },
        "meeting": {
            r.id: _("Dialogmøde %(date)s") % {"date": when(r, "planned_on")}
            for r in _own_records(ctx, child, unit_id, "dialogue_meeting")
        },
        "sparring_case": {
            r.id: _("Faglig sparring %(date)s") % {"date": when(r, "created_at")}
            for r in _own_records(ctx, child, unit_id, "reflection")
        },
        "collegial_dialogue": {unit.id: unit.name} if unit else {},
    }
