"""The right of access (domain §7): a child's data for the parents, made by an admin.

Everything the municipality holds about the child — master data, guardians, placements,
responsible professionals and every record with all its versions — except what needs a human
look first: internal working notes (individual well-being marks) and abuse-path concern notes
(domain §6) are listed for manual review and included only when the admin decides so and writes
why. Every export is audited, with what was included and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from backend.admin.base import AdminContext
from backend.admin.children import child_of
from backend.audit import AuditEvent
from backend.domain.cpr import format_cpr
from backend.domain.messages import N_
from backend.people.models import Caseload, Child, Guardian, Unit, User
from backend.people.service import placement_history
from backend.records.models import Record, RecordVersion
from backend.records.registry import KINDS, label_of

REVIEW_REASONS = {
    "internal_note": "Intern arbejdsnote (individuel trivselsvurdering)",
    "abuse_path": N_("Bekymring om vold eller overgreb (særligt spor)"),
}


def review_reason(record: Record) -> str | None:
    """Why a record is held back for manual review, or None when it is part of the export."""
    if record.abuse_path:
        return "abuse_path"
    entry = KINDS.get(record.type)
    return entry.review_reason(record) if entry else None


@dataclass(frozen=True)
class Inclusion:
    record_ids: frozenset[str]
    reason: str


def records_of(db: Session, child_id: str) -> list[Record]:
    return list(db.exec(select(Record).where(Record.child_id == child_id).order_by(Record.created_at)))


def build_export(db: Session, child: Child, inclusion: Inclusion, generated_at: datetime) -> dict:
    records = records_of(db, child.id)
    units = {u.id: u.name for u in db.exec(select(Unit).where(Unit.municipality_id == child.municipality_id))}
    user_ids = {r.author_id for r in records}
    versions_by_record: dict[str, list[RecordVersion]] = {}
    if records:
        query = select(RecordVersion).where(RecordVersion.record_id.in_([r.id for r in records]))
        for version in db.exec(query.order_by(RecordVersion.version)):
            versions_by_record.setdefault(version.record_id, []).append(version)
            user_ids.add(version.author_id)
    caseload = list(db.exec(select(Caseload).where(Caseload.child_id == child.id)))
    user_ids |= {entry.user_id for entry in caseload}
    reads = list(
        db.exec(
            select(AuditEvent)
            .where(AuditEvent.child_id == child.id, AuditEvent.action == "child.read")
            .order_by(AuditEvent.at)
        )
    )
    user_ids |= {event.actor_id for event in reads if event.actor_id}
    names = dict(db.exec(select(User.id, User.display_name).where(User.id.in_(user_ids or {""}))).all())
    included, for_review = [], []
    for record in records:
        reason = review_reason(record)
        if reason is not None:
            chosen = record.id in inclusion.record_ids
            for_review.append(_review_entry(record, reason, chosen, units, names))
            if not chosen:
                continue
        included.append(_record_entry(record, versions_by_record.get(record.id, []), units, names, reason))
    return {
        "generated_at": generated_at.isoformat(),
        "child": {
            "id": child.id,
            "name": child.name,
            "birth_date": child.birth_date.isoformat(),
            "cpr": format_cpr(child.cpr) if child.cpr else None,
        },
        "guardians": [
            {"name": g.name, "relation": g.relation, "phone": g.phone, "email": g.email}
            for g in db.exec(select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.name))
        ],
        "placements": _placements(db, child.id),
        "responsible_professionals": [
            {
                "name": names.get(entry.user_id, ""),
                "unit": units.get(entry.unit_id, ""),
                "since": entry.since.isoformat(),
            }
            for entry in caseload
        ],
        "records": included,
        "reads": [_read_entry(event, names) for event in reads],
        "for_review": for_review,
        "included_after_review": {
            "record_ids": sorted(inclusion.record_ids & {entry["id"] for entry in for_review}),
            "reason": inclusion.reason if inclusion.record_ids else "",
        },
    }


def _placements(db: Session, child_id: str) -> list[dict]:
    return [
        {
            "unit": placement.unit_name,
            "room": placement.room_name,
            "starts_on": placement.starts_on.isoformat(),
            "ends_on": placement.ends_on.isoformat() if placement.ends_on else None,
        }
        for placement in reversed(placement_history(db, child_id))
    ]


def _read_entry(event: AuditEvent, names: dict) -> dict:
    """Who opened the child's page and when; a read made offline (from the phone's copy) says
    when it happened (`at`) and when it reached the server (`arrived_at`)."""
    offline = event.detail.get("offline") is True
    return {
        "by": names.get(event.actor_id, ""),
        "at": event.detail.get("read_at") if offline else event.at.isoformat(),
        "offline": offline,
        "arrived_at": event.at.isoformat() if offline else None,
    }


def _review_entry(record: Record, reason: str, chosen: bool, units: dict, names: dict) -> dict:
    return {
        "id": record.id,
        "type": record.type,
        "type_label": label_of(record.type) or record.type,
        "reason": reason,
        "reason_label": REVIEW_REASONS[reason],
        "unit": units.get(record.unit_id, ""),
        "author": names.get(record.author_id, ""),
        "created_at": record.created_at.isoformat(),
        "included": chosen,
    }


def _record_entry(
    record: Record, versions: list[RecordVersion], units: dict, names: dict, reason: str | None
) -> dict:
    return {
        "id": record.id,
        "type": record.type,
        "type_label": label_of(record.type) or record.type,
        "unit": units.get(record.unit_id, ""),
        "status": record.status,
        "version": record.version,
        "author": names.get(record.author_id, ""),
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "data": record.data,
        "derived": record.derived,
        "included_after_review": reason is not None,
        "versions": [
            {
                "version": v.version,
                "status": v.status,
                "author": names.get(v.author_id, ""),
                "saved_at": v.saved_at.isoformat(),
                "data": v.data,
                "derived": v.derived,
            }
            for v in versions
        ],
    }


def export_child(
    ctx: AdminContext, child_id: str, inclusion: Inclusion, output: str, now: datetime
) -> dict | None:
    """The export of a child of the admin's municipality, audited (None for any other child)."""
    child = child_of(ctx.db, ctx.user.municipality_id, child_id)
    if child is None:
        return None
    data = build_export(ctx.db, child, inclusion, now)
    included = data["included_after_review"]["record_ids"]
    ctx.audit.add(
        "export.child",
        "child",
        child.id,
        child.id,
        output=output,
        records=len(data["records"]),
        held_back=len(data["for_review"]) - len(included),
        included_after_review=included,
        reason=inclusion.reason if included else "",
    )
    return data
