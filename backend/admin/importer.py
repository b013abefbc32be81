"""CSV import of children, guardians and placements: a dry run, then an idempotent import.

The dry run reads the whole file (`backend/domain/child_csv.py`), matches every row against
the register — by CPR number when the row has one, else by name, birth date and unit — and says
per line what would happen or why it cannot. The import runs the same plan again and applies it
only when no line has an error: nothing is ever half imported, and the same file twice changes
nothing the second time.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, delete, select

from backend.admin.base import AdminContext, clean_line
from backend.db import utcnow
from backend.domain.child_csv import ChildRow, CsvFileError, GuardianRow, parse_file
from backend.domain.messages import N_
from backend.domain.placements import PlacementError, Span, check_new_placement
from backend.people.models import Child, Guardian, ImportBatch, Placement, Room, Unit

BATCH_LIFETIME = timedelta(days=1)

ACTIONS = {
    "create": "Nyt barn",
    "update": N_("Opdateres"),
    "unchanged": N_("Uændret"),
    "error": N_("Fejl"),
}


@dataclass
class RowPlan:
    row: ChildRow
    action: str = "unchanged"
    child: Child | None = None
    unit: Unit | None = None
    room_id: str | None = None
    supersedes: Span | None = None
    new_placement: bool = False
    placement_to_end: Placement | None = None
    guardians_to_add: list[GuardianRow] = field(default_factory=list)
    guardians_to_update: list[tuple[Guardian, GuardianRow]] = field(default_factory=list)
    rename: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return self.row.errors


@dataclass
class ImportReport:
    encoding: str = ""
    delimiter: str = ""
    file_error: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    plans: list[RowPlan] = field(default_factory=list)

    @property
    def error_rows(self) -> list[RowPlan]:
        return [plan for plan in self.plans if plan.errors]

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.error_rows and bool(self.plans)

    def count(self, action: str) -> int:
        return sum(1 for plan in self.plans if plan.action == action and not plan.errors)

    def summary(self) -> dict:
        return {
            "rows": len(self.plans),
            "errors": len(self.error_rows),
            **{action: self.count(action) for action in ("create", "update", "unchanged")},
        }


# --- Planning ---------------------------------------------------------------------------------


@dataclass
class _Register:
    units: dict[str, Unit]
    rooms: dict[tuple[str, str], Room]
    by_cpr: dict[str, Child]
    by_name: dict[tuple[str, date], list[Child]]


def _load_register(db: Session, municipality_id: str) -> _Register:
    units = {u.name.lower(): u for u in db.exec(select(Unit).where(Unit.municipality_id == municipality_id))}
    unit_ids = [u.id for u in units.values()] or [""]
    rooms = {(r.unit_id, r.name.lower()): r for r in db.exec(select(Room).where(Room.unit_id.in_(unit_ids)))}
    by_cpr: dict[str, Child] = {}
    by_name: dict[tuple[str, date], list[Child]] = {}
    for child in db.exec(select(Child).where(Child.municipality_id == municipality_id)):
        if child.cpr:
            by_cpr[child.cpr] = child
        by_name.setdefault((child.name.lower(), child.birth_date), []).append(child)
    return _Register(units, rooms, by_cpr, by_name)


def plan_import(db: Session, municipality_id: str, raw: bytes, on: date) -> ImportReport:
    try:
        parsed = parse_file(raw, on)
    except CsvFileError as error:
        return ImportReport(file_error=str(error))
    report = ImportReport(
        encoding=parsed.encoding, delimiter=parsed.delimiter, ignored_columns=parsed.ignored_columns
    )
    if not parsed.rows:
        report.file_error = N_("Filen har ingen børn under kolonnenavnene.")
        return report
    register = _load_register(db, municipality_id)
    seen_cpr: dict[str, int] = {}
    seen_name: dict[tuple[str, date | None], int] = {}
    for row in parsed.rows:
        _check_duplicate(row, seen_cpr, seen_name)
        plan = RowPlan(row=row)
        if not row.errors:
            _plan_row(db, register, plan)
        if row.errors:
            plan.action = "error"
        report.plans.append(plan)
    return report


def _check_duplicate(row: ChildRow, seen_cpr: dict, seen_name: dict) -> None:
    name_key = (row.name.lower(), row.birth_date)
    earlier = seen_cpr.get(row.cpr) if row.cpr else None
    earlier = earlier or (seen_name.get(name_key) if row.name and row.birth_date else None)
    if earlier:
        row.errors.append(f"Barnet står allerede på linje {earlier} (samme barn to gange).")
        return
    if row.cpr:
        seen_cpr[row.cpr] = row.line
    if row.name and row.birth_date:
        seen_name[name_key] = row.line


def _plan_row(db: Session, register: _Register, plan: RowPlan) -> None:
    row = plan.row
    plan.unit = register.units.get(row.unit.lower())
    if plan.unit is None:
        row.errors.append(f"Enheden '{row.unit}' findes ikke i kommunen.")
        return
    if row.room:
        room = register.rooms.get((plan.unit.id, row.room.lower()))
        if room is None:
            row.errors.append(f"Stuen '{row.room}' findes ikke i {plan.unit.name}.")
            return
        plan.room_id = room.id
    plan.child = _match(db, register, plan)
    if row.errors:
        return
    if plan.child is None:
        plan.action = "create"
        plan.new_placement = True
        plan.guardians_to_add = list(row.guardians)
        plan.changes.append(f"indskrives i {plan.unit.name} fra {row.starts_on:%d-%m-%Y}")
        return
    _plan_existing(db, plan)


def _match(db: Session, register: _Register, plan: RowPlan) -> Child | None:
    row = plan.row
    if row.cpr:
        child = register.by_cpr.get(row.cpr)
        if child is not None:
            return child
    candidates = register.by_name.get((row.name.lower(), row.birth_date), [])
    in_unit = [
        child
        for child in candidates
        if db.exec(
            select(Placement.id).where(Placement.child_id == child.id, Placement.unit_id == plan.unit.id)
        ).first()
    ]
    if row.cpr:
        in_unit = [child for child in in_unit if child.cpr in (None, row.cpr)]
        candidates = [child for child in candidates if child.cpr in (None, row.cpr)]
    if len(in_unit) > 1:
        row.errors.append(
            N_("Flere børn i registret har samme navn, fødselsdato og enhed. Tilføj CPR-nummeret.")
        )
        return None
    if not in_unit and candidates:
        row.errors.append(
            N_(
                "Et barn med samme navn og fødselsdato, men uden CPR-nummer, findes i en anden enhed. "
                "Tilføj CPR-nummeret på barnet i registret først."
            )
            if row.cpr
            else N_(
                "Et barn med samme navn og fødselsdato findes allerede i en anden enhed. "
                "Tilføj CPR-nummeret i filen, så barnet kan genkendes."
            )
        )
        return None
    return in_unit[0] if in_unit else None


def _plan_existing(db: Session, plan: RowPlan) -> None:
    from backend.admin.children import guardians_of, spans_of

    row, child = plan.row, plan.child
    if child.birth_date != row.birth_date:
        row.errors.append(N_("Barnet findes med en anden fødselsdato. Ret det i registret først."))
        return
    if child.name != row.name:
        plan.rename = True
        plan.changes.append("nyt navn")
    if row.cpr and child.cpr is None:
        plan.changes.append(N_("CPR-nummer tilføjes"))
    _plan_placement(db, plan, spans_of(db, child.id))
    existing = {g.name.lower(): g for g in guardians_of(db, child.id)}
    for guardian in row.guardians:
        current = existing.get(guardian.name.lower())
        if current is None:
            plan.guardians_to_add.append(guardian)
        elif _guardian_differs(current, guardian):
            plan.guardians_to_update.append((current, guardian))
    if plan.guardians_to_add:
        plan.changes.append(f"{len(plan.guardians_to_add)} forælder/forældre tilføjes")
    if plan.guardians_to_update:
        plan.changes.append("kontaktoplysninger opdateres")
    plan.action = "update" if plan.changes else "unchanged"


def _plan_placement(db: Session, plan: RowPlan, spans: list[Span]) -> None:
    row = plan.row
    same = next((s for s in spans if s.unit_id == plan.unit.id and s.starts_on == row.starts_on), None)
    if same is not None:
        if row.ends_on is not None and same.ends_on != row.ends_on:
            later = [s for s in spans if s.starts_on > same.starts_on and s.starts_on < row.ends_on]
            if later:
                row.errors.append(f"Slutdatoen overlapper indskrivningen i {later[0].unit_name}.")
                return
            plan.placement_to_end = db.get(Placement, same.id)
            plan.changes.append(f"indskrivningen slutter {row.ends_on:%d-%m-%Y}")
        return
    try:
        plan.supersedes = check_new_placement(
            spans, plan.child.birth_date, plan.unit.id, row.starts_on, row.ends_on
        )
    except PlacementError as error:
        row.errors.append(str(error))
        return
    plan.new_placement = True
    moved = f" (fra {plan.supersedes.unit_name})" if plan.supersedes else ""
    plan.changes.append(f"flytter til {plan.unit.name} fra {row.starts_on:%d-%m-%Y}{moved}")


def _guardian_differs(current: Guardian, row: GuardianRow) -> bool:
    return any(
        value and getattr(current, key) != value
        for key, value in (("relation", row.relation), ("phone", row.phone), ("email", row.email))
    )


# --- Applying ---------------------------------------------------------------------------------


def apply_plan(ctx: AdminContext, municipality_id: str, report: ImportReport, batch_id: str) -> dict:
    """Apply a plan without errors (the caller checked `report.ok`), in the caller's transaction."""
    for plan in report.plans:
        if plan.action == "create":
            _create(ctx, municipality_id, plan, batch_id)
        elif plan.action == "update":
            _update(ctx, plan, batch_id)
    return report.summary()


