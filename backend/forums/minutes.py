"""A forum case's minutes (domain §11): the plan for the next step with its action path, who
does what by when — each line a task for that person — and "tell the parents what happens
next" as a task for the professional who knows the child. Members add their own contributions
(a partner only theirs, attributed). A case brought back at a later meeting shows the earlier
plan and what came of it (its tasks' status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, child_in_scope
from backend.db import utcnow
from backend.domain import forums as rules
from backend.domain.text import clean_text
from backend.forums.service import CasePage, ForumError, case_page, staff_case
from backend.i18n import gettext as _
from backend.people.forum_models import ForumCase, ForumContribution, ForumMeeting, ForumMember
from backend.people.models import User
from backend.records.models import Task
from backend.records.tasks import close_tasks, ensure_task

#: The "who does what by when" lines the form offers.
ACTION_ROWS = 3


def _members(db: Session, forum_id: str) -> list[tuple[ForumMember, User]]:
    return list(
        db.exec(
            select(ForumMember, User)
            .join(User, User.id == ForumMember.user_id)
            .where(ForumMember.forum_id == forum_id, User.active)
            .order_by(User.display_name)
        ).all()
    )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def save_minutes(
    db: Session, scope: Scope, audit: AuditTrail, case_id: str, fields: dict[str, str], on: date
) -> ForumCase:
    """Write a case's minutes (the staff side only) and make or update their tasks."""
    case, meeting, forum = staff_case(db, scope, case_id)
    if case.child_id is not None and child_in_scope(db, scope, case.child_id, on) is None:
        raise ForumError("Sagen findes ikke.", code="not_found")
    if meeting.status == "cancelled":
        raise ForumError(_("Mødet er aflyst; der skrives ikke referat."), "plan")
    plan = clean_text(fields.get("plan") or "")
    if not plan.strip():
        raise ForumError(_("Skriv planen for næste skridt."), "plan")
    if len(plan) > rules.TEXT_MAX:
        raise ForumError(_("Teksten er for lang (højst %(max)s tegn).") % {"max": rules.TEXT_MAX}, "plan")
    path = fields.get("action_path") or ""
    if path not in rules.ACTION_PATHS:
        raise ForumError(_("Vælg handlesporet for næste skridt."), "action_path")
    members = {user.id: (member, user) for member, user in _members(db, forum.id)}
    actions = []
    for index in range(ACTION_ROWS):
        what = clean_text(fields.get(f"action_what_{index}") or "").strip()
        who = fields.get(f"action_who_{index}") or ""
        by_text = fields.get(f"action_by_{index}") or ""
        if not (what or who or by_text.strip()):
            continue
        if not what or len(what) > 300:
            raise ForumError(_("Skriv kort, hvad der skal gøres (højst 300 tegn)."), f"action_what_{index}")
        if who not in members:
            raise ForumError(_("Vælg, hvem der gør det, blandt forummets medlemmer."), f"action_who_{index}")
        by = _date(by_text)
        if by is None:
            raise ForumError(_("Skriv, hvornår det skal være gjort."), f"action_by_{index}")
        actions.append({"what": what, "who": who, "by": by})
    tell_parents = fields.get("tell_parents") == "on" and case.child_id is not None
    stored = []
    for index, action in enumerate(actions):
        member, _user = members[action["who"]]
        task = ensure_task(
            db,
            key=f"forum_action:{case.id}:{index}",
            kind="forum_action",
            unit_id=case.unit_id,
            due_on=action["by"],
            # A partner's task names no child: their access to it ends after the meeting.
            child_id=None if member.role == "partner" else case.child_id,
            assignee_id=action["who"],
            params={"what": action["what"], "case": case.id},
        )
        db.flush()
        stored.append({**action, "by": action["by"].isoformat(), "task": task.id})
    for index in range(len(actions), ACTION_ROWS):
        close_tasks(db, closed_by=scope.user_id, status="cancelled", key=f"forum_action:{case.id}:{index}")
    professional = case.prepared_by_id or case.created_by_id
    if tell_parents:
        task = ensure_task(
            db,
            key=f"forum_tell_parents:{case.id}",
            kind="forum_tell_parents",
            unit_id=case.unit_id,
            due_on=rules.tell_parents_due(meeting.held_on),
            child_id=case.child_id,
            assignee_id=professional,
            params={"case": case.id},
        )
        db.flush()
    else:
        close_tasks(db, closed_by=scope.user_id, status="cancelled", key=f"forum_tell_parents:{case.id}")
    case.minutes = {"plan": plan, "action_path": path, "actions": stored, "tell_parents": tell_parents}
    case.minutes_by_id = scope.user_id
    case.minutes_at = utcnow()
    db.add(case)
    db.flush()
    audit.add("forum.minutes.write", "forum_case", case.id, case.child_id, path=path)
    return case


