"""Schedule-based tasks, made by a periodic job from the rules in `domain/schedules.py`.

Record rules make the tasks a saved record asks for (a follow-up screening, a missing receipt,
an agreement). This job makes the ones that come from the calendar: the first and second ADBB
screening of every child in a health-visiting district, each professional's assessments in an
open well-being round, the transition description before a known move, and the receiving
unit's evaluation 3–4 months after a transition. It is idempotent — every task has a stable key
(`adbb_first_due:{child_id}`, `round_assessment:{round_id}:{user_id}`, …) — and it closes its
tasks when the work is done (`done`) or no longer asked for (`cancelled`).

It reads in bulk (a handful of queries per municipality) so a municipality of thousands of
children takes seconds, not minutes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists
from sqlmodel import Session, select

from backend.auth.policy import placed_on
from backend.db import utcnow
from backend.domain import adbb, schedules
from backend.domain.settings import MunicipalSettings, load_settings
from backend.parents.follow_up import sync_follow_ups
from backend.people.models import (
    PROFESSIONAL_ROLES,
    Caseload,
    Child,
    Municipality,
    Placement,
    RoleAssignment,
    Unit,
    UnitKind,
    User,
)
from backend.records.models import EvaluationRound, Record, Task

ADBB_KINDS = ("adbb_first", "adbb_second")
OPEN = ("open", "held")


@dataclass
class TaskSpec:
    kind: str
    unit_id: str
    due_on: date
    child_id: str | None = None
    assignee_id: str | None = None
    record_id: str | None = None
    params: dict = field(default_factory=dict)


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    done: int = 0
    cancelled: int = 0

    def add(self, other: SyncResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.done += other.done
        self.cancelled += other.cancelled


@dataclass
class Organisation:
    """What the rules need to know about one municipality, read once per run."""

    municipality: Municipality
    settings: MunicipalSettings
    units: dict[str, Unit]
    placed: dict[str, str]  # child id -> unit id today
    caseload: dict[tuple[str, str], str]  # (child id, unit id) -> active user id with a role there
    professionals: dict[str, set[str]]  # unit id -> user ids with a professional role there


def materialise_due_work(db: Session, on: date) -> SyncResult:
    """Make, update and close the schedule-based tasks of every municipality, for the day `on`."""
    result = SyncResult()
    for municipality in db.exec(select(Municipality)).all():
        organisation = _organisation(db, municipality, on)
        if not organisation.units:
            continue
        result.add(adbb_screenings(db, organisation, on))
        result.add(round_assessments(db, organisation, on))
        result.add(transition_descriptions(db, organisation, on))
        result.add(transition_evaluations(db, organisation, on))
    followed = sync_follow_ups(db, on)
    result.add(SyncResult(created=followed.created, done=followed.done, cancelled=followed.cancelled))
    return result


def _organisation(db: Session, municipality: Municipality, on: date) -> Organisation:
    units = {
        u.id: u
        for u in db.exec(select(Unit).where(Unit.municipality_id == municipality.id, Unit.active)).all()
    }
    placed = dict(
        db.exec(
            select(Placement.child_id, Placement.unit_id).where(
                placed_on(on), Placement.unit_id.in_(units or {""})
            )
        ).all()
    )
    caseload: dict[tuple[str, str], str] = {}
    member = and_(RoleAssignment.user_id == Caseload.user_id, RoleAssignment.unit_id == Caseload.unit_id)
    rows = db.exec(
        select(Caseload.child_id, Caseload.unit_id, Caseload.user_id)
        .join(User, User.id == Caseload.user_id)
        .where(Caseload.unit_id.in_(units or {""}), User.active, exists().where(member))
        .order_by(Caseload.since)
    ).all()
    for child_id, unit_id, user_id in rows:
        caseload[(child_id, unit_id)] = user_id  # the latest responsibility wins
    professionals: dict[str, set[str]] = defaultdict(set)
    for user_id, unit_id in db.exec(
        select(RoleAssignment.user_id, RoleAssignment.unit_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.unit_id.in_(units or {""}),
            RoleAssignment.role.in_([str(r) for r in PROFESSIONAL_ROLES]),
            User.active,
        )
    ).all():
        professionals[unit_id].add(user_id)
    return Organisation(
        municipality, load_settings(municipality.settings), units, placed, caseload, professionals
    )


# --- ADBB ---------------------------------------------------------------------------------------


def adbb_screenings(db: Session, org: Organisation, on: date) -> SyncResult:
    """The first and second screening of each child placed in a health-visiting district."""
    districts = {u for u, unit in org.units.items() if unit.kind == UnitKind.health_visiting}
    children = {c: u for c, u in org.placed.items() if u in districts}
    births = dict(db.exec(select(Child.id, Child.birth_date).where(Child.id.in_(children or {""}))).all())
    done = _screenings_done(db, set(children))
    wanted: dict[str, TaskSpec] = {}
    for child_id, unit_id in children.items():
        for due in schedules.adbb_screenings_due(births[child_id], on, org.settings, done[child_id]):
            wanted[f"{due.kind}_due:{child_id}"] = TaskSpec(
                kind=due.kind,
                unit_id=unit_id,
                due_on=due.due_on,
                child_id=child_id,
                assignee_id=_professional(org, child_id, unit_id),
            )
    satisfied = _satisfied_screening_keys(db, org, births, done, on)
    return sync_tasks(db, ADBB_KINDS, set(org.units), wanted, satisfied)


def _screenings_done(db: Session, child_ids: set[str]) -> dict[str, list[schedules.Screening]]:
    """Final screenings per child, from any unit: a screening done is done."""
    done: dict[str, list[schedules.Screening]] = defaultdict(list)
    rows = db.exec(
        select(Record.child_id, Record.data).where(
            Record.type == "adbb", Record.status == "final", Record.child_id.in_(child_ids or {""})
        )
    ).all()
    for child_id, data in rows:
        occasion, screened_on = data.get("occasion"), data.get("screened_on")
        if occasion and screened_on:
            done[child_id].append(adbb.Screening(occasion, date.fromisoformat(screened_on)))
    return done


def _satisfied_screening_keys(
    db: Session,
    org: Organisation,
    births: dict[str, date],
    done: dict[str, list[schedules.Screening]],
    on: date,
) -> set[str]:
    """Keys of open screening tasks whose screening has been done (they close as done)."""
    keys = set()
    for task in _open_tasks(db, ADBB_KINDS, set(org.units)):
        birth = births.get(task.child_id or "")
        if birth is None:
            continue
        occasion = task.kind.removeprefix("adbb_")
        window_setting = (
            org.settings.adbb_first_window if occasion == "first" else org.settings.adbb_second_window
        )
        window = schedules.month_window(birth, window_setting)
        if any(schedules.screening_satisfies(window, occasion, s) for s in done[task.child_id]):
            keys.add(task.key)
    return keys


def _professional(org: Organisation, child_id: str, unit_id: str) -> str | None:
    """Who the task is for: the child's responsible professional in the unit, else the leaders."""
    return org.caseload.get((child_id, unit_id))


