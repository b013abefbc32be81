"""`POST /api/sync`: a device's queued writes and offline reads in one request.

Each item is decided exactly as `PUT /api/records/{id}` decides it (`records.service.save_record`).
The batch's records and children are looked up once, its items decided one after another inside
one savepoint and their rows written together; should the database refuse anything there, that
savepoint is undone and each item decided again inside its own savepoint with its audit events,
so one item's failure — a refusal or a database error — never undoes another's success (issue 14:
1,000 queued records in ≤ 5 s). Offline reads become audit events marked as such.

An item or a read may come sealed to the server's key (issue 20, `backend/sync/sealing.py`): it
is opened first and then decided exactly as a plain one; one that cannot be opened is that item's
422 (`code` "sealed") and a `sync.sealed_refused` event, and never undoes another item.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import select

from backend import metrics
from backend.auth.policy import child_in_scope
from backend.db import utcnow
from backend.domain.dates import COPENHAGEN, today
from backend.people.models import Placement, RoleAssignment, Unit, User
from backend.records.access import incoming_children
from backend.records.schemas import FIRST_SCHEMA
from backend.records.service import LookedUp, SaveResult, look_up, save_record
from backend.records.views import record_json, user_names
from backend.sync.scope_changes import children_left_scope
from backend.sync.sealing import Unopenable, is_sealed, open_sealed, private_keys

log = logging.getLogger(__name__)

MAX_ITEMS = 200
TOO_MANY = f"Højst {MAX_ITEMS} registreringer pr. sending. Telefonen sender resten i næste omgang."
MAX_READS = 1000
TOO_MANY_READS = f"Højst {MAX_READS} opslag pr. sending. Telefonen sender resten i næste omgang."
NOT_A_BATCH = "Sendingen skal være et objekt med en liste 'items'."
ITEM_FAILED = "Registreringen kunne ikke gemmes på grund af en fejl på serveren. Den prøves igen."
SEALED_REFUSED = (
    "Registreringen kunne ikke åbnes på serveren (den er låst med en ukendt nøgle eller ødelagt "
    "undervejs). Den er ikke gemt."
)


class _Refused:
    """In place of a sealed item that could not be opened."""


REFUSED = _Refused()


class BatchRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class SyncAnswer:
    results: list[dict[str, Any]] = field(default_factory=list)
    removed_child_ids: list[str] = field(default_factory=list)
    reads_recorded: int = 0
    server_time: str = ""

    def json(self) -> dict[str, Any]:
        return {
            "results": self.results,
            "removed_child_ids": self.removed_child_ids,
            "reads_recorded": self.reads_recorded,
            "server_time": self.server_time,
        }


def sync(ctx: Any, body: Any) -> SyncAnswer:
    """Decide every item of the batch, record the offline reads, list what left the scope.
    BatchRefused (nothing stored) for a body that is not a batch or holds too many items."""
    if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
        raise BatchRefused(422, NOT_A_BATCH)
    items = body.get("items", [])
    if len(items) > MAX_ITEMS:
        raise BatchRefused(413, TOO_MANY)
    reads = body.get("reads") or []
    if isinstance(reads, list) and len(reads) > MAX_READS:
        raise BatchRefused(413, TOO_MANY_READS)
    reads = reads if isinstance(reads, list) else []
    if any(is_sealed(value) for value in (*items, *reads)):
        keys = private_keys(ctx.db, ctx.settings)
        items, reads = _opened(ctx, keys, items, "item"), _opened(ctx, keys, reads, "read")
    now = utcnow()
    answer = SyncAnswer(server_time=now.isoformat())
    answer.results = _decide_items(ctx, items)
    answer.reads_recorded = record_offline_reads(ctx, reads, now)
    since = _since(body.get("since"), now, ctx.municipal.offline_days)
    answer.removed_child_ids = children_left_scope(ctx.db, ctx.user.id, since)
    return answer


def _opened(ctx: Any, keys: dict[str, Any], values: list[Any], kind: str) -> list[Any]:
    """The values with each sealed one opened (REFUSED, and audited, when it cannot be)."""
    opened = []
    for value in values:
        if is_sealed(value):
            try:
                value = open_sealed(keys, value)
            except Unopenable as refused:
                # Nothing about the item is known, nor recorded: only that one was refused, and why.
                ctx.audit.add("sync.sealed_refused", "sync", kind=kind, reason=refused.reason)
                value = REFUSED
        opened.append(value)
    return opened


def _since(value: Any, now: datetime, offline_days: int) -> datetime:
    fallback = now - timedelta(days=offline_days)
    if not isinstance(value, str):
        return fallback
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return fallback
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COPENHAGEN)
    return min(moment, now)


@dataclass
class _Known:
    """What a batch's answers name, read once per batch: display names by user id and the
    receiver of a kept write by unit (200 writes kept for one leader: one look-up, not 200)."""

    names: dict[str, str] = field(default_factory=dict)
    receivers: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def names_of(self, db: Any, user_ids: set[str]) -> dict[str, str]:
        missing = {user_id for user_id in user_ids if user_id not in self.names}
        if missing:
            self.names.update(user_names(db, missing))
        return self.names

    def receiver(self, db: Any, unit_id: str | None) -> dict[str, Any] | None:
        if unit_id is None:
            return None
        if unit_id not in self.receivers:
            self.receivers[unit_id] = kept_for(db, unit_id)
        return self.receivers[unit_id]


def _decide_items(ctx: Any, items: list[Any]) -> list[dict[str, Any]]:
    """Every item decided in order, as PUT decides it. First all together: the batch's records and
    children looked up in two queries, the items decided one after another inside one savepoint
    and their rows written at once. Should the database refuse anything there (one item's error,
    a record stored by someone else at the same moment), that savepoint is undone — writes and
    audit events — and each item is decided again in a savepoint of its own, so one item's
    failure never undoes another's success."""
    pairs = [(item.get("id"), item) for item in items if isinstance(item, dict)]
    known = _Known()
    try:
        with ctx.audit.savepoint(ctx.db):
            group = replace(look_up(ctx, pairs), group=True)
            results = [_decide_in_group(ctx, item, group, known) for item in items]
            ctx.db.flush()
    except SQLAlchemyError as error:
        log.info("sync: the batch's items are decided one by one after %s", type(error).__name__)
    else:
        for result in results:
            metrics.record_write(result["status"])
        return results
    looked_up = look_up(ctx, pairs)
    return [_decide_item(ctx, item, looked_up, known) for item in items]


