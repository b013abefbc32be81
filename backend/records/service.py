"""The one write path: every record — HTML form, JSON PUT, offline replay — is saved here.

`save_record` validates, versions, keeps conflicts and out-of-scope writes aside, writes the
audit event and runs the type's rules, inside the caller's transaction. It never raises for a
refused write: the result says what happened, so the caller can commit what must be kept (a
conflict copy) and answer with the contract's status.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import bindparam, insert
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import select

from backend import metrics
from backend.auth.policy import child_in_scope, child_in_scope_plain, children_in_scope_by_id, is_id
from backend.db import utcnow
from backend.domain.dates import today
from backend.domain.messages import N_, VALIDATION_MESSAGES
from backend.people.models import Child, Placement
from backend.records.access import can_change, visible_record
from backend.records.models import KeptWrite, Record, RecordVersion
from backend.records.registry import KINDS, RECORD_TYPES, may_start
from backend.records.rules import Actor, Write
from backend.records.schemas import upgraded
from backend.records.types import FieldError, missing_for_final, parse_data


class Envelope(BaseModel):
    """The contract's write body around a record's `data`."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(max_length=30)
    child_id: str | None = Field(default=None, max_length=36)
    unit_id: str | None = Field(default=None, max_length=36)
    base_version: int | None = Field(default=None, ge=1)
    status: str = Field(default="draft", max_length=10)
    data: dict[str, Any] = Field(default_factory=dict)


@dataclass
class SaveResult:
    """201 created, 200 updated or replayed, 202 kept for the leader, 409 conflict,
    422 invalid, 404 unknown or out of scope, 403 visible but not the caller's to change."""

    status: int
    record: Record | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    detail: str = ""
    kept: KeptWrite | None = None


@dataclass
class LookedUp:
    """What a batch of writes (`POST /api/sync`) looks up once for all its items instead of once
    per item: the records that exist among its ids (locked, as `_save` locks one) and the children
    the caller may see on `on`. Each record id's answer serves its first item only (a later item
    with the same id sees what the first one stored); a child's scope cannot change within a batch
    (no record writes a placement), so its answer serves every item about the child that day.

    `group`: the writes are decided one after another inside one savepoint of the caller's, which
    flushes them together and counts them in the metrics once they all stand (and, should the
    database refuse one, undoes the group and decides each write again in its own savepoint)."""

    on: date
    group: bool = False
    records: dict[str, Record | None] = field(default_factory=dict)
    child_ids: frozenset[str] = frozenset()
    children: dict[str, tuple[Child, Placement]] = field(default_factory=dict)

    def existing(self, db, record_id: str) -> Record | None:
        if record_id in self.records:
            return self.records.pop(record_id)
        return _locked_record(db, record_id)

    def child(self, actor: Actor, child_id: str, on: date) -> tuple[Child, Placement] | None:
        if on == self.on and child_id in self.child_ids:
            return self.children.get(child_id)
        return child_in_scope(actor.db, actor.scope, child_id, on)


def look_up(actor: Actor, bodies: list[tuple[Any, Any]]) -> LookedUp:
    """One query for the existing records and one for the children of a batch of writes
    (`(record id, body)` pairs, as the caller received them)."""
    on = today()
    record_ids = sorted({rid for rid, _ in bodies if isinstance(rid, str) and is_id(rid)})
    child_ids = frozenset(
        body["child_id"]
        for _, body in bodies
        if isinstance(body, dict) and isinstance(body.get("child_id"), str) and is_id(body["child_id"])
    )
    records: dict[str, Record | None] = dict.fromkeys(record_ids)
    if record_ids:
        found = actor.db.exec(select(Record).where(Record.id.in_(record_ids)).with_for_update())
        records.update((record.id, record) for record in found)
    children = children_in_scope_by_id(actor.db, actor.scope, child_ids, on)
    return LookedUp(on=on, records=records, child_ids=child_ids, children=children)


def _locked_record(db, record_id: str) -> Record | None:
    return db.exec(select(Record).where(Record.id == record_id).with_for_update()).first()