# --- Rounds -------------------------------------------------------------------------------------


def round_assessments(db: Session, org: Organisation, on: date) -> SyncResult:
    """One task per professional and open round: assess each child in their caseload there."""
    rounds = db.exec(select(EvaluationRound).where(EvaluationRound.unit_id.in_(set(org.units)))).all()
    rounds = [r for r in rounds if schedules.round_task_wanted(r.opens_on, r.closes_on, on)]
    assessed = _individual_assessments(db, {r.id for r in rounds})
    wanted: dict[str, TaskSpec] = {}
    finished: set[str] = set()
    for round_ in rounds:
        for user_id, children in _caseloads_in(org, round_.unit_id).items():
            key = f"round_assessment:{round_.id}:{user_id}"
            remaining = len(children - assessed[(round_.id, user_id)])
            if remaining == 0:
                finished.add(key)
                continue
            wanted[key] = TaskSpec(
                kind="round_assessment",
                unit_id=round_.unit_id,
                due_on=round_.closes_on,
                assignee_id=user_id,
                params={
                    "what": round_.name,
                    "round_id": round_.id,
                    "opens_on": round_.opens_on.isoformat(),
                    "remaining": remaining,
                },
            )
    return sync_tasks(db, ("round_assessment",), set(org.units), wanted, finished)


