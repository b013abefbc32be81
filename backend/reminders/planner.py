"""Which pushes each user gets now: the day's overview, and short-deadline tasks as they come.

Run by the scheduler (a lease makes one instance plan at a time). On a push day (a Danish
working day, 07:00–20:00) from the municipal digest time on:

- every user with a push subscription gets one overview a day (`digest:{date}`) counting their
  open tasks that are overdue or due this week, in the kind groups they chose;
- a task of an urgent kind that falls due within a few days gets one push (`urgent:{task}`);
  a round task gets one push when the round opens and one when it is about to close.

Each reminder is a `reminder_delivery` row, unique per user and key: made once, never again.
Reminders told by the overview (or by a push combining several) are stored as `merged`. Before
the digest time nothing is planned: what came up overnight is in the morning's overview.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from backend.config import get_settings
from backend.db import utcnow
from backend.domain import schedules
from backend.domain.dates import COPENHAGEN
from backend.domain.settings import MunicipalSettings, load_settings
from backend.people.models import Municipality, Role, RoleAssignment, Unit, User
from backend.records.models import Task
from backend.records.tasks import task_visible_to
from backend.reminders import messages
from backend.reminders.models import PushSend, PushSubscription, ReminderDelivery
from backend.reminders.preferences import ReminderPreferences, preferences_of


@dataclass
class PlanResult:
    deliveries: int = 0
    merged: int = 0
    sends: int = 0
    users: int = 0


@dataclass
class Candidate:
    key: str
    kind: str  # urgent | round
    text: messages.PushText
    in_digest: bool  # counted in today's overview


@dataclass
class UserPlan:
    user: User
    preferences: ReminderPreferences
    tasks: list[Task] = field(default_factory=list)


def plan_reminders(db: Session, now: datetime | None = None) -> PlanResult:
    """Make the reminder deliveries due now (and their sends). Commits nothing: the caller does."""
    now = now or utcnow()
    local = now.astimezone(COPENHAGEN)
    result = PlanResult()
    if not schedules.is_push_time(local):
        return result
    subscribers = _subscribers(db)
    by_municipality: dict[str, list[User]] = defaultdict(list)
    for user in subscribers.values():
        by_municipality[user.municipality_id].append(user)
    for municipality_id, users in by_municipality.items():
        municipality = db.get(Municipality, municipality_id)
        settings = load_settings(municipality.settings if municipality else None)
        if not schedules.digest_time_reached(local, settings.digest_time):
            continue
        plans = _user_plans(db, municipality_id, users, local.date())
        for plan in plans:
            _plan_user(db, plan, settings, local.date(), subscribers, result)
    return result


def _subscribers(db: Session) -> dict[str, User]:
    """Active users with at least one push subscription."""
    demo_allowed = get_settings().demo
    users = db.exec(
        select(User).where(User.active, User.id.in_(select(PushSubscription.user_id).distinct()))
    ).all()
    return {u.id: u for u in users if demo_allowed or not u.is_demo}


def _user_plans(db: Session, municipality_id: str, users: list[User], on: date) -> list[UserPlan]:
    """Each user's open tasks, as `open_tasks_for` lists them (the same `task_visible_to` rule):
    their own, plus the unassigned tasks of the units they lead — in two queries for everyone."""
    plans = {u.id: UserPlan(u, preferences_of(u.preferences)) for u in users}
    open_in_municipality = and_(
        Task.status == "open",
        Task.unit_id.in_(select(Unit.id).where(Unit.municipality_id == municipality_id)),
    )
    assigned = select(Task, Task.assignee_id).where(
        open_in_municipality, Task.assignee_id.in_(set(plans)), task_visible_to(Task.assignee_id, on)
    )
    leader = aliased(RoleAssignment)
    leaders = (
        select(Task, leader.user_id)
        .join(leader, and_(leader.unit_id == Task.unit_id, leader.role == Role.leader))
        .where(open_in_municipality, Task.assignee_id.is_(None), leader.user_id.in_(set(plans)))
        .where(task_visible_to(leader.user_id, on))
    )
    for query in (assigned, leaders):
        for task, user_id in db.exec(query.order_by(Task.due_on, Task.created_at)).all():
            plans[user_id].tasks.append(task)
    return list(plans.values())


def _plan_user(
    db: Session,
    plan: UserPlan,
    settings: MunicipalSettings,
    on: date,
    subscribers: dict[str, User],
    result: PlanResult,
) -> None:
    wanted = [t for t in plan.tasks if plan.preferences.wants(t.kind)]
    with messages.in_language(plan.user.preferences.get("language")):
        candidates = _candidates(wanted, settings, on) if plan.preferences.urgent else []
        digest_key = f"digest:{on.isoformat()}"
        keys = [c.key for c in candidates] + [digest_key]
        done = _existing_keys(db, plan.user.id, keys)
        fresh = [c for c in candidates if c.key not in done]
        if digest_key not in done:
            text = (
                messages.digest_text(((t.kind, t.due_on) for t in wanted), on)
                if plan.preferences.digest
                else None
            )
            told = [c for c in fresh if c.in_digest] if text else []
            _deliver(db, plan.user.id, digest_key, "digest", text, told, result)
            fresh = [c for c in fresh if c not in told]
        if fresh:
            _deliver(db, plan.user.id, fresh[0].key, fresh[0].kind, _combined(fresh), fresh[1:], result)
    result.users += 1


def _candidates(tasks: list[Task], settings: MunicipalSettings, on: date) -> list[Candidate]:
    week_end = on + timedelta(days=6 - on.weekday())
    found = []
    for task in sorted(tasks, key=lambda t: (t.due_on, t.id)):
        in_digest = task.due_on <= week_end
        if task.kind == "round_assessment":
            opens_on = date.fromisoformat(task.params.get("opens_on", task.due_on.isoformat()))
            stage = schedules.round_push_stage(opens_on, task.due_on, on, settings.round_closing_days)
            if stage:
                text = messages.round_text(stage, int(task.params.get("remaining", 0)), task.due_on)
                found.append(Candidate(f"round_{stage}:{task.id}", "round", text, in_digest))
        elif schedules.is_urgent(task.kind, task.due_on, on, settings.urgent_within_days):
            text = messages.urgent_text(task.kind, task.due_on, on)
            found.append(Candidate(f"urgent:{task.id}", "urgent", text, in_digest))
    return found


def _combined(candidates: list[Candidate]) -> messages.PushText:
    if len(candidates) == 1:
        return candidates[0].text
    lines = [c.text.body for c in candidates[: messages.MAX_LINES]]
    return messages.PushText(title=messages.gettext("Nye påmindelser"), body="\n".join(lines))


def _existing_keys(db: Session, user_id: str, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            db.exec(
                select(ReminderDelivery.key).where(
                    ReminderDelivery.user_id == user_id, ReminderDelivery.key.in_(chunk)
                )
            ).all()
        )
    return found


def _insert_delivery(db: Session, values: dict) -> bool:
    """Insert a delivery unless (user, key) exists; True when this call made it."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(ReminderDelivery.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(ReminderDelivery.__table__.c.id)
    )
    return db.execute(statement).first() is not None  # (rowcount is -1 here on psycopg)


