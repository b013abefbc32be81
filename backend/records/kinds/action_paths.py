"""The three action paths (issue 16): after a joint assessment in extra attention or concern, an
ADBB above the cut-off or a concern note, the professional decides the next step — one or more
of (1) an own-profession plan with trial actions and a follow-up date, (2) cross-disciplinary
work: the case on the unit's forum's agenda (a named case needs the parents' consent) or a request
to the ADBB supervision team, (3) a notification to the social services. Each chosen path gets
its follow-up when the decision is final: (1) a follow-up task, (2) a task to bring the case (or
to obtain the consent first), (3) a notification draft (the assistant) and a task to finish it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from sqlmodel import select

from backend.db import utcnow
from backend.domain import action_paths as paths
from backend.domain.dates import today
from backend.domain.forums import CONSENT_KIND as FORUM_CONSENT_KIND
from backend.i18n import gettext as _
from backend.people.forum_models import Forum, ForumCase, ForumMeeting
from backend.people.models import Child
from backend.records.access import visible_record
from backend.records.consents import latest_decision
from backend.records.kind import EVERY_WRITER, RecordKind
from backend.records.models import Record, RecordVersion
from backend.records.rules import Actor, RecordRules, Write
from backend.records.tasks import abuse_path_open, ensure_task
from backend.records.types import Id, Part, Text


class ActionPathsData(Part):
    source_record_id: Id | None = None
    decided_on: date | None = None
    own_profession: bool = False
    cross_disciplinary: bool = False
    notification: bool = False
    with_parents: Literal["yes", "no"] | None = None
    why_not_with_parents: Text | None = None
    trial_actions: Text | None = None
    follow_up_on: date | None = None
    cross_route: Literal[tuple(paths.CROSS_ROUTES)] | None = None  # type: ignore[valid-type]
    forum_question: Text | None = None


def notification_draft_id(plan_id: str) -> str:
    """The notification draft a plan's path (3) makes: the same id on every save (idempotent)."""
    return str(uuid.uuid5(uuid.UUID(plan_id), "notification"))


class ActionPathsRules(RecordRules):
    def check(self, write: Write) -> None:
        data: ActionPathsData = write.data  # type: ignore[assignment]
        write.past_date("decided_on", data.decided_on, not_before_birth=False)
        write.planned_date("follow_up_on", data.follow_up_on)
        if data.source_record_id and write.child is not None:
            source = write.db.get(Record, data.source_record_id)
            if source is None or source.child_id != write.child.id:
                write.error("source_record_id", "Handlingen skal følge en registrering om det samme barn.")
        if not write.is_final:
            return
        decision = paths.Decision(
            own_profession=data.own_profession,
            cross_disciplinary=data.cross_disciplinary,
            notification=data.notification,
            with_parents=data.with_parents,
            why_not_with_parents=data.why_not_with_parents or "",
            trial_actions=data.trial_actions or "",
            follow_up_on=data.follow_up_on,
            cross_route=data.cross_route,
            today=write.today,
        )
        for field_name, message in paths.problems(decision):
            write.error(field_name, message)

    def derive(self, write: Write) -> dict[str, Any]:
        data: ActionPathsData = write.data  # type: ignore[assignment]
        derived: dict[str, Any] = {}
        if write.is_final and data.notification:
            derived["notification_record_id"] = notification_draft_id(write.record_id)
        if write.is_final and data.cross_disciplinary and data.cross_route and write.child:
            found = next_forum_meeting(
                write.db, write.unit_id, paths.forum_kind_for(data.cross_route), write.today
            )
            if found is not None:
                forum, meeting = found
                consent = forum_consent_of(write.db, write.child.id, forum.id, meeting.id)
                derived |= {
                    "forum_id": forum.id,
                    "forum_name": forum.name,
                    "forum_meeting_id": meeting.id,
                    "forum_meeting_on": meeting.held_on.isoformat(),
                    "forum_consent": consent is not None,
                }
        return derived

    def after_save(self, write: Write, record: Record) -> None:
        if not write.is_final or record.child_id is None:
            return
        data: ActionPathsData = write.data  # type: ignore[assignment]
        common = {"unit_id": record.unit_id, "child_id": record.child_id, "record_id": record.id}
        if data.own_profession and data.follow_up_on:
            ensure_task(
                write.db,
                key=f"action_plan_follow_up:{record.id}",
                kind="action_plan_follow_up",
                assignee_id=record.author_id,
                due_on=data.follow_up_on,
                **common,
            )
        if data.cross_disciplinary and data.cross_route:
            self._cross_disciplinary(write, record, data, common)
        if data.notification:
            draft_id = _notification_draft(write, record)
            ensure_task(
                write.db,
                key=f"notification_write:{draft_id}",
                kind="notification_write",
                assignee_id=record.author_id,
                due_on=write.today,
                unit_id=record.unit_id,
                child_id=record.child_id,
                record_id=draft_id,
            )

    @staticmethod
    def _cross_disciplinary(write: Write, record: Record, data: ActionPathsData, common: dict) -> None:
        """Path (2): the named case on the next meeting's agenda when the parents consented;
        otherwise a task to obtain the consent (or to bring the case when no meeting is planned)."""
        derived = record.derived
        meeting_id = derived.get("forum_meeting_id")
        case_id = None
        if meeting_id and derived.get("forum_consent"):
            consent = forum_consent_of(write.db, record.child_id, derived["forum_id"], meeting_id)
            if consent is not None:
                case_id = _forum_case(write, record, meeting_id, consent.id, data.forum_question or "")
        kind = paths.cross_task_kind(data.cross_route, bool(meeting_id), case_id is not None)
        ensure_task(
            write.db,
            key=f"action_paths_cross:{record.id}",
            kind=kind,
            assignee_id=record.author_id,
            due_on=write.today,
            params={"forum_id": derived.get("forum_id"), "case_id": case_id},
            **common,
        )