def _caseloads_in(org: Organisation, unit_id: str) -> dict[str, set[str]]:
    """Professionals of the unit -> the children in their caseload placed in the unit today."""
    caseloads: dict[str, set[str]] = defaultdict(set)
    professionals = org.professionals.get(unit_id, set())
    for (child_id, case_unit), user_id in org.caseload.items():
        if case_unit == unit_id and org.placed.get(child_id) == unit_id and user_id in professionals:
            caseloads[user_id].add(child_id)
    return caseloads


def _individual_assessments(db: Session, round_ids: set[str]) -> dict[tuple[str, str], set[str]]:
    """(round id, author id) -> the children they assessed individually (final) in the round."""
    assessed: dict[tuple[str, str], set[str]] = defaultdict(set)
    rows = db.exec(
        select(Record.round_id, Record.author_id, Record.child_id, Record.data).where(
            Record.type == "wellbeing", Record.status == "final", Record.round_id.in_(round_ids or {""})
        )
    ).all()
    for round_id, author_id, child_id, data in rows:
        if data.get("kind") == "individual" and child_id:
            assessed[(round_id, author_id)].add(child_id)
    return assessed


# --- Transitions --------------------------------------------------------------------------------


def transition_descriptions(db: Session, org: Organisation, on: date) -> SyncResult:
    """Before a known move, the sending unit writes the transition description."""
    days_before = org.settings.transition_description_days_before
    moves = _known_moves(db, org, on)
    finals = _final_transitions(db, set(org.units))
    wanted: dict[str, TaskSpec] = {}
    finished: set[str] = set()
    for (child_id, to_unit_id), (starts_on, draft) in moves.items():
        from_unit_id = org.placed.get(child_id)
        if from_unit_id is None or from_unit_id == to_unit_id:
            continue
        key = f"transition_description:{child_id}:{to_unit_id}"
        if (child_id, from_unit_id, to_unit_id) in finals:
            finished.add(key)
            continue
        due = schedules.transition_description_due(starts_on, on, days_before)
        if due is None:
            continue
        wanted[key] = TaskSpec(
            kind="transition_description",
            unit_id=from_unit_id,
            due_on=due.due_on,
            child_id=child_id,
            assignee_id=draft.author_id if draft else _professional(org, child_id, from_unit_id),
            record_id=draft.id if draft else None,
            params={"starts_on": starts_on.isoformat(), "to_unit_id": to_unit_id},
        )
    return sync_tasks(db, ("transition_description",), set(org.units), wanted, finished)


def _known_moves(
    db: Session, org: Organisation, on: date
) -> dict[tuple[str, str], tuple[date, Record | None]]:
    """(child, receiving unit) -> (start date, the draft description if one is being written):
    from future placements and from draft transition descriptions with a start date."""
    moves: dict[tuple[str, str], tuple[date, Record | None]] = {}
    future = db.exec(
        select(Placement.child_id, Placement.unit_id, Placement.starts_on).where(
            Placement.starts_on > on, Placement.child_id.in_(set(org.placed) or {""})
        )
    ).all()
    for child_id, unit_id, starts_on in future:
        moves[(child_id, unit_id)] = (starts_on, None)
    drafts = db.exec(
        select(Record).where(
            Record.type == "transition", Record.status == "draft", Record.unit_id.in_(set(org.units))
        )
    ).all()
    for record in drafts:
        to_unit_id, starts_on = record.data.get("to_unit_id"), record.data.get("starts_on")
        if record.child_id and to_unit_id and starts_on:
            moves[(record.child_id, to_unit_id)] = (date.fromisoformat(starts_on), record)
    return moves


def _final_transitions(db: Session, unit_ids: set[str]) -> set[tuple[str, str, str]]:
    """(child, sending unit, receiving unit) of every final transition description."""
    rows = db.exec(
        select(Record.child_id, Record.unit_id, Record.data).where(
            Record.type == "transition", Record.status == "final", Record.unit_id.in_(unit_ids or {""})
        )
    ).all()
    return {(c, u, d.get("to_unit_id")) for c, u, d in rows if c and d.get("to_unit_id")}