def _deliver(
    db: Session,
    user_id: str,
    key: str,
    kind: str,
    text: messages.PushText | None,
    merged: list[Candidate],
    result: PlanResult,
) -> None:
    """One delivery (a push to each of the user's devices, or `empty`), plus the reminders it
    told stored as `merged` so they are not pushed again."""
    from backend.people.models import new_id

    delivery_id = new_id()
    values = {
        "id": delivery_id,
        "user_id": user_id,
        "key": key,
        "kind": kind,
        "title": text.title if text else "",
        "body": text.body if text else "",
        "url": text.url if text else messages.TASKS_URL,
        "status": "queued" if text else "empty",
        "created_at": utcnow(),
    }
    if not _insert_delivery(db, values):
        return  # another run made it: it is theirs to send
    for candidate in merged:
        if _insert_delivery(
            db,
            {**values, "id": new_id(), "key": candidate.key, "kind": candidate.kind, "status": "merged"},
        ):
            result.merged += 1
    if text is None:
        return
    result.deliveries += 1
    result.sends += queue_sends(db, delivery_id, user_id)


def deliver_once(db: Session, user_id: str, key: str, kind: str, text: messages.PushText) -> bool:
    """One push delivery for another service's reminder (e.g. a forum's preparation), made once
    per user and key; True when this call made it."""
    result = PlanResult()
    _deliver(db, user_id, key, kind, text, [], result)
    return result.deliveries == 1


def queue_sends(db: Session, delivery_id: str, user_id: str) -> int:
    """A pending send of the delivery to each of the user's subscriptions."""
    subscriptions = db.exec(select(PushSubscription.id).where(PushSubscription.user_id == user_id)).all()
    for subscription_id in subscriptions:
        db.add(PushSend(delivery_id=delivery_id, subscription_id=subscription_id))
    db.flush()
    return len(subscriptions)