def _create(ctx: AdminContext, municipality_id: str, plan: RowPlan, batch_id: str) -> None:
    row = plan.row
    child = Child(municipality_id=municipality_id, name=row.name, birth_date=row.birth_date, cpr=row.cpr)
    ctx.db.add(child)
    ctx.db.flush()
    plan.child = child
    _add_placement(ctx, plan)
    _add_guardians(ctx, child, plan.guardians_to_add)
    ctx.audit.add(
        "child.create",
        "child",
        child.id,
        child.id,
        has_cpr=row.cpr is not None,
        source="import",
        batch=batch_id,
    )


def _update(ctx: AdminContext, plan: RowPlan, batch_id: str) -> None:
    row, child = plan.row, plan.child
    fields = []
    if plan.rename:
        child.name = row.name
        fields.append("name")
    if row.cpr and child.cpr is None:
        child.cpr = row.cpr
        fields.append("cpr")
    if plan.new_placement:
        _add_placement(ctx, plan)
        fields.append("placement")
    if plan.placement_to_end is not None:
        plan.placement_to_end.ends_on = row.ends_on
        ctx.db.add(plan.placement_to_end)
        fields.append("placement")
    _add_guardians(ctx, child, plan.guardians_to_add)
    for guardian, values in plan.guardians_to_update:
        for key in ("relation", "phone", "email"):
            if getattr(values, key):
                setattr(guardian, key, getattr(values, key))
        ctx.db.add(guardian)
    if plan.guardians_to_add or plan.guardians_to_update:
        fields.append("guardians")
    child.updated_at = utcnow()
    ctx.db.add(child)
    ctx.audit.add(
        "child.update",
        "child",
        child.id,
        child.id,
        fields=sorted(set(fields)),
        source="import",
        batch=batch_id,
    )


