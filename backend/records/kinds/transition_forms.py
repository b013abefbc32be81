"""What the transition and consent forms and views need (their kinds' `form_context`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from backend.domain import transition
from backend.people.models import Child, Unit
from backend.records.handover import latest_joint_assessment
from backend.records.rules import Actor
from backend.records.transition_views import handover_of


def transition_context(
    actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    units = list(actor.db.exec(select(Unit).where(Unit.municipality_id == actor.scope.municipality_id)))
    latest = _latest_joint(actor, child, unit_id)
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
        "handover": lambda record: handover_of(actor.db, actor.scope, record),
        "defaults": defaults,
    }


def _latest_joint(actor: Actor, child: Child | None, unit_id: str) -> dict[str, Any] | None:
    """The newest final joint assessment of the writing unit (never another unit's)."""
    if child is None or unit_id not in actor.scope.unit_ids:
        return None
    joint = latest_joint_assessment(actor.db, child.id, unit_id)
    if joint is None:
        return None
    return {
        "record_id": joint.id,
        "position": joint.data.get("overall"),
        "summary": joint.data.get("summary") or "",
        "updated_at": joint.updated_at,
    }