def _decide_in_group(ctx: Any, item: Any, group: LookedUp, known: _Known) -> dict[str, Any]:
    if item is REFUSED:
        return _sealed_refused()
    record_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(record_id, str):
        return _without_id(record_id)
    body = {"schema": FIRST_SCHEMA, **item}  # an item that names no schema was written by the first
    return _result_json(ctx, record_id, save_record(ctx, record_id, body, group), known)


def _sealed_refused() -> dict[str, Any]:
    return {"id": None, "status": 422, "code": "sealed", "detail": SEALED_REFUSED, "errors": []}


def _without_id(record_id: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "status": 422,
        "detail": "Ugyldig værdi.",
        "errors": [{"field": "id", "message": "Registreringens id mangler."}],
    }


def _decide_item(ctx: Any, item: Any, looked_up: LookedUp, known: _Known) -> dict[str, Any]:
    if item is REFUSED:
        metrics.record_write(422)
        return _sealed_refused()
    record_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(record_id, str):
        metrics.record_write(422)
        return _without_id(record_id)
    body = {"schema": FIRST_SCHEMA, **item}
    try:
        try:
            # The item's one savepoint: its writes, its audit events and its answer's reads.
            with ctx.audit.savepoint(ctx.db):
                return _result_json(ctx, record_id, save_record(ctx, record_id, body, looked_up), known)
        except IntegrityError:
            # Something the write stores was stored by someone else at the same moment: decided
            # again, once, nothing looked up in advance. (A record of the same id needs no second
            # go: its INSERT finds it, and `save_record` decides the write as its update.)
            with ctx.audit.savepoint(ctx.db):
                again = save_record(ctx, record_id, body, LookedUp(on=today()))
                return _result_json(ctx, record_id, again, known)
    except SQLAlchemyError as error:
        # The error's text holds the statement's parameters (a note's text): never logged.
        log.error("sync: one item failed with %s; the others stand", type(error).__name__)
        metrics.record_write(500)
        return {"id": record_id, "status": 500, "detail": ITEM_FAILED, "errors": []}