def next_forum_meeting(db, unit_id: str, forum_kind: str, on: date) -> tuple[Forum, ForumMeeting] | None:
    """The unit's forum of the kind and its next planned meeting (None when there is none)."""
    query = (
        select(Forum, ForumMeeting)
        .join(ForumMeeting, ForumMeeting.forum_id == Forum.id)
        .where(Forum.kind == forum_kind, ForumMeeting.status == "planned", ForumMeeting.held_on >= on)
        .order_by(ForumMeeting.held_on)
    )
    for forum, meeting in db.exec(query):
        if unit_id in forum.unit_ids:
            return forum, meeting
    return None


def forum_consent_of(db, child_id: str, forum_id: str, meeting_id: str) -> Record | None:
    """The parents' given consent to discuss the child at this meeting or in this forum."""
    for scope_id in (meeting_id, forum_id):
        decision = latest_decision(db, child_id, FORUM_CONSENT_KIND, scope_id)
        if decision is not None:
            return decision if decision.data.get("state") == "given" else None
    return None


def _forum_case(write: Write, record: Record, meeting_id: str, consent_id: str, question: str) -> str:
    """The named case on the meeting's agenda (once), its preparation started with the question."""
    existing = write.db.exec(
        select(ForumCase.id).where(ForumCase.meeting_id == meeting_id, ForumCase.child_id == record.child_id)
    ).first()
    if existing is not None:
        return existing
    case = ForumCase(
        meeting_id=meeting_id,
        child_id=record.child_id,
        consent_id=consent_id,
        unit_id=record.unit_id,
        preparation={"question": question} if question else {},
        created_by_id=write.user.id,
    )
    write.db.add(case)
    write.db.flush()
    write.actor.audit.add("forum.case.create", "forum_case", case.id, record.child_id)
    return case.id


def _notification_draft(write: Write, plan: Record) -> str:
    """Path (3): a notification draft for the assistant, made once, by the plan's author."""
    draft_id = notification_draft_id(plan.id)
    if write.db.get(Record, draft_id) is not None:
        return draft_id
    now, user_id = utcnow(), write.user.id
    data = {"parents_told": "no"} if abuse_path_open(write.db, plan.child_id) else {}
    write.db.add(
        Record(
            id=draft_id,
            type="notification",
            child_id=plan.child_id,
            unit_id=plan.unit_id,
            author_id=user_id,
            updated_by_id=user_id,
            status="draft",
            version=1,
            data=data,
            derived={"from_action_plan": plan.id},
            created_at=now,
            updated_at=now,
        )
    )
    write.db.add(
        RecordVersion(
            record_id=draft_id,
            version=1,
            status="draft",
            data=data,
            derived={"from_action_plan": plan.id},
            author_id=user_id,
            body_hash="action-plan:" + plan.id[:52],
            saved_at=now,
        )
    )
    write.db.flush()
    write.actor.audit.add("record.create", "notification", draft_id, plan.child_id, version=1, status="draft")
    return draft_id


def summary(record: Record) -> str:
    chosen = [_(label) for key, label in paths.PATHS.items() if record.data.get(key)]
    return ", ".join(chosen)


def form_context(actor: Actor, child: Child | None, unit_id: str, query: dict[str, Any]) -> dict[str, Any]:
    source_id = query.get("from")
    # Only a record the caller may read (`visible_record` answers None for an unknown id).
    source = visible_record(actor.db, actor.scope, source_id, today()) if isinstance(source_id, str) else None
    if source is not None and (child is None or source.child_id != child.id):
        source = None
    supervision_first = bool(source and source.type == "adbb" and source.derived.get("above_cutoff"))
    defaults: dict[str, Any] = {"decided_on": today().isoformat()}
    if source is not None:
        defaults["source_record_id"] = source.id
    if supervision_first:
        defaults["cross_route"] = "adbb_supervision"
    routes = dict(paths.CROSS_ROUTES)
    if supervision_first:  # offered first for an ADBB above the cut-off
        routes = {"adbb_supervision": routes["adbb_supervision"], "forum": routes["forum"]}
    return {
        "defaults": defaults,
        "cross_routes": routes,
        "supervision_first": supervision_first,
        "source": source,
        "abuse_path_open": abuse_path_open(actor.db, child.id if child else None),
    }


#: The Danish label of each field (views, comparisons, the export); translated where shown.
FIELD_LABELS: dict[str, str] = {
    "source_record_id": "Følger op på",
    "decided_on": "Besluttet den",
    "own_profession": paths.PATHS["own_profession"],
    "cross_disciplinary": paths.PATHS["cross_disciplinary"],
    "notification": paths.PATHS["notification"],
    "with_parents": "Valgt sammen med forældrene",
    "why_not_with_parents": "Hvorfor ikke sammen med forældrene",
    "trial_actions": "Prøvehandlinger",
    "follow_up_on": "Opfølgning den",
    "cross_route": "Tværfagligt samarbejde",
    "forum_question": "Spørgsmålet til forummet",
}


KIND = RecordKind(
    key="action_paths",
    label="Handlingsspor",
    schema=ActionPathsData,
    field_labels=FIELD_LABELS,
    required_for_final=("decided_on", "with_parents"),
    rules=ActionPathsRules(),
    writers=EVERY_WRITER,
    form_context=form_context,
    summary=summary,
    key_date="decided_on",
    bool_fields=("own_profession", "cross_disciplinary", "notification"),
)
