"""What a caller may export as FHIR, audited: one child, one record, or the incremental delivery.

The access policy is the app's: a professional exports the children and records they may read
(`child_in_scope`, `records_of_child`, `visible_record`); the admin exports the children of
their own municipality. The CPR number goes out only to the admin and the child's health
visitor (a health visitor in the child's current unit); anyone else gets Opspor's own id.

Only final ADBB screenings and final *joint* well-being assessments are exported. A final record
that was corrected keeps its id and goes out again with the new `meta.versionId` and status
`amended`: the receiver replaces what it has under that id.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, child_in_scope, is_id
from backend.db import utcnow
from backend.domain.dates import COPENHAGEN
from backend.domain.settings import load_settings
from backend.fhir import mapping
from backend.people.models import Child, Municipality, Role, Unit, User
from backend.records.access import records_of_child, visible_record
from backend.records.models import Record, RecordVersion

EXPORTED_TYPES = ("adbb", "wellbeing")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZERO_ID = "00000000-0000-0000-0000-000000000000"
BAD_SINCE = "since: Angiv et tidspunkt som ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTtt:mm:ssZ."
BAD_CURSOR = "cursor: Markøren er ugyldig. Brug den, det forrige svar gav."
BAD_COUNT = f"count: Angiv et tal mellem 1 og {MAX_PAGE_SIZE}."


class DeliveryRequestError(ValueError):
    """A bad `since`, `cursor` or `count` (a Danish message naming the field)."""


def is_exported(record: Record) -> bool:
    if record.status != "final" or record.child_id is None or record.abuse_path:
        return False
    return record.type == "adbb" or (record.type == "wellbeing" and record.data.get("kind") == "joint")


@dataclass
class _FirstFinal:
    version: int
    saved_at: datetime


def _first_finals(db: Session, record_ids: list[str]) -> dict[str, _FirstFinal]:
    found: dict[str, _FirstFinal] = {}
    if not record_ids:
        return found
    query = (
        select(RecordVersion.record_id, RecordVersion.version, RecordVersion.saved_at)
        .where(RecordVersion.record_id.in_(record_ids), RecordVersion.status == "final")
        .order_by(RecordVersion.record_id, RecordVersion.version)
    )
    for record_id, version, saved_at in db.exec(query):
        found.setdefault(record_id, _FirstFinal(version, saved_at))
    return found


def _local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(COPENHAGEN).date()


def _responses(
    db: Session, records: list[Record], *, with_authors: bool
) -> tuple[list[dict[str, Any]], set[str]]:
    firsts = _first_finals(db, [r.id for r in records])
    responses, authors = [], set()
    for record in records:
        first = firsts.get(record.id) or _FirstFinal(record.version, record.updated_at)
        corrected = record.version > first.version
        author = record.author_id if with_authors else None
        if record.type == "adbb":
            resource = mapping.adbb_response(
                record.id, record.version, record.child_id, record.data, corrected=corrected, author_id=author
            )
        else:
            authored = _local_date(first.saved_at)
            resource = mapping.topi_response(
                record.id,
                record.version,
                record.child_id,
                record.data,
                authored,
                corrected=corrected,
                author_id=author,
            )
        responses.append(resource)
        authors.add(record.author_id)
    return responses, authors


def _sor_code(db: Session, municipality_id: str) -> str:
    municipality = db.get(Municipality, municipality_id)
    return load_settings(municipality.settings if municipality else None).sor_code


def _practitioners(db: Session, user_ids: set[str]) -> list[dict[str, Any]]:
    if not user_ids:
        return []
    users = db.exec(select(User).where(User.id.in_(user_ids)).order_by(User.id))
    return [mapping.practitioner(u.id, u.display_name) for u in users]


def _may_see_cpr(scope: Scope, unit_id: str | None) -> bool:
    return scope.is_admin or (unit_id is not None and scope.has_role(Role.health_visitor, unit_id))


def _child_for(db: Session, scope: Scope, child_id: str, on: date) -> tuple[Child, str | None] | None:
    """The child and its current unit when the caller may export it, else None (→ 404)."""
    if scope.is_admin and is_id(child_id):
        child = db.get(Child, child_id)
        if child is not None and child.municipality_id == scope.municipality_id:
            found = child_in_scope(db, scope, child_id, on)
            return child, found[1].unit_id if found else None
    found = child_in_scope(db, scope, child_id, on)
    if found is None:
        return None
    return found[0], found[1].unit_id


def _exported_records(db: Session, scope: Scope, child: Child, unit_id: str | None) -> list[Record]:
    if scope.is_admin:
        query = select(Record).where(
            Record.child_id == child.id, Record.type.in_(EXPORTED_TYPES), Record.status == "final"
        )
        records = list(db.exec(query))
    elif unit_id is None:
        records = []
    else:
        records = records_of_child(db, scope, child.id, unit_id)
    return sorted((r for r in records if is_exported(r)), key=lambda r: (r.created_at, r.id))


def child_bundle(db: Session, scope: Scope, audit: AuditTrail, child_id: str, on: date) -> dict | None:
    """The child as a Citizen with its final ADBB screenings and joint well-being assessments
    (with their authors as Practitioners), or None when out of the caller's scope."""
    found = _child_for(db, scope, child_id, on)
    if found is None:
        return None
    child, unit_id = found
    records = _exported_records(db, scope, child, unit_id)
    patient = mapping.citizen(
        child.id,
        child.cpr,
        child.municipality_id,
        _sor_code(db, child.municipality_id),
        show_cpr=_may_see_cpr(scope, unit_id),
    )
    responses, authors = _responses(db, records, with_authors=True)
    audit.add("fhir.child_export", "child", child.id, child.id, records=len(records))
    for record in records:
        audit.add("fhir.record_export", record.type, record.id, child.id, version=record.version)
    return mapping.checked(mapping.collection([patient, *_practitioners(db, authors), *responses]))