def _result_json(ctx: Any, record_id: str, result: SaveResult, known: _Known) -> dict[str, Any]:
    """The same answer `PUT /api/records/{id}` gives, as one result of the batch."""
    answer: dict[str, Any] = {"id": record_id, "status": result.status}
    if result.status in (200, 201):
        record = result.record
        names = known.names_of(ctx.db, {record.author_id, record.updated_by_id})
        answer["record"] = record_json(record, names)
        if result.status == 200 and result.detail:
            answer["detail"] = result.detail
        return answer
    answer["detail"] = result.detail or _STATUS_DETAIL.get(result.status, "Ugyldig værdi.")
    answer["errors"] = result.errors
    if result.status == 409:
        record = result.record
        names = known.names_of(ctx.db, {record.author_id, record.updated_by_id})
        answer["current"] = record_json(record, names)
        answer["conflict_id"] = result.kept.id if result.kept else None
    if result.status == 202:
        answer["kept"] = True
        answer["kept_id"] = result.kept.id if result.kept else None
        answer["kept_for"] = known.receiver(ctx.db, result.kept.unit_id if result.kept else None)
    return answer


_STATUS_DETAIL = {
    403: "Du kan læse, men ikke rette denne registrering.",
    404: "Registreringen findes ikke.",
    422: "Registreringen kunne ikke gemmes. Ret de markerede felter.",
}


def kept_for(db: Any, unit_id: str | None) -> dict[str, Any] | None:
    """Who received a write kept for the leader: the unit and its leader's name."""
    if unit_id is None:
        return None
    unit = db.get(Unit, unit_id)
    leader = db.exec(
        select(User.display_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.unit_id == unit_id, RoleAssignment.role == "leader", User.active.is_(True))
        .order_by(User.display_name)
    ).first()
    return {"leader": leader, "unit": unit.name if unit else None, "unit_id": unit_id}


def record_offline_reads(ctx: Any, reads: list[Any], now: datetime) -> int:
    """Each read of a child page made from the phone's copy becomes a `child.read` audit event
    with `offline: true`, when it happened (`read_at`) and — the event's own time — when it
    arrived. Reads of children the caller may not read now and could not read then are dropped
    (a device can only hold pages it was given; anything else is not a read to record)."""
    recorded = 0
    on = today()
    allowed: dict[tuple[str, Any], bool] = {}  # one check per child and day, however many reads
    for read in reads:
        if not isinstance(read, dict) or not isinstance(read.get("child_id"), str):
            continue
        at = _moment(read.get("at"), now)
        if at is None:
            continue
        child_id = read["child_id"]
        key = (child_id, at.astimezone(COPENHAGEN).date())
        if key not in allowed:
            allowed[key] = _could_read(ctx, child_id, at, on)
        if not allowed[key]:
            continue
        ctx.audit.add("child.read", "child", child_id, child_id, offline=True, read_at=at.isoformat())
        recorded += 1
    return recorded


def _moment(value: Any, now: datetime) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COPENHAGEN)
    if moment > now + timedelta(minutes=5):  # a phone's clock may run a little ahead, not hours
        return None
    return moment


def _could_read(ctx: Any, child_id: str, at: datetime, on: Any) -> bool:
    if child_in_scope(ctx.db, ctx.scope, child_id, on) is not None:
        return True
    if any(child.id == child_id for child in incoming_children(ctx.db, ctx.scope)):
        return True
    if not ctx.scope.unit_ids:
        return False
    day = at.astimezone(COPENHAGEN).date()
    placed_then = select(Placement.id).where(
        Placement.child_id == child_id,
        Placement.unit_id.in_(ctx.scope.unit_ids),
        Placement.starts_on <= day,
        (Placement.ends_on.is_(None)) | (Placement.ends_on >= day),
    )
    return ctx.db.exec(placed_then).first() is not None
