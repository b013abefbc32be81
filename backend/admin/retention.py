"""The retention job (domain §8): delete what has expired, with an audit event for each deletion.

Per municipality and its settings (`MunicipalSettings.retention`):
- records whose retention has run out are deleted with every version, their tasks and the writes
  kept aside for them;
- writes kept aside (conflict copies, writes about a child who left) expire on their own, and so
  do done or cancelled tasks;
- a child's master data (name, CPR, guardians, placements, caseloads) is deleted once the child
  has left the municipality, its own retention has run out, and none of its records remain;
- uploaded CSV files are kept one day at most.
Nothing about a child on legal hold is deleted. The audit log has its own retention (the longest
of the municipalities' settings; events about a child on legal hold stay). Deleted data is gone,
not hidden: what stays is the audit trail of the deletion, with ids only.

`run_retention_job()` is what a scheduler calls once a day; `opspor retention run [--dry-run]`
is the same from the command line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model
from sqlalchemy import Engine, func, or_
from sqlmodel import Session, delete, select

from backend.audit import AuditEvent, AuditTrail
from backend.db import utcnow
from backend.domain.dates import COPENHAGEN, today
from backend.domain.messages import N_
from backend.domain.placements import has_left
from backend.domain.retention import add_years, expires_on, latest_candidate_dates
from backend.domain.settings import MunicipalSettings, RetentionSettings, load_settings
from backend.parents.models import ParentInvitation
from backend.people.models import Caseload, Child, Guardian, Municipality, Placement, Unit, User
from backend.records.models import KeptWrite, Record, RecordVersion, Task

PREVIEW_LIMIT = 500


@dataclass(frozen=True)
class Expired:
    kind: str  # "record" | "kept_write" | "task" | "child"
    id: str
    child_id: str | None
    label: str  # record type, task kind, kept-write reason, or the child's name (preview only)
    expired_on: date
    unit_id: str | None = None


@dataclass
class RetentionPlan:
    municipality_id: str
    on: date
    records: list[Expired] = field(default_factory=list)
    kept_writes: list[Expired] = field(default_factory=list)
    tasks: list[Expired] = field(default_factory=list)
    children: list[Expired] = field(default_factory=list)
    held_children: list[Child] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.records) + len(self.kept_writes) + len(self.tasks) + len(self.children)


def _local_end_of(day: date) -> datetime:
    """The first moment after `day` in Copenhagen, as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=COPENHAGEN)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(COPENHAGEN).date()


def held_child_ids(db: Session, municipality_id: str | None = None) -> set[str]:
    query = select(Child.id).where(Child.legal_hold.is_(True))
    if municipality_id:
        query = query.where(Child.municipality_id == municipality_id)
    return set(db.exec(query))


def plan_retention(db: Session, municipality: Municipality, on: date | None = None) -> RetentionPlan:
    on = on or today()
    settings = load_settings(municipality.settings).retention
    plan = RetentionPlan(municipality.id, on)
    plan.held_children = list(
        db.exec(
            select(Child)
            .where(Child.municipality_id == municipality.id, Child.legal_hold.is_(True))
            .order_by(Child.name)
        )
    )
    held = {child.id for child in plan.held_children}
    plan.records = _expired_records(db, municipality.id, settings, on, held)
    plan.kept_writes = _expired_kept_writes(db, municipality.id, settings, on, held)
    plan.tasks = _expired_tasks(db, municipality.id, settings, on, held)
    plan.children = _expired_children(db, municipality.id, settings, on, {r.id for r in plan.records})
    return plan


def _unit_ids(db: Session, municipality_id: str) -> list[str]:
    return list(db.exec(select(Unit.id).where(Unit.municipality_id == municipality_id))) or [""]


def _expired_records(
    db: Session, municipality_id: str, settings: RetentionSettings, on: date, held: set[str]
) -> list[Expired]:
    expired = []
    for record_type in sorted(settings.records):
        rule = settings.rule_for(record_type)
        birth_bound, change_bound = latest_candidate_dates(rule, on)
        query = (
            select(Record.id, Record.child_id, Record.unit_id, Record.updated_at, Child.birth_date)
            .outerjoin(Child, Child.id == Record.child_id)
            .where(Record.type == record_type, Record.unit_id.in_(_unit_ids(db, municipality_id)))
            .where(Record.updated_at < _local_end_of(change_bound))
            .where(or_(Record.child_id.is_(None), Child.birth_date <= birth_bound))
        )
        for record_id, child_id, unit_id, updated_at, birth_date in db.exec(query):
            if child_id in held:
                continue
            ends = expires_on(rule, birth_date, _local_day(updated_at))
            if ends <= on:
                expired.append(Expired("record", record_id, child_id, record_type, ends, unit_id))
    return expired