_RECORD, _VERSION = Record.__table__, RecordVersion.__table__
_RECORD_COLUMNS = tuple(column.key for column in _RECORD.columns)
_VERSION_COLUMNS = ("record_id", "version", "status", "data", "derived", "author_id", "saved_at")
#: The record's columns a first version copies, in `_VERSION_COLUMNS`' order.
_FIRST_VERSION_FROM = ("id", "version", "status", "data", "derived", "author_id", "created_at")
_NEW_VERSION = insert(_VERSION)
#: `preserve_rowcount`: an INSERT's count of rows is kept (SQLAlchemy closes its cursor otherwise).
_NEW_RECORD_SQLITE = (
    sqlite_insert(_RECORD)
    .on_conflict_do_nothing(index_elements=["id"])
    .execution_options(preserve_rowcount=True)
)


def _new_record_and_version():
    """PostgreSQL: a new record and its first version in one statement, the version only when
    the record was inserted (its count of rows says which: 1 or 0). The version's columns come
    back from the record's INSERT, so the data is sent once."""
    values = {column.key: bindparam(column.key, type_=column.type) for column in _RECORD.columns}
    new = (
        pg_insert(_RECORD)
        .values(values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(*(_RECORD.c[name] for name in _FIRST_VERSION_FROM))
        .cte("new_record")
    )
    rows = core_select(
        *(new.c[name] for name in _FIRST_VERSION_FROM),
        bindparam("body_hash", type_=_VERSION.c.body_hash.type),
        bindparam("device_id", type_=_VERSION.c.device_id.type),
    )
    statement = insert(_VERSION).from_select([*_VERSION_COLUMNS, "body_hash", "device_id"], rows)
    return statement.execution_options(preserve_rowcount=True)


_NEW_RECORD_AND_VERSION = _new_record_and_version()


def body_hash(envelope: Envelope) -> str:
    canonical = json.dumps(
        {
            "type": envelope.type,
            "child_id": envelope.child_id,
            "unit_id": envelope.unit_id,
            "status": envelope.status,
            "data": envelope.data,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_envelope(body: Any) -> Envelope:

    try:
        envelope = Envelope.model_validate(body)
    except ValidationError as error:
        raise FieldError(
            [
                {
                    "field": ".".join(str(p) for p in e["loc"]) or "body",
                    "message": VALIDATION_MESSAGES.get(e["type"], N_("Ugyldig værdi.")),
                }
                for e in error.errors()
            ]
        ) from None
    problems = []
    if envelope.type not in RECORD_TYPES:
        problems.append({"field": "type", "message": "Ukendt registreringstype."})
    if envelope.status not in ("draft", "final"):
        problems.append({"field": "status", "message": N_("Status skal være kladde eller endelig.")})
    anonymous = envelope.type == "reflection" and envelope.data.get("anonymous") is True
    if envelope.child_id is None and not anonymous:
        problems.append({"field": "child_id", "message": N_("Vælg barnet.")})
    if problems:
        raise FieldError(problems)
    return envelope


def save_record(actor: Actor, record_id: str, body: Any, looked_up: LookedUp | None = None) -> SaveResult:
    """Decide one write, in the caller's transaction and without a savepoint of its own (a record
    created by another request at the same moment is found by the INSERT, see `_save`). With
    `looked_up` (a batch's `look_up`, sparing the per-item queries) the caller holds the write's
    savepoint and decides it again should the database refuse it (`backend/sync/batch.py`)."""
    result = _decide(actor, record_id, body, looked_up)
    if looked_up is None or not looked_up.group:
        metrics.record_write(result.status)
    return result


def _decide(actor: Actor, record_id: str, body: Any, looked_up: LookedUp | None) -> SaveResult:
    if not is_id(record_id):
        return SaveResult(404, detail=N_("Registreringen findes ikke."))
    sent_data = body.get("data") if isinstance(body, dict) else None
    try:
        if isinstance(body, dict) and "schema" in body:
            body = upgraded(body)  # a write made by an older release (README "The sync wire")
        envelope = parse_envelope(body)
    except FieldError as error:
        return SaveResult(422, errors=error.errors)
    # The replay key is the body as the device sent it: a write stored before a release that
    # renamed a field and replayed after it (its answer lost) is still the same write.
    sent = envelope.model_copy(update={"data": sent_data}) if isinstance(sent_data, dict) else envelope
    digest = body_hash(sent)
    return _save(actor, record_id, envelope, digest, looked_up)


def _save(
    actor: Actor, record_id: str, envelope: Envelope, digest: str, looked_up: LookedUp | None
) -> SaveResult:
    """No savepoint of its own: a new record's INSERT does nothing when the id exists
    (`ON CONFLICT (id) DO NOTHING`, waiting for another request's uncommitted row of the same id),
    and the write is then decided as an update of the stored record, locked."""
    db = actor.db
    seen = looked_up is not None or envelope.base_version is not None
    if looked_up is not None:
        existing = looked_up.existing(db, record_id)
    elif envelope.base_version is not None:
        existing = _locked_record(db, record_id)
    else:
        existing = None  # a create: almost always of a new id (the client made it), not looked up
    attempts = 3
    while existing is None:
        result = _create(actor, record_id, envelope, digest, looked_up, seen)
        if result is not None:
            return result
        # The id exists: a create sent again, or stored by someone else at the same moment.
        existing = _locked_record(db, record_id)
        attempts -= 1
        if existing is None and not attempts:  # taken and gone again, three times over
            raise RuntimeError("a record's INSERT found its id taken, and then no record with it")
    flush = looked_up is None or not looked_up.group  # a group is flushed by the caller, at once
    return _update(actor, existing, envelope, digest, flush)


def _create(
    actor: Actor, record_id: str, envelope: Envelope, digest: str, looked_up: LookedUp | None, seen: bool
) -> SaveResult | None:
    """A write of a record that does not exist, or None when it does after all. Unless the id
    was `seen` absent, a refusal is only answered once the record is known not to exist (a
    create sent again is decided as an update, whatever a new record's checks would say)."""
    db, on = actor.db, today()

    def exists() -> bool:
        return not seen and _locked_record(db, record_id) is not None

    if envelope.base_version is not None:
        return SaveResult(404, detail=N_("Registreringen findes ikke."))
    if envelope.child_id is None:
        unit_id = envelope.unit_id
        if unit_id not in actor.scope.unit_ids:
            return None if exists() else SaveResult(404, detail=N_("Enheden findes ikke."))
        child = None
    else:
        if looked_up is not None:
            found = looked_up.child(actor, envelope.child_id, on)
        else:  # read-only: the write reads the child's columns, never changes the child
            found = child_in_scope_plain(db, actor.scope, envelope.child_id, on)
        if found is None:
            return None if exists() else _outside_scope(actor, record_id, envelope, digest)
        child, placement = found
        unit_id = placement.unit_id
    flush = looked_up is None or not looked_up.group
    result = _apply(actor, record_id, envelope, digest, child, unit_id, None, on, flush)
    if result is not None and result.status != 201 and exists():
        return None
    return result


def _update(actor: Actor, existing: Record, envelope: Envelope, digest: str, flush: bool) -> SaveResult:
    db, on = actor.db, today()
    replay = _replayed_version(db, existing, envelope, digest)
    visible = visible_record(db, actor.scope, existing.id, on)  # a receiving unit: the consented version
    if replay is not None and visible is not None:
        return SaveResult(200, visible, detail="Allerede gemt.")
    if visible is None:
        if replay is not None or existing.author_id == actor.scope.user_id:
            return _outside_scope(actor, existing.id, envelope, digest)
        return SaveResult(404, detail=N_("Registreringen findes ikke."))
    if not can_change(actor.scope, existing):
        return SaveResult(403, detail=N_("Du kan læse, men ikke rette denne registrering."))
    if envelope.type != existing.type or envelope.child_id != existing.child_id:
        return SaveResult(
            422,
            errors=[
                {"field": "type", "message": N_("Type og barn kan ikke ændres på en gemt registrering.")}
            ],
        )
    if envelope.base_version != existing.version:
        try:
            envelope = _valid_for_keeping(envelope)
        except FieldError as error:
            return SaveResult(422, errors=error.errors)
        kept = _keep(
            actor,
            "conflict",
            existing.id,
            envelope,
            digest,
            existing.unit_id,
            server_version=existing.version,
        )
        return SaveResult(
            409,
            existing,
            kept=kept,
            detail=(N_("Registreringen er ændret, siden du åbnede den. Din udgave er gemt som en kopi.")),
        )
    if existing.status == "final" and envelope.status == "draft":
        return SaveResult(
            422,
            errors=[
                {
                    "field": "status",
                    "message": N_(
                        "En afsluttet registrering rettes med en ny afsluttet "
                        "version; den kan ikke blive kladde igen."
                    ),
                }
            ],
        )
    child = db.get(Child, existing.child_id) if existing.child_id else None
    return _apply(actor, existing.id, envelope, digest, child, existing.unit_id, existing, on, flush)


def _replayed_version(db, existing: Record, envelope: Envelope, digest: str) -> RecordVersion | None:
    """The version this very write already produced, if it is a replay."""
    version = (envelope.base_version or 0) + 1
    return db.exec(
        select(RecordVersion).where(
            RecordVersion.record_id == existing.id,
            RecordVersion.version == version,
            RecordVersion.body_hash == digest,
        )
    ).first()


def _apply(
    actor: Actor,
    record_id: str,
    envelope: Envelope,
    digest: str,
    child: Child | None,
    unit_id: str,
    existing: Record | None,
    on,
    flush: bool = True,
) -> SaveResult | None:
    """Check and store a write (None: a new record's id exists after all, nothing stored)."""
    if existing is None and not may_start(actor.scope, envelope.type, unit_id):
        return SaveResult(403, detail=N_("Din rolle kan ikke oprette denne type registrering."))
    kind = KINDS[envelope.type]
    rules = kind.rules
    try:
        data = parse_data(kind.schema, envelope.data)
    except FieldError as error:
        return SaveResult(422, errors=error.errors)
    write = Write(
        actor=actor,
        record_id=record_id,
        type=envelope.type,
        status=envelope.status,
        child=child,
        unit_id=unit_id,
        data=data,
        existing=existing,
        today=on,
    )
    rules.prepare(write)
    stored = write.data.model_dump(mode="json", exclude_none=True)
    if write.is_final:
        write.errors.extend(missing_for_final(kind.required_for_final, stored))
    rules.check(write)
    if write.errors:
        return SaveResult(422, errors=_unique(write.errors))
    derived = rules.derive(write)
    record = _store(actor, write, stored, derived, digest, flush)
    if record is None:
        return None  # the id exists after all: decided again as an update
    rules.after_save(write, record)
    actor.db.add(record)
    actor.audit.add(
        "record.create" if existing is None else "record.update",
        record.type,
        record.id,
        record.child_id,
        version=record.version,
        status=record.status,
    )
    return SaveResult(201 if existing is None else 200, record)


def _store(
    actor: Actor, write: Write, stored: dict, derived: dict, digest: str, flush: bool
) -> Record | None:
    """The write's rows: the record (new, or its next version) and the version. A new record
    outside a group is inserted without the ORM's unit of work, and None returned when its id
    exists after all."""
    now = utcnow()
    user_id = write.user.id
    round_id = stored.get("round_id") if write.type == "wellbeing" else None
    record = write.existing
    if record is None:
        # Every column given: SQLModel then calls no default factory (half the cost of a new
        # record, which a batch of 200 pays 200 times).
        record = Record(
            id=write.record_id,
            type=write.type,
            child_id=write.child.id if write.child else None,
            unit_id=write.unit_id,
            author_id=user_id,
            updated_by_id=user_id,
            status=write.status,
            version=1,
            data=stored,
            derived=derived,
            round_id=round_id,
            abuse_path=False,
            shared_with_unit_id=None,
            shared_version=None,
            created_at=now,
            updated_at=now,
        )
        if flush:
            return _inserted(actor, record, digest)
    else:
        record.version += 1
        record.status, record.data, record.derived = write.status, stored, derived
        record.updated_at, record.updated_by_id = now, user_id
        record.round_id = round_id
    actor.db.add(record)
    actor.db.add(
        RecordVersion(
            record_id=record.id,
            version=record.version,
            status=record.status,
            data=stored,
            derived=derived,
            author_id=user_id,
            body_hash=digest,
            device_id=actor.device_id,
            saved_at=now,
        )
    )
    if flush:  # a conflicting write fails here, inside the caller's savepoint (if any)
        actor.db.flush()
    return record


def _inserted(actor: Actor, record: Record, digest: str) -> Record | None:
    """A new record and its first version inserted by two Core statements — one on PostgreSQL —
    instead of the ORM's flush (its unit of work costs more CPU than the database's work). Nothing
    is inserted when a record with the id exists, or is being stored by another request (the
    INSERT waits for it): then None. Else `record` joins the session as if it had been loaded,
    so that what the rules change on it afterwards is stored (an UPDATE at the next flush)."""
    db = actor.db
    connection = db.connection()
    values = {column: getattr(record, column) for column in _RECORD_COLUMNS}
    more = {"body_hash": digest, "device_id": actor.device_id}
    if connection.dialect.name == "postgresql":
        if connection.execute(_NEW_RECORD_AND_VERSION, values | more).rowcount == 0:
            return None
    else:
        if connection.execute(_NEW_RECORD_SQLITE, values).rowcount == 0:
            return None
        first = {
            "record_id": record.id,
            "version": 1,
            "status": record.status,
            "data": record.data,
            "derived": record.derived,
            "author_id": record.author_id,
            "saved_at": record.created_at,
        }
        connection.execute(_NEW_VERSION, first | more)
    make_transient_to_detached(record)
    db.add(record)
    return record


def _outside_scope(actor: Actor, record_id: str, envelope: Envelope, digest: str) -> SaveResult:
    """A write about a child who left the author's units meanwhile is kept for the leader."""
    unit_id = _former_unit(actor, envelope.child_id)
    if unit_id is None:
        return SaveResult(404, detail=N_("Barnet findes ikke."))
    try:
        envelope = _valid_for_keeping(envelope)
    except FieldError as error:
        return SaveResult(422, errors=error.errors)
    kept = _keep(actor, "out_of_scope", record_id, envelope, digest, unit_id)
    return SaveResult(
        202,
        kept=kept,
        detail=(N_("Barnet er ikke længere i din enhed. Registreringen er gemt og sendt til lederen.")),
    )


def _former_unit(actor: Actor, child_id: str | None) -> str | None:
    """One of the caller's units where the child was placed before (None: never in scope)."""
    if child_id is None or not is_id(child_id) or not actor.scope.unit_ids:
        return None
    query = (
        select(Placement.unit_id)
        .join(Child, Child.id == Placement.child_id)
        .where(
            Placement.child_id == child_id,
            Placement.unit_id.in_(actor.scope.unit_ids),
            Child.municipality_id == actor.scope.municipality_id,
        )
        .order_by(Placement.starts_on.desc())
    )
    return actor.db.exec(query).first()


def _valid_for_keeping(envelope: Envelope) -> Envelope:
    """A write about to be kept, checked against its type's schema like any write (FieldError
    if not) and reduced to what the schema knows: a kept write is shown to a leader later, so
    nothing the client made up (keys, shapes) is stored with it."""
    data = parse_data(KINDS[envelope.type].schema, envelope.data)
    return envelope.model_copy(update={"data": data.model_dump(mode="json", exclude_none=True)})


def _keep(
    actor: Actor,
    reason: str,
    record_id: str,
    envelope: Envelope,
    digest: str,
    unit_id: str | None,
    server_version: int | None = None,
) -> KeptWrite:
    existing = actor.db.exec(
        select(KeptWrite).where(
            KeptWrite.record_id == record_id,
            KeptWrite.body_hash == digest,
            KeptWrite.author_id == actor.scope.user_id,
        )
    ).first()
    if existing is not None:  # the same refused write replayed: keep it once
        return existing
    kept = KeptWrite(
        reason=reason,
        record_id=record_id,
        record_type=envelope.type,
        child_id=envelope.child_id,
        unit_id=unit_id,
        author_id=actor.scope.user_id,
        base_version=envelope.base_version,
        server_version=server_version,
        body=envelope.model_dump(mode="json"),
        body_hash=digest,
    )
    actor.db.add(kept)
    actor.audit.add(f"record.kept_{reason}", envelope.type, record_id, envelope.child_id)
    return kept


def _unique(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, unique = set(), []
    for error in errors:
        if error["field"] not in seen:
            seen.add(error["field"])
            unique.append(error)
    return unique


def store_parents_words(db, record: Record, entry: dict[str, Any], author_id: str) -> Record:
    """Add the parents' own words (`entry`, attributed to a guardian) to a record as a new
    version. Only the parents' invitation calls this; staff writes can never change
    `data.parents_words` (the kinds' rules refuse it). The version's author is the professional
    who invited them; the words are the guardian's (named in the entry)."""
    now = utcnow()
    data = dict(record.data)
    data["parents_words"] = [*(data.get("parents_words") or []), entry]
    record.version += 1
    record.data = data
    record.updated_at, record.updated_by_id = now, author_id
    db.add(record)
    digest = hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    db.add(
        RecordVersion(
            record_id=record.id,
            version=record.version,
            status=record.status,
            data=data,
            derived=record.derived,
            author_id=author_id,
            body_hash=digest,
            saved_at=now,
        )
    )
    db.flush()
    return record