def _add_placement(ctx: AdminContext, plan: RowPlan) -> None:
    from backend.admin.children import place_child

    row = plan.row
    place_child(
        ctx, plan.child, plan.unit, row.starts_on, room_id=plan.room_id, ends_on=row.ends_on, source="import"
    )


def _add_guardians(ctx: AdminContext, child: Child, guardians: list[GuardianRow]) -> None:
    for guardian in guardians:
        ctx.db.add(
            Guardian(
                child_id=child.id,
                name=guardian.name,
                relation=guardian.relation,
                phone=guardian.phone,
                email=guardian.email,
            )
        )


# --- Batches ----------------------------------------------------------------------------------


def store_batch(
    ctx: AdminContext, municipality_id: str, filename: str, raw: bytes, report: ImportReport
) -> ImportBatch:
    """Keep the uploaded file (base64: any bytes, any database) until it is imported."""
    batch = ImportBatch(
        municipality_id=municipality_id,
        created_by_id=ctx.user.id,
        filename=clean_line(filename, 200),
        encoding=report.encoding,
        content=base64.b64encode(raw).decode("ascii"),
        summary=report.summary(),
    )
    ctx.db.add(batch)
    ctx.db.flush()
    ctx.audit.add("import.dry_run", "import_batch", batch.id, **report.summary())
    return batch


def batch_bytes(batch: ImportBatch) -> bytes:
    return base64.b64decode(batch.content)


def open_batch(db: Session, municipality_id: str, batch_id: str) -> ImportBatch | None:
    batch = db.get(ImportBatch, batch_id) if batch_id else None
    if batch is None or batch.municipality_id != municipality_id:
        return None
    if batch.imported_at is not None or batch.created_at + BATCH_LIFETIME < utcnow():
        return None
    return batch


def run_batch(ctx: AdminContext, batch: ImportBatch, on: date) -> ImportReport:
    """Plan again against today's register and apply when every line is good."""
    report = plan_import(ctx.db, batch.municipality_id, batch_bytes(batch), on)
    if not report.ok:
        ctx.audit.add("import.refused", "import_batch", batch.id, **report.summary())
        return report
    summary = apply_plan(ctx, batch.municipality_id, report, batch.id)
    batch.imported_at = utcnow()
    batch.content = ""
    batch.summary = summary
    ctx.db.add(batch)
    ctx.audit.add("import.run", "import_batch", batch.id, **summary)
    return report


def purge_old_batches(db: Session, before) -> int:
    """Uploaded files are kept one day at most (they hold CPR numbers)."""
    count = db.exec(
        select(func.count()).select_from(ImportBatch).where(ImportBatch.created_at < before)
    ).one()
    db.exec(delete(ImportBatch).where(ImportBatch.created_at < before))
    return int(count)


def import_batch_of(db: Session, municipality_id: str, batch_id: str) -> ImportBatch | None:
    """An import of the admin's municipality (None for any other id)."""
    batch = db.get(ImportBatch, batch_id[:36])
    return batch if batch is not None and batch.municipality_id == municipality_id else None
