"""Well-being rounds (domain §4.2): opening and correcting rounds, the round overview, history.

A round belongs to one unit; its staff see it, its leaders open, correct, close and (while no
one has marked in it) delete it. Marks and joint assessments are `wellbeing` records saved by
the one write path; this module only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, children_in_scope, is_id
from backend.domain import wellbeing
from backend.domain.messages import N_
from backend.domain.text import clean_text
from backend.people.models import Caseload, Child, Unit, User
from backend.records.models import EvaluationRound, Record
from backend.records.views import user_names

NAME_MAX = 100


def period_of(evaluation_round: EvaluationRound) -> wellbeing.Period:
    return wellbeing.Period(evaluation_round.opens_on, evaluation_round.closes_on)


def unit_rounds(db: Session, unit_id: str) -> list[EvaluationRound]:
    """The unit's rounds, newest first."""
    query = select(EvaluationRound).where(EvaluationRound.unit_id == unit_id)
    return list(db.exec(query.order_by(EvaluationRound.opens_on.desc())))


def visible_round(db: Session, scope: Scope, round_id: str) -> EvaluationRound | None:
    """The round when the caller works in its unit, else None (→ 404)."""
    if not is_id(round_id):
        return None
    evaluation_round = db.get(EvaluationRound, round_id)
    if evaluation_round is None or not scope.works_in(evaluation_round.unit_id):
        return None
    return evaluation_round


def open_round_of(db: Session, unit_id: str, on: date) -> EvaluationRound | None:
    """The unit's round that is open on a date (rounds of a unit never overlap)."""
    query = select(EvaluationRound).where(
        EvaluationRound.unit_id == unit_id,
        EvaluationRound.opens_on <= on,
        EvaluationRound.closes_on >= on,
    )
    return db.exec(query).first()


def marks_in_round(db: Session, round_id: str) -> int:
    query = select(func.count()).select_from(Record).where(Record.round_id == round_id)
    return db.exec(query).one()


# --- Opening and correcting -------------------------------------------------------------------


@dataclass
class RoundInput:
    """What a leader typed; kept as text so a refused form shows it again."""

    name: str = ""
    opens_on: str = ""
    closes_on: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    parsed: dict[str, date] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: dict[str, str]) -> RoundInput:
        return cls(
            name=clean_text(form.get("name", "")).strip()[:1000],
            opens_on=form.get("opens_on", "").strip()[:40],
            closes_on=form.get("closes_on", "").strip()[:40],
        )


def _parse_dates(entered: RoundInput) -> None:
    for name in ("opens_on", "closes_on"):
        text = getattr(entered, name)
        if not text:
            entered.errors[name] = N_("Skriv en dato.")
            continue
        try:
            entered.parsed[name] = date.fromisoformat(text)
        except ValueError:
            entered.errors[name] = N_("Skriv en rigtig dato (ÅÅÅÅ-MM-DD).")


def check_round(
    db: Session, unit_id: str, entered: RoundInput, on: date, *, editing: EvaluationRound | None = None
) -> bool:
    """Fill `entered.errors` with Danish messages; True when the round can be saved."""
    if not entered.name:
        entered.errors["name"] = N_("Giv runden et navn, fx “Efterår 2026”.")
    elif len(entered.name) > NAME_MAX:
        entered.errors["name"] = f"Navnet er for langt (højst {NAME_MAX} tegn)."
    _parse_dates(entered)
    if "opens_on" in entered.errors or "closes_on" in entered.errors:
        return False
    period = wellbeing.Period(entered.parsed["opens_on"], entered.parsed["closes_on"])
    others = [period_of(r) for r in unit_rounds(db, unit_id) if editing is None or r.id != editing.id]
    entered.errors.update(wellbeing.round_date_problems(period, others, on))
    if editing is not None and not entered.errors:
        entered.errors.update(_marks_outside(db, editing, period))
    return not entered.errors


def _marks_outside(db: Session, editing: EvaluationRound, period: wellbeing.Period) -> dict[str, str]:
    """A round with marks cannot be moved to start after today's marks were made."""
    first = db.exec(select(func.min(Record.created_at)).where(Record.round_id == editing.id)).one()
    if first is not None and period.opens_on > first.date():
        return {"opens_on": N_("Der er allerede vurderinger i runden fra før den nye startdato.")}
    return {}