def transition_evaluations(db: Session, org: Organisation, on: date) -> SyncResult:
    """3–4 months after a transition the receiving unit evaluates it (closed by hand).

    Made only when no evaluation task exists for the transition yet, whoever made it (a record
    rule may have made one when the description was saved)."""
    records = db.exec(select(Record).where(Record.type == "transition", Record.status == "final")).all()
    existing = set(
        db.exec(
            select(Task.record_id).where(
                Task.kind == "transition_evaluation", Task.record_id.in_({r.id for r in records} or {""})
            )
        ).all()
    )
    result = SyncResult()
    for record in records:
        to_unit_id, starts_on = record.data.get("to_unit_id"), record.data.get("starts_on")
        if record.id in existing or to_unit_id not in org.units or not starts_on or not record.child_id:
            continue
        if org.placed.get(record.child_id) != to_unit_id:
            continue
        due = schedules.transition_evaluation_due(date.fromisoformat(starts_on), on)
        if due is None:
            continue
        db.add(
            Task(
                key=f"transition_evaluation:{record.id}",
                kind="transition_evaluation",
                unit_id=to_unit_id,
                child_id=record.child_id,
                assignee_id=_professional(org, record.child_id, to_unit_id),
                record_id=record.id,
                due_on=due.due_on,
            )
        )
        result.created += 1
    return result


# --- Syncing tasks ------------------------------------------------------------------------------


def _open_tasks(db: Session, kinds: tuple[str, ...], unit_ids: set[str]) -> list[Task]:
    return list(
        db.exec(
            select(Task).where(
                Task.kind.in_(kinds), Task.unit_id.in_(unit_ids or {""}), Task.status.in_(OPEN)
            )
        ).all()
    )


def sync_tasks(
    db: Session,
    kinds: tuple[str, ...],
    unit_ids: set[str],
    wanted: dict[str, TaskSpec],
    done_keys: set[str],
) -> SyncResult:
    """Make the open tasks of `kinds` in `unit_ids` exactly `wanted`.

    New keys become tasks; open ones follow their spec (due date, assignee, unit, params); open
    ones no longer wanted close — `done` when their key is in `done_keys`, else `cancelled`.
    A closed task stays closed (its key is not made again)."""
    result = SyncResult()
    open_tasks = {t.key: t for t in _open_tasks(db, kinds, unit_ids)}
    for key, task in open_tasks.items():
        spec = wanted.get(key)
        if spec is None:
            task.status = "done" if key in done_keys else "cancelled"
            task.closed_at = utcnow()
            db.add(task)
            result.done += task.status == "done"
            result.cancelled += task.status == "cancelled"
        elif _follow(task, spec):
            db.add(task)
            result.updated += 1
    new_keys = [key for key in wanted if key not in open_tasks]
    closed = _existing_keys(db, new_keys)
    for key in new_keys:
        if key in closed:
            continue
        spec = wanted[key]
        db.add(
            Task(
                key=key,
                kind=spec.kind,
                unit_id=spec.unit_id,
                child_id=spec.child_id,
                assignee_id=spec.assignee_id,
                record_id=spec.record_id,
                due_on=spec.due_on,
                params=spec.params,
            )
        )
        result.created += 1
    db.flush()
    return result


def _follow(task: Task, spec: TaskSpec) -> bool:
    """Bring an open task in line with its spec; True when something changed."""
    current = (task.unit_id, task.due_on, task.assignee_id, task.record_id, task.params)
    target = (spec.unit_id, spec.due_on, spec.assignee_id, spec.record_id, {**task.params, **spec.params})
    if current == target:
        return False
    task.unit_id, task.due_on, task.assignee_id, task.record_id, task.params = target
    return True


def _existing_keys(db: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(db.exec(select(Task.key).where(Task.key.in_(chunk))).all())
    return found


def children_to_assess(db: Session, task: Task, on: date) -> list[tuple[Child, bool]]:
    """For a round task: the assignee's caseload children placed in the unit, and whether the
    assignee has assessed each one (a final individual assessment in the round)."""
    round_id = task.params.get("round_id")
    if task.kind != "round_assessment" or not round_id or not task.assignee_id:
        return []
    children = db.exec(
        select(Child)
        .join(Caseload, Caseload.child_id == Child.id)
        .join(Placement, and_(Placement.child_id == Child.id, placed_on(on)))
        .where(
            Caseload.user_id == task.assignee_id,
            Caseload.unit_id == task.unit_id,
            Placement.unit_id == task.unit_id,
        )
        .order_by(Child.name)
    ).all()
    assessed = _individual_assessments(db, {round_id})[(round_id, task.assignee_id)]
    return [(child, child.id in assessed) for child in children]