def _expired_kept_writes(
    db: Session, municipality_id: str, settings: RetentionSettings, on: date, held: set[str]
) -> list[Expired]:
    cutoff = _local_end_of(on - timedelta(days=settings.kept_write_days))
    query = select(KeptWrite).where(
        KeptWrite.unit_id.in_(_unit_ids(db, municipality_id)), KeptWrite.created_at < cutoff
    )
    return [
        Expired(
            "kept_write",
            kept.id,
            kept.child_id,
            kept.reason,
            _local_day(kept.created_at) + timedelta(days=settings.kept_write_days),
            kept.unit_id,
        )
        for kept in db.exec(query)
        if kept.child_id not in held
    ]


def _expired_tasks(
    db: Session, municipality_id: str, settings: RetentionSettings, on: date, held: set[str]
) -> list[Expired]:
    cutoff = _local_end_of(on - timedelta(days=settings.closed_task_days))
    query = select(Task).where(
        Task.unit_id.in_(_unit_ids(db, municipality_id)),
        Task.status.in_(("done", "cancelled")),
        Task.closed_at.is_not(None),
        Task.closed_at < cutoff,
    )
    return [
        Expired(
            "task",
            task.id,
            task.child_id,
            task.kind,
            _local_day(task.closed_at) + timedelta(days=settings.closed_task_days),
            task.unit_id,
        )
        for task in db.exec(query)
        if task.child_id not in held
    ]


def _expired_children(
    db: Session, municipality_id: str, settings: RetentionSettings, on: date, records_going: set[str]
) -> list[Expired]:
    from backend.admin.children import spans_of

    open_now = select(Placement.child_id).where(or_(Placement.ends_on.is_(None), Placement.ends_on > on))
    query = select(Child).where(
        Child.municipality_id == municipality_id,
        Child.legal_hold.is_(False),
        Child.id.not_in(open_now),
        Child.birth_date <= add_years(on, -settings.child.until_age),
    )
    expired = []
    for child in db.exec(query):
        spans = spans_of(db, child.id)
        left_on = has_left(spans, on) if spans else _local_day(child.created_at)
        if left_on is None:
            continue
        ends = expires_on(settings.child, child.birth_date, left_on)
        if ends > on:
            continue
        remaining = set(db.exec(select(Record.id).where(Record.child_id == child.id)))
        if remaining - records_going:
            continue
        units = sorted({span.unit_id for span in spans})
        expired.append(Expired("child", child.id, child.id, child.name, ends, ",".join(units)))
    return expired


# --- Applying ---------------------------------------------------------------------------------


def apply_plan(db: Session, plan: RetentionPlan, trail: AuditTrail) -> dict[str, int]:
    """Delete what the plan lists; one audit event per deletion (ids only, never names or CPR)."""
    for item in plan.records:
        versions = db.exec(
            select(func.count()).select_from(RecordVersion).where(RecordVersion.record_id == item.id)
        ).one()
        db.exec(delete(RecordVersion).where(RecordVersion.record_id == item.id))
        db.exec(delete(KeptWrite).where(KeptWrite.record_id == item.id))
        db.exec(delete(Task).where(Task.record_id == item.id))
        db.exec(delete(ParentInvitation).where(ParentInvitation.record_id == item.id))
        db.exec(delete(Record).where(Record.id == item.id))
        trail.add(
            "retention.record_deleted",
            item.label,
            item.id,
            item.child_id,
            versions=int(versions),
            expired_on=item.expired_on.isoformat(),
        )
    for item in plan.kept_writes:
        db.exec(delete(KeptWrite).where(KeptWrite.id == item.id))
        trail.add("retention.kept_write_deleted", "kept_write", item.id, item.child_id, reason=item.label)
    for item in plan.tasks:
        db.exec(delete(Task).where(Task.id == item.id))
        trail.add("retention.task_deleted", "task", item.id, item.child_id, kind=item.label)
    for item in plan.children:
        _delete_child(db, item.id)
        trail.add(
            "retention.child_deleted",
            "child",
            item.id,
            item.id,
            unit_ids=item.unit_id.split(",") if item.unit_id else [],
            expired_on=item.expired_on.isoformat(),
        )
    return {
        "records": len(plan.records),
        "kept_writes": len(plan.kept_writes),
        "tasks": len(plan.tasks),
        "children": len(plan.children),
    }