def add_contribution(
    db: Session, scope: Scope, audit: AuditTrail, case_id: str, text: str, on: date
) -> ForumContribution:
    """A member's own contribution to the minutes of a case they may read (a partner's too)."""
    page = case_page(db, scope, audit, case_id, on)
    if page is None or page.meeting.status == "cancelled":
        raise ForumError("Sagen findes ikke.", code="not_found")
    if not page.staff_side and page.case.child_id is None and page.case.shared_at is None:
        raise ForumError("Sagen findes ikke.", code="not_found")
    body = clean_text(text or "").strip()
    if not body:
        raise ForumError(_("Skriv dit bidrag til referatet."), "contribution")
    if len(body) > rules.TEXT_MAX:
        raise ForumError(
            _("Teksten er for lang (højst %(max)s tegn).") % {"max": rules.TEXT_MAX}, "contribution"
        )
    contribution = ForumContribution(case_id=page.case.id, author_id=scope.user_id, text=body)
    db.add(contribution)
    db.flush()
    audit.add("forum.contribution.create", "forum_case", page.case.id, page.case.child_id)
    return contribution


@dataclass
class EarlierPlan:
    meeting: ForumMeeting
    minutes: dict
    came_of_it: str  # done | open | none


@dataclass
class MinutesPage:
    page: CasePage
    #: The forum's members (id → name) for "who".
    members: dict[str, str] = field(default_factory=dict)
    contributions: list[tuple[ForumContribution, str]] = field(default_factory=list)
    earlier: list[EarlierPlan] = field(default_factory=list)
    #: Each "who" of the minutes' lines by name.
    names: dict[str, str] = field(default_factory=dict)


def minutes_page(db: Session, scope: Scope, audit: AuditTrail, case_id: str, on: date) -> MinutesPage | None:
    """A case page with its minutes, the contributions and — for a child brought back — the
    earlier plans of this forum and what came of them."""
    page = case_page(db, scope, audit, case_id, on)
    if page is None:
        return None
    case = page.case
    view = MinutesPage(page)
    everyone = {user.id: user.display_name for _m, user in _members(db, page.forum.id)}
    view.members = everyone if page.staff_side else {}
    view.names = everyone
    rows = db.exec(
        select(ForumContribution, User.display_name)
        .join(User, User.id == ForumContribution.author_id)
        .where(ForumContribution.case_id == case.id)
        .order_by(ForumContribution.created_at)
    ).all()
    view.contributions = [(c, name) for c, name in rows]
    if case.child_id is not None:
        earlier = db.exec(
            select(ForumCase, ForumMeeting)
            .join(ForumMeeting, ForumMeeting.id == ForumCase.meeting_id)
            .where(
                ForumCase.child_id == case.child_id,
                ForumCase.id != case.id,
                ForumMeeting.forum_id == page.forum.id,
                ForumMeeting.held_on < page.meeting.held_on,
            )
            .order_by(ForumMeeting.held_on.desc())
        ).all()
        for old, meeting in earlier:
            if not old.minutes:
                continue
            task_ids = [a.get("task") for a in old.minutes.get("actions", []) if a.get("task")]
            statuses = (
                list(db.exec(select(Task.status).where(Task.id.in_(task_ids))).all()) if task_ids else []
            )
            view.earlier.append(EarlierPlan(meeting, old.minutes, rules.came_of_it(statuses)))
    return view