def create_round(db: Session, unit_id: str, entered: RoundInput, user_id: str) -> EvaluationRound:
    evaluation_round = EvaluationRound(
        unit_id=unit_id,
        name=entered.name,
        opens_on=entered.parsed["opens_on"],
        closes_on=entered.parsed["closes_on"],
        created_by_id=user_id,
    )
    db.add(evaluation_round)
    db.flush()
    return evaluation_round


def close_early(evaluation_round: EvaluationRound, on: date) -> bool:
    """Close an open round today (its last day becomes today); False when it is not open."""
    if wellbeing.round_state(period_of(evaluation_round), on) != "open":
        return False
    evaluation_round.closes_on = max(on, evaluation_round.opens_on)
    return True


# --- The overview -----------------------------------------------------------------------------


@dataclass
class ChildRow:
    child: Child
    marks: dict[str, Record]  # rater id → individual mark
    joint: Record | None
    disagreeing: set[str]

    @property
    def marked(self) -> bool:
        return any(mark.status == "final" for mark in self.marks.values())

    @property
    def joint_done(self) -> bool:
        return self.joint is not None and self.joint.status == "final"

    @property
    def prefill(self) -> dict[str, str]:
        final = [wellbeing.flat_positions(m.data) for m in self.marks.values() if m.status == "final"]
        return wellbeing.prefill_joint(final)


@dataclass
class Overview:
    evaluation_round: EvaluationRound
    raters: list[tuple[str, str]]  # (user id, name), by name
    rows: list[ChildRow]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def marked(self) -> int:
        return sum(1 for row in self.rows if row.marked)

    @property
    def joint_done(self) -> int:
        return sum(1 for row in self.rows if row.joint_done)

    @property
    def disagreements(self) -> int:
        return sum(1 for row in self.rows if row.disagreeing)


def round_records(db: Session, evaluation_round: EvaluationRound) -> list[Record]:
    query = select(Record).where(
        Record.round_id == evaluation_round.id,
        Record.type == "wellbeing",
        Record.unit_id == evaluation_round.unit_id,
    )
    return list(db.exec(query.order_by(Record.created_at)))


def unit_children(db: Session, scope: Scope, unit_id: str, on: date) -> list[Child]:
    """The children placed in the unit today, by name (within the caller's scope)."""
    return [child for child, placement in children_in_scope(db, scope, on) if placement.unit_id == unit_id]


def build_overview(db: Session, scope: Scope, evaluation_round: EvaluationRound, on: date) -> Overview:
    """Children × raters of a round: each rater's marks, the joint assessment, disagreements."""
    children = unit_children(db, scope, evaluation_round.unit_id, on)
    by_child: dict[str, dict[str, Record]] = {}
    joints: dict[str, Record] = {}
    for record in round_records(db, evaluation_round):
        if record.data.get("kind") == "joint":
            joints[record.child_id] = record
        else:
            by_child.setdefault(record.child_id, {})[record.author_id] = record
    rows = []
    for child in children:
        marks = by_child.get(child.id, {})
        final = [wellbeing.flat_positions(m.data) for m in marks.values() if m.status == "final"]
        rows.append(ChildRow(child, marks, joints.get(child.id), wellbeing.disagreeing_areas(final)))
    placed = {child.id for child in children}
    rater_ids = {rater for child_id, marks in by_child.items() if child_id in placed for rater in marks}
    names = user_names(db, rater_ids)
    raters = sorted(((uid, names.get(uid, "")) for uid in rater_ids), key=lambda pair: pair[1])
    return Overview(evaluation_round, raters, rows)


def _caseload_in(db: Session, user_id: str, unit_id: str) -> set[str]:
    query = select(Caseload.child_id).where(Caseload.user_id == user_id, Caseload.unit_id == unit_id)
    return set(db.exec(query))


def _marked_by(row: ChildRow, user_id: str) -> bool:
    return user_id in row.marks and row.marks[user_id].status == "final"