def _delete_child(db: Session, child_id: str) -> None:
    db.exec(delete(Task).where(Task.child_id == child_id))
    db.exec(delete(KeptWrite).where(KeptWrite.child_id == child_id))
    db.exec(delete(Caseload).where(Caseload.child_id == child_id))
    db.exec(delete(ParentInvitation).where(ParentInvitation.child_id == child_id))
    db.exec(delete(Guardian).where(Guardian.child_id == child_id))
    db.exec(delete(Placement).where(Placement.child_id == child_id))
    db.exec(delete(Child).where(Child.id == child_id))


def audit_cutoff(db: Session, now: datetime) -> datetime:
    """Audit events before this moment have expired (the longest setting of any municipality)."""
    years = max(
        (load_settings(m.settings).retention.audit_years for m in db.exec(select(Municipality))),
        default=RetentionSettings().audit_years,
    )
    local = now.astimezone(COPENHAGEN)
    return datetime.combine(add_years(local.date(), -years), time(0), tzinfo=COPENHAGEN)


def _audit_expired(db: Session, before: datetime):
    held = held_child_ids(db)
    condition = AuditEvent.at < before
    if held:
        condition = condition & or_(AuditEvent.child_id.is_(None), AuditEvent.child_id.not_in(held))
    return condition


def count_expired_audit(db: Session, now: datetime | None = None) -> int:
    before = audit_cutoff(db, now or utcnow())
    return int(db.exec(select(func.count()).select_from(AuditEvent).where(_audit_expired(db, before))).one())


def prune_audit(db: Session, trail: AuditTrail, now: datetime | None = None) -> int:
    """The one place the append-only audit log is ever pruned."""
    before = audit_cutoff(db, now or utcnow())
    count = count_expired_audit(db, now)
    if count:
        db.exec(delete(AuditEvent).where(_audit_expired(db, before)))
        trail.add("retention.audit_pruned", "audit_event", None, None, count=count, before=before.isoformat())
    return count


@dataclass
class RetentionRun:
    dry_run: bool
    plans: list[RetentionPlan]
    counts: dict[str, int]


def run_retention(db: Session, *, dry_run: bool = False, on: date | None = None) -> RetentionRun:
    """Plan (and unless `dry_run`, apply) retention for every municipality, in the caller's
    transaction; the audit events are written before it returns."""
    from backend.admin.importer import purge_old_batches

    on = on or today()
    trail = AuditTrail()
    plans = [plan_retention(db, municipality, on) for municipality in db.exec(select(Municipality))]
    counts = {"records": 0, "kept_writes": 0, "tasks": 0, "children": 0, "audit_events": 0, "imports": 0}
    for plan in plans:
        counts["records"] += len(plan.records)
        counts["kept_writes"] += len(plan.kept_writes)
        counts["tasks"] += len(plan.tasks)
        counts["children"] += len(plan.children)
    if dry_run:
        counts["audit_events"] = count_expired_audit(db)
        return RetentionRun(True, plans, counts)
    for plan in plans:
        apply_plan(db, plan, trail)
    counts["audit_events"] = prune_audit(db, trail)
    counts["imports"] = purge_old_batches(db, utcnow() - timedelta(days=1))
    trail.add("retention.run", "retention", None, None, **counts)
    trail.flush(db)
    return RetentionRun(False, plans, counts)


def run_retention_job(*, dry_run: bool = False) -> RetentionRun:
    """For the daily scheduler: its own session and transaction, committed at the end."""
    from backend.db import new_session

    with new_session() as db:
        result = run_retention(db, dry_run=dry_run)
        if dry_run:
            db.rollback()
        else:
            db.commit()
        return result


def run_retention_periodic(engine: Engine, _now: datetime) -> RetentionRun:
    """The scheduler's daily retention job (registered at start by `backend.startup`)."""
    from backend.db import new_session

    with new_session(engine) as db:
        result = run_retention(db)
        db.commit()
    return result


# --- The admin's retention page (the web page only parses and renders) -----------------------

NOT_A_NUMBER = N_("Skal være et helt tal.")
_Digits = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,4}$")]