def record_bundle(db: Session, scope: Scope, audit: AuditTrail, record_id: str, on: date) -> dict | None:
    """ "Send til journal": the child and this one final ADBB screening or joint assessment."""
    record = visible_record(db, scope, record_id, on)
    if record is None or not is_exported(record):
        return None
    found = child_in_scope(db, scope, record.child_id, on)
    child = found[0] if found else db.get(Child, record.child_id)
    unit_id = found[1].unit_id if found else None
    patient = mapping.citizen(
        child.id,
        child.cpr,
        child.municipality_id,
        _sor_code(db, child.municipality_id),
        show_cpr=_may_see_cpr(scope, unit_id),
    )
    responses, authors = _responses(db, [record], with_authors=True)
    audit.add("fhir.record_export", record.type, record.id, child.id, version=record.version)
    return mapping.checked(mapping.collection([patient, *_practitioners(db, authors), *responses]))


# --- The incremental delivery -----------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a delivery stopped: the last record's change time and id (a stable order)."""

    changed_at: datetime
    record_id: str

    def encode(self) -> str:
        raw = f"{_utc(self.changed_at).isoformat()}|{self.record_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        if len(cursor) > 200:
            raise DeliveryRequestError(BAD_CURSOR)
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            moment, record_id = raw.split("|")
            changed_at = datetime.fromisoformat(moment)
        except (ValueError, binascii.Error, UnicodeDecodeError) as error:
            raise DeliveryRequestError(BAD_CURSOR) from error
        if not is_id(record_id) or changed_at.tzinfo is None:
            raise DeliveryRequestError(BAD_CURSOR)
        return cls(changed_at, record_id)


@dataclass
class Delivery:
    bundle: dict
    cursor: str  #: where the next call continues
    more: bool  #: the page was full: call again now with `cursor`


def parse_since(value: str) -> datetime:
    if len(value) > 40:
        raise DeliveryRequestError(BAD_SINCE)
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=COPENHAGEN)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise DeliveryRequestError(BAD_SINCE) from error
    if moment.tzinfo is None:
        raise DeliveryRequestError(BAD_SINCE)
    return moment


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def delivery(
    db: Session,
    scope: Scope,
    audit: AuditTrail,
    *,
    since: str | None,
    cursor: str | None,
    count: int = PAGE_SIZE,
) -> Delivery | None:
    """Everything final of the admin's municipality changed since `since` (or after `cursor`),
    oldest change first, grouped in one delivery report per child. None for anyone but an admin."""
    if not scope.is_admin:
        return None
    if not 1 <= count <= MAX_PAGE_SIZE:
        raise DeliveryRequestError(BAD_COUNT)
    position = Position.decode(cursor) if cursor else None
    query = (
        select(Record)
        .join(Unit, Unit.id == Record.unit_id)
        .where(
            Unit.municipality_id == scope.municipality_id,
            Record.type.in_(EXPORTED_TYPES),
            Record.status == "final",
            Record.child_id.is_not(None),
        )
    )
    if position is not None:
        after = _utc(position.changed_at)
        query = query.where(
            or_(Record.updated_at > after, and_(Record.updated_at == after, Record.id > position.record_id))
        )
    elif since:
        query = query.where(Record.updated_at >= _utc(parse_since(since)))
    rows = list(db.exec(query.order_by(Record.updated_at, Record.id).limit(count)))
    if rows:
        next_position = Position(rows[-1].updated_at, rows[-1].id)
    else:  # nothing new: the next call starts where this one did
        start = _utc(parse_since(since)) if since and position is None else EPOCH
        next_position = position or Position(start, ZERO_ID)
    records = [r for r in rows if is_exported(r)]
    now = utcnow()
    children = {c.id: c for c in db.exec(select(Child).where(Child.id.in_({r.child_id for r in records})))}
    sor_code = _sor_code(db, scope.municipality_id)
    responses, _authors = _responses(db, records, with_authors=False)
    by_child: dict[str, list[dict]] = {}
    for record, response in zip(records, responses, strict=True):
        by_child.setdefault(record.child_id, []).append(response)
    reports = []
    for child_id, child_responses in by_child.items():
        child = children[child_id]
        patient = mapping.citizen(child.id, child.cpr, child.municipality_id, sor_code, show_cpr=True)
        reports.append(mapping.delivery_report([patient, *child_responses], now))
        audit.add(
            "fhir.delivery",
            "child",
            child_id,
            child_id,
            records=[r["id"] for r in child_responses],
        )
    audit.add("fhir.delivery_page", "municipality", scope.municipality_id, None, reports=len(reports))
    bundle = mapping.checked(mapping.incremental_delivery(reports, now))
    return Delivery(bundle, next_position.encode(), len(rows) == count)