def unmarked_by(db: Session, overview: Overview, user_id: str, unit_id: str) -> list[Child]:
    """The caller's own children (caseload) in the unit that they have not marked yet."""
    own = _caseload_in(db, user_id, unit_id)
    return [row.child for row in overview.rows if row.child.id in own and not _marked_by(row, user_id)]


def next_child_to_mark(
    ctx: RoundsContext, evaluation_round: EvaluationRound, after_child_id: str, on: date
) -> Child | None:
    """ "Gem og næste barn": the next child of the open round the caller has not marked — among
    their own children (caseload) when they have any in the unit, else among all its children."""
    if wellbeing.round_state(period_of(evaluation_round), on) != "open":
        return None
    overview = build_overview(ctx.db, ctx.scope, evaluation_round, on)
    own = _caseload_in(ctx.db, ctx.user.id, evaluation_round.unit_id)
    rows = [row for row in overview.rows if row.child.id in own] or overview.rows
    unmarked = [row.child for row in rows if not _marked_by(row, ctx.user.id)]
    order = [row.child.id for row in overview.rows]
    chosen = wellbeing.next_to_mark(order, {child.id for child in unmarked}, after_child_id)
    child = next((c for c in unmarked if c.id == chosen), None)
    if child is not None:
        ctx.audit.add("child.list", "child", child.id, child.id, round_id=evaluation_round.id)
    return child


# --- A child's history ------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    point: wellbeing.HistoryPoint
    record: Record


def child_history(
    db: Session, records: list[Record], rounds: dict[str, EvaluationRound] | None = None
) -> list[HistoryRow]:
    """Final joint assessments among the records the caller sees, oldest round first
    (`rounds`: their evaluation rounds when already loaded, else they are read here)."""
    joints = [
        r
        for r in records
        if r.type == "wellbeing" and r.status == "final" and r.round_id and r.data.get("kind") == "joint"
    ]
    if not joints:
        return []
    if rounds is None:
        round_ids = {j.round_id for j in joints}
        rounds = {r.id: r for r in db.exec(select(EvaluationRound).where(EvaluationRound.id.in_(round_ids)))}
    by_round = {j.round_id: j for j in joints if j.round_id in rounds}
    points = wellbeing.position_history(
        (rounds[rid].name, rounds[rid].opens_on, j.data.get("overall")) for rid, j in by_round.items()
    )
    ordered = sorted(by_round.values(), key=lambda j: rounds[j.round_id].opens_on)
    return [HistoryRow(point, record) for point, record in zip(points, ordered, strict=True)]


# --- The leader's actions on a round (audited here; the pages only parse and render) ----------

LEADERS_ONLY = N_("Kun enhedens leder kan åbne, rette og lukke runder.")
NOT_OPEN = N_("Runden er ikke åben, så den kan ikke lukkes før tid.")
HAS_MARKS = N_("Runden har vurderinger og kan ikke slettes. Luk den i stedet.")


class RoundsContext(Protocol):
    """The request context satisfies this."""

    db: Session
    audit: AuditTrail
    scope: Scope
    user: User


class RoundRefused(Exception):
    """Not allowed: `status` 403 (not the unit's leader) or 409 (not in this state)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def visible_unit(db: Session, scope: Scope, unit_id: str) -> Unit | None:
    """A unit the user works in (anything else is out of scope)."""
    if not is_id(unit_id) or not scope.works_in(unit_id):
        return None
    return db.get(Unit, unit_id)


def require_leader(scope: Scope, unit_id: str) -> None:
    if not scope.leads(unit_id):
        raise RoundRefused(403, LEADERS_ONLY)


@dataclass
class RoundsIndex:
    units: list[Unit]
    current: dict[str, EvaluationRound | None]


def rounds_index(db: Session, scope: Scope, on: date) -> RoundsIndex:
    """The user's units with the round open in each today."""
    units = sorted(
        (u for u in (db.get(Unit, uid) for uid in scope.unit_ids) if u is not None), key=lambda u: u.name
    )
    return RoundsIndex(units, {u.id: open_round_of(db, u.id, on) for u in units})