class RetentionFormError(ValueError):
    """The form has errors: `errors` maps each form field to a Danish message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("retention form")
        self.errors = errors


def retention_form_fields(record_types: Iterable[str]) -> list[str]:
    """The form's field names: per record type, for the child, and the three plain periods."""
    keys = [f"records-{kind}-{part}" for kind in record_types for part in ("until_age", "years_after")]
    return [
        *keys,
        "child-until_age",
        "child-years_after",
        "kept_write_days",
        "closed_task_days",
        "audit_years",
    ]


@lru_cache
def retention_form_model(record_types: tuple[str, ...]) -> type[BaseModel]:
    """A pydantic model of the flat form: every field a whole number of at most four digits."""
    fields: dict[str, Any] = {
        key.replace("-", "__"): (_Digits, Field(alias=key)) for key in retention_form_fields(record_types)
    }
    return create_model("RetentionForm", __config__=ConfigDict(extra="ignore"), **fields)


def _range_message(error_type: str) -> str:
    if error_type == "greater_than_equal":
        return N_("Tallet er for lille.")
    if error_type == "less_than_equal":
        return N_("Tallet er for stort.")
    return N_("Ugyldig værdi.")


def _field_name(location: tuple) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] == "records" and len(parts) >= 3:
        return f"records-{parts[1]}-{parts[2]}"
    if parts and parts[0] == "child" and len(parts) >= 2:
        return f"child-{parts[1]}"
    return parts[0] if parts else "retention"


def parse_retention_form(fields: dict[str, str], record_types: Iterable[str]) -> RetentionSettings:
    """The periods an admin entered, checked by two pydantic models: the form's (whole numbers)
    and the settings' (the allowed ranges). RetentionFormError names each wrong field."""
    kinds = tuple(record_types)
    try:
        form = retention_form_model(kinds).model_validate(fields)
    except ValidationError as error:
        raise RetentionFormError(
            {str(problem["loc"][0]): NOT_A_NUMBER for problem in error.errors()}
        ) from None
    number = {key: int(getattr(form, key.replace("-", "__"))) for key in retention_form_fields(kinds)}
    raw = {
        "records": {
            kind: {part: number[f"records-{kind}-{part}"] for part in ("until_age", "years_after")}
            for kind in kinds
        },
        "child": {part: number[f"child-{part}"] for part in ("until_age", "years_after")},
        **{key: number[key] for key in ("kept_write_days", "closed_task_days", "audit_years")},
    }
    try:
        return RetentionSettings.model_validate(raw)
    except ValidationError as error:
        raise RetentionFormError(
            {_field_name(problem["loc"]): _range_message(problem["type"]) for problem in error.errors()}
        ) from None


class RetentionAdmin(Protocol):
    db: Session
    audit: AuditTrail
    user: User


@dataclass
class RetentionPreview:
    municipality: Municipality
    settings: RetentionSettings
    plan: RetentionPlan
    names: dict[str, str]
    audit_count: int


def retention_preview(ctx: RetentionAdmin, on: date) -> RetentionPreview:
    """What the daily job would delete today in the admin's municipality (audited)."""
    municipality = ctx.db.get(Municipality, ctx.user.municipality_id)
    settings = load_settings(municipality.settings).retention
    plan = plan_retention(ctx.db, municipality, on)
    child_ids = {item.child_id for group in (plan.records, plan.kept_writes, plan.tasks) for item in group}
    names = (
        {c.id: c.name for c in ctx.db.exec(select(Child).where(Child.id.in_(child_ids)))} if child_ids else {}
    )
    ctx.audit.add("retention.preview", "retention", None, total=plan.total)
    return RetentionPreview(municipality, settings, plan, names, count_expired_audit(ctx.db))


def save_retention_settings(ctx: RetentionAdmin, retention: RetentionSettings) -> None:
    municipality = ctx.db.get(Municipality, ctx.user.municipality_id)
    current = load_settings(municipality.settings)
    updated = MunicipalSettings.model_validate(
        {**current.model_dump(mode="json"), "retention": retention.model_dump()}
    )
    municipality.settings = {**municipality.settings, "retention": updated.retention.model_dump(mode="json")}
    ctx.db.add(municipality)
    ctx.audit.add(
        "settings.retention", "municipality", municipality.id, retention=retention.model_dump(mode="json")
    )


def run_retention_now(ctx: RetentionAdmin) -> RetentionRun:
    result = run_retention(ctx.db)
    ctx.audit.add("retention.run_by_admin", "retention", None, **result.counts)
    return result