@dataclass
class UnitRounds:
    rounds: list[EvaluationRound]
    states: dict[str, str]
    current: EvaluationRound | None
    unmarked: list[Child]


def unit_rounds_view(ctx: RoundsContext, unit: Unit, on: date) -> UnitRounds:
    """The unit's rounds and, for a professional, the children they have not marked yet in the
    open round (each listed child audited)."""
    rounds = unit_rounds(ctx.db, unit.id)
    states = {r.id: wellbeing.round_state(period_of(r), on) for r in rounds}
    current = open_round_of(ctx.db, unit.id, on)
    unmarked: list[Child] = []
    if current is not None and ctx.scope.is_professional:
        overview = build_overview(ctx.db, ctx.scope, current, on)
        unmarked = unmarked_by(ctx.db, overview, ctx.user.id, unit.id)
        for child in unmarked:
            ctx.audit.add("child.list", "child", child.id, child.id, round_id=current.id)
    return UnitRounds(rounds, states, current, unmarked)


def read_overview(
    ctx: RoundsContext, evaluation_round: EvaluationRound, on: date
) -> tuple[Overview, Unit | None]:
    """The round's children × raters, each child's row audited; and the round's unit."""
    overview = build_overview(ctx.db, ctx.scope, evaluation_round, on)
    for row in overview.rows:
        ctx.audit.add("round.overview", "evaluation_round", evaluation_round.id, row.child.id)
    return overview, ctx.db.get(Unit, evaluation_round.unit_id)


def open_new_round(ctx: RoundsContext, unit: Unit, entered: RoundInput, on: date) -> EvaluationRound | None:
    """The unit's leader opens a round; None when `entered` has errors (in `entered.errors`)."""
    require_leader(ctx.scope, unit.id)
    if not check_round(ctx.db, unit.id, entered, on):
        return None
    evaluation_round = create_round(ctx.db, unit.id, entered, ctx.user.id)
    ctx.audit.add(
        "round.create",
        "evaluation_round",
        evaluation_round.id,
        None,
        unit_id=unit.id,
        opens_on=entered.opens_on,
        closes_on=entered.closes_on,
    )
    return evaluation_round


def edit_round(ctx: RoundsContext, evaluation_round: EvaluationRound, entered: RoundInput, on: date) -> bool:
    """The leader corrects name and dates; False when `entered` has errors."""
    require_leader(ctx.scope, evaluation_round.unit_id)
    if not check_round(ctx.db, evaluation_round.unit_id, entered, on, editing=evaluation_round):
        return False
    before = (
        evaluation_round.name,
        evaluation_round.opens_on.isoformat(),
        evaluation_round.closes_on.isoformat(),
    )
    evaluation_round.name = entered.name
    evaluation_round.opens_on = entered.parsed["opens_on"]
    evaluation_round.closes_on = entered.parsed["closes_on"]
    ctx.db.add(evaluation_round)
    ctx.audit.add(
        "round.update",
        "evaluation_round",
        evaluation_round.id,
        None,
        before=list(before),
        after=[entered.name, entered.opens_on, entered.closes_on],
    )
    return True


def close_round(ctx: RoundsContext, evaluation_round: EvaluationRound, on: date) -> None:
    """The leader closes an open round before its planned end."""
    require_leader(ctx.scope, evaluation_round.unit_id)
    planned = evaluation_round.closes_on
    if not close_early(evaluation_round, on):
        raise RoundRefused(409, NOT_OPEN)
    ctx.db.add(evaluation_round)
    ctx.audit.add(
        "round.close",
        "evaluation_round",
        evaluation_round.id,
        None,
        planned=planned.isoformat(),
        closed=evaluation_round.closes_on.isoformat(),
    )


def delete_round(ctx: RoundsContext, evaluation_round: EvaluationRound) -> None:
    """The leader deletes a round opened by mistake; a round with marks cannot be deleted."""
    require_leader(ctx.scope, evaluation_round.unit_id)
    if marks_in_round(ctx.db, evaluation_round.id):
        raise RoundRefused(409, HAS_MARKS)
    ctx.audit.add("round.delete", "evaluation_round", evaluation_round.id, None, name=evaluation_round.name)
    ctx.db.delete(evaluation_round)
