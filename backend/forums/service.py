"""Forums, meetings and agenda cases (domain §11): who may see and change what, in one place
for the pages and the API. A partner's reach to a child is decided by `backend.auth.policy`.

- A forum's staff side — its convener and internal members, and the leaders of its units —
  plans meetings, puts cases on the agenda and prepares them.
- A named case needs the parents' consent to this forum (a final consent record of kind
  `meeting` whose scope is the forum or the meeting, latest decision `given`); an anonymous case
  stores an age band and a description, never a child id.
- Every read of a named case is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from backend.audit import AuditTrail
from backend.auth.policy import Scope, child_in_scope, children_in_scope, is_id, partner_cases
from backend.db import utcnow
from backend.domain import forums as rules
from backend.domain.text import clean_text
from backend.domain.wellbeing import AREAS
from backend.forums.manage import may_create, may_manage
from backend.forums.reminders import tell_preparation_shared
from backend.i18n import gettext as _
from backend.people.forum_models import Forum, ForumCase, ForumMeeting, ForumMember
from backend.people.models import Child, Unit, User
from backend.records.consents import latest_decision
from backend.records.models import Record


class ForumError(ValueError):
    """A refused change: `message` is Danish and safe to show, `field` names the form field."""

    def __init__(self, message: str, field: str = "", code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _text(value: str | None, field: str) -> str:
    text = clean_text(value or "")
    if len(text) > rules.TEXT_MAX:
        raise ForumError(_("Teksten er for lang (højst %(max)s tegn).") % {"max": rules.TEXT_MAX}, field)
    return text


# --- who is who -------------------------------------------------------------------------------


def _membership(db: Session, scope: Scope, forum_id: str) -> ForumMember | None:
    return db.exec(
        select(ForumMember).where(ForumMember.forum_id == forum_id, ForumMember.user_id == scope.user_id)
    ).first()


def is_staff_side(db: Session, scope: Scope, forum: Forum) -> bool:
    """Convener, internal member or leader of one of the forum's units (never a partner)."""
    if scope.municipality_id != forum.municipality_id or scope.is_admin and not scope.unit_ids:
        return False
    if any(scope.leads(unit_id) for unit_id in forum.unit_ids):
        return True
    member = _membership(db, scope, forum.id)
    return member is not None and member.role in ("convener", "internal")


def _visible_forum(db: Session, scope: Scope, forum_id: str) -> tuple[Forum, bool] | None:
    """The forum and whether the caller is on its staff side, when the caller belongs to it."""
    forum = db.get(Forum, forum_id) if is_id(forum_id) else None
    if forum is None or forum.municipality_id != scope.municipality_id:
        return None
    if is_staff_side(db, scope, forum):
        return forum, True
    if _membership(db, scope, forum.id) is not None:
        return forum, False
    return None


def _staff_forum(db: Session, scope: Scope, forum_id: str) -> Forum | None:
    found = _visible_forum(db, scope, forum_id)
    return found[0] if found and found[1] else None


# --- forums -----------------------------------------------------------------------------------


@dataclass
class ForumSummary:
    id: str
    name: str
    kind: str
    unit_ids: list[str]
    next_meeting_on: date | None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "unit_ids": list(self.unit_ids),
            "next_meeting_on": self.next_meeting_on.isoformat() if self.next_meeting_on else None,
        }


def forums_of(db: Session, scope: Scope, on: date) -> list[ForumSummary]:
    """The forums the caller belongs to (a member, or the leader of one of its units)."""
    member_of = set(db.exec(select(ForumMember.forum_id).where(ForumMember.user_id == scope.user_id)))
    forums = [
        forum
        for forum in db.exec(select(Forum).where(Forum.municipality_id == scope.municipality_id))
        if forum.id in member_of or (not scope.is_partner and scope.led_unit_ids & set(forum.unit_ids))
    ]
    if not forums:
        return []
    next_on: dict[str, date] = {}
    meetings = db.exec(
        select(ForumMeeting).where(
            ForumMeeting.forum_id.in_([f.id for f in forums]),
            ForumMeeting.held_on >= on,
            ForumMeeting.status == "planned",
        )
    )
    for meeting in meetings:
        if meeting.forum_id not in next_on or meeting.held_on < next_on[meeting.forum_id]:
            next_on[meeting.forum_id] = meeting.held_on
    return [
        ForumSummary(f.id, f.name, f.kind, list(f.unit_ids), next_on.get(f.id))
        for f in sorted(forums, key=lambda f: f.name)
    ]


@dataclass(frozen=True)
class NewMember:
    user_id: str
    role: str
    title: str = ""


def create_forum(
    db: Session,
    scope: Scope,
    audit: AuditTrail,
    *,
    name: str,
    kind: str,
    unit_ids: list[str],
    members: list[NewMember],
) -> Forum:
    """A new forum convened by a leader of all its units; the caller becomes its convener."""
    name = " ".join(name.split())[:200]
    if not name:
        raise ForumError(_("Giv forummet et navn."), "name")
    if kind not in rules.KINDS:
        raise ForumError(_("Vælg, hvilken slags forum det er."), "kind")
    units = [db.get(Unit, unit_id) for unit_id in unit_ids if is_id(unit_id)]
    if not units or any(u is None or u.municipality_id != scope.municipality_id for u in units):
        raise ForumError(_("Vælg mindst én enhed."), "unit_ids")
    if not all(scope.leads(unit.id) for unit in units if unit):
        raise ForumError(_("Kun lederen af enhederne kan oprette et forum for dem."), "unit_ids")
    forum = Forum(
        municipality_id=scope.municipality_id, name=name, kind=kind, unit_ids=[u.id for u in units if u]
    )
    db.add(forum)
    db.flush()
    db.add(ForumMember(forum_id=forum.id, user_id=scope.user_id, role="convener", title="Leder"))
    for member in members:
        if member.user_id == scope.user_id or member.role not in ("internal", "partner"):
            continue
        user = db.get(User, member.user_id) if is_id(member.user_id) else None
        if user is None or user.municipality_id != scope.municipality_id:
            raise ForumError(_("Et af medlemmerne findes ikke."), "members")
        db.add(
            ForumMember(
                forum_id=forum.id,
                user_id=user.id,
                role=member.role,
                title=" ".join(member.title.split())[:200],
            )
        )
    db.flush()
    audit.add("forum.create", "forum", forum.id)
    return forum


def plan_meeting(
    db: Session, scope: Scope, audit: AuditTrail, forum_id: str, held_on: date | None, place: str, on: date
) -> ForumMeeting:
    forum = _staff_forum(db, scope, forum_id)
    if forum is None:
        raise ForumError("Forummet findes ikke.", code="not_found")
    if held_on is None:
        raise ForumError(_("Skriv mødets dato."), "held_on")
    if held_on < on:
        raise ForumError(_("Mødets dato må ikke ligge før i dag."), "held_on")
    meeting = ForumMeeting(
        forum_id=forum.id,
        held_on=held_on,
        place=" ".join(place.split())[:200],
        status="planned",
        created_by_id=scope.user_id,
    )
    db.add(meeting)
    db.flush()
    audit.add("forum.meeting.create", "forum_meeting", meeting.id)
    return meeting


# --- pages ------------------------------------------------------------------------------------


@dataclass
class MemberView:
    name: str
    role: str
    title: str


@dataclass
class ForumView:
    forum: Forum
    staff_side: bool
    members: list[MemberView]
    meetings: list[ForumMeeting]
    unit_names: list[str]


def forum_view(db: Session, scope: Scope, forum_id: str) -> ForumView | None:
    found = _visible_forum(db, scope, forum_id)
    if found is None:
        return None
    forum, staff_side = found
    rows = db.exec(
        select(ForumMember, User)
        .join(User, User.id == ForumMember.user_id)
        .where(ForumMember.forum_id == forum.id)
    )
    order = list(rules.MEMBER_ROLES)
    members = sorted(
        (MemberView(user.display_name, member.role, member.title) for member, user in rows),
        key=lambda m: (order.index(m.role) if m.role in order else 9, m.name),
    )
    meetings = list(
        db.exec(select(ForumMeeting).where(ForumMeeting.forum_id == forum.id).order_by(ForumMeeting.held_on))
    )
    units = db.exec(select(Unit).where(Unit.id.in_(forum.unit_ids))) if forum.unit_ids else []
    return ForumView(forum, staff_side, members, meetings, sorted(u.name for u in units))


@dataclass
class CaseView:
    case: ForumCase
    child_name: str | None
    child_birth_date: date | None
    readable: bool


@dataclass
class MeetingView:
    meeting: ForumMeeting
    forum: Forum
    staff_side: bool
    cases: list[CaseView] = field(default_factory=list)
    #: For the staff side: the children of the forum's units it may name (id → name).
    choices: dict[str, str] = field(default_factory=dict)


def _meeting_of(db: Session, scope: Scope, meeting_id: str) -> tuple[ForumMeeting, Forum, bool] | None:
    meeting = db.get(ForumMeeting, meeting_id) if is_id(meeting_id) else None
    if meeting is None:
        return None
    found = _visible_forum(db, scope, meeting.forum_id)
    if found is None:
        return None
    return meeting, found[0], found[1]


def meeting_view(
    db: Session, scope: Scope, audit: AuditTrail, meeting_id: str, on: date
) -> MeetingView | None:
    """A meeting and its agenda. The staff side sees every case; a partner sees the anonymous
    cases and the named cases they may read (shared, access not expired) — the others not at all."""
    found = _meeting_of(db, scope, meeting_id)
    if found is None:
        return None
    meeting, forum, staff_side = found
    view = MeetingView(meeting, forum, staff_side)
    readable_by_partner = (
        {case.id for _c, case, _m in partner_cases(db, scope, on)} if not staff_side else set()
    )
    cases = db.exec(
        select(ForumCase).where(ForumCase.meeting_id == meeting.id).order_by(ForumCase.created_at)
    )
    for case in cases:
        child = db.get(Child, case.child_id) if case.child_id else None
        if child is None:
            view.cases.append(CaseView(case, None, None, staff_side or case.shared_at is not None))
            continue
        if not staff_side and case.id not in readable_by_partner:
            continue
        audit.add("forum.case.read", "forum_case", case.id, child.id)
        view.cases.append(CaseView(case, child.name, child.birth_date, True))
    if staff_side and meeting.status == "planned":
        on_agenda = {c.case.child_id for c in view.cases}
        view.choices = {
            child.id: child.name
            for child, placement in children_in_scope(db, scope, on)
            if placement.unit_id in forum.unit_ids and child.id not in on_agenda
        }
    return view


@dataclass
class ForumsPage:
    forums: list[ForumSummary]
    coming: list[MeetingView]
    #: A leader or the admin may create forums; `managed` are those whose members they manage.
    can_create: bool = False
    managed: list[Forum] = field(default_factory=list)


def forums_page(db: Session, scope: Scope, audit: AuditTrail, on: date) -> ForumsPage:
    """The caller's forums and their coming meetings with the cases the caller may read (a
    partner's start page)."""
    forums = forums_of(db, scope, on)
    coming: list[MeetingView] = []
    if forums:
        meetings = db.exec(
            select(ForumMeeting.id)
            .where(
                ForumMeeting.forum_id.in_([f.id for f in forums]),
                ForumMeeting.held_on >= on,
                ForumMeeting.status == "planned",
            )
            .order_by(ForumMeeting.held_on)
        )
        for meeting_id in meetings:
            view = meeting_view(db, scope, audit, meeting_id, on)
            if view is not None:
                coming.append(view)
    managed: list[Forum] = []
    if may_create(scope):
        every = db.exec(
            select(Forum).where(Forum.municipality_id == scope.municipality_id).order_by(Forum.name)
        )
        managed = [forum for forum in every if may_manage(scope, forum)]
    return ForumsPage(forums, coming, may_create(scope), managed)


@dataclass
class CasePage:
    case: ForumCase
    meeting: ForumMeeting
    forum: Forum
    staff_side: bool
    child_name: str | None
    #: A named case whose consent no longer holds (withdrawn or refused after it was put on the
    #: agenda): partners no longer read it, and the page says so.
    consent_withdrawn: bool = False
    #: For the staff side: the forum's members the parents' consent does not cover (added after
    #: they decided) — partners among them cannot read the case until the parents are asked again.
    uncovered: list[str] = field(default_factory=list)
    #: What the consent the case rests on covers (the forum or the meeting): a new one is
    #: prepared for the same.
    consent_scope: str | None = None


def case_page(db: Session, scope: Scope, audit: AuditTrail, case_id: str, on: date) -> CasePage | None:
    """One agenda case with its preparation: the staff side always (a named child only when in
    the caller's scope), a partner only when the case is shared and their access lasts."""
    case = db.get(ForumCase, case_id) if is_id(case_id) else None
    found = _meeting_of(db, scope, case.meeting_id) if case else None
    if case is None or found is None:
        return None
    meeting, forum, staff_side = found
    child_name = None
    if case.child_id is not None:
        if staff_side:
            placed = child_in_scope(db, scope, case.child_id, on)
            if placed is None:
                return None
            child_name = placed[0].name
        else:
            readable = [c for _ch, c, _m in partner_cases(db, scope, on, case.child_id) if c.id == case.id]
            if not readable:
                return None
            child = db.get(Child, case.child_id)
            child_name = child.name if child else None
        audit.add("forum.case.read", "forum_case", case.id, case.child_id)
    elif not staff_side and case.shared_at is None:
        return None
    consent = forum_consent(db, case.child_id, forum, meeting) if case.child_id is not None else None
    page = CasePage(
        case, meeting, forum, staff_side, child_name, case.child_id is not None and consent is None
    )
    if staff_side and consent is not None:
        members = db.exec(
            select(User.id, User.display_name)
            .join(ForumMember, ForumMember.user_id == User.id)
            .where(ForumMember.forum_id == forum.id)
        )
        page.uncovered = rules.uncovered(list(members), consent.derived)
        page.consent_scope = str(consent.data.get("scope") or forum.id)
    return page


# --- agenda cases -----------------------------------------------------------------------------


def forum_consent(db: Session, child_id: str, forum: Forum, meeting: ForumMeeting) -> Record | None:
    """The parents' given consent to discuss the child in this forum (or at this meeting)."""
    for scope_id in (meeting.id, forum.id):
        decision = latest_decision(db, child_id, rules.CONSENT_KIND, scope_id)
        if decision is not None:
            return decision if decision.data.get("state") == "given" else None
    return None


def _planned_meeting(db: Session, scope: Scope, meeting_id: str) -> tuple[ForumMeeting, Forum]:
    found = _meeting_of(db, scope, meeting_id)
    if found is None or not found[2]:
        raise ForumError("Mødet findes ikke.", code="not_found")
    meeting, forum, _staff = found
    if meeting.status != "planned":
        raise ForumError(
            _("Mødet er ikke længere planlagt; sager kan ikke tilføjes."), "child_id", code="closed"
        )
    return meeting, forum


def add_named_case(
    db: Session, scope: Scope, audit: AuditTrail, meeting_id: str, child_id: str, on: date
) -> ForumCase:
    """A named child on the agenda — refused without the parents' consent to this forum."""
    meeting, forum = _planned_meeting(db, scope, meeting_id)
    placed = child_in_scope(db, scope, child_id, on)
    if placed is None or placed[1].unit_id not in forum.unit_ids:
        raise ForumError(_("Vælg et barn fra forummets enheder."), "child_id")
    child, placement = placed
    consent = forum_consent(db, child.id, forum, meeting)
    if consent is None:
        raise ForumError(
            _(
                "Forældrene har ikke givet samtykke til, at barnet drøftes i dette forum. "
                "Indhent samtykket først — eller drøft sagen anonymt."
            ),
            "child_id",
            code="consent",
        )
    case = ForumCase(
        meeting_id=meeting.id,
        child_id=child.id,
        consent_id=consent.id,
        unit_id=placement.unit_id,
        created_by_id=scope.user_id,
    )
    db.add(case)
    db.flush()
    audit.add("forum.case.create", "forum_case", case.id, child.id)
    return case


def add_anonymous_case(
    db: Session, scope: Scope, audit: AuditTrail, meeting_id: str, age_band: str, description: str
) -> ForumCase:
    """An anonymous case: an age band and a description, never a child id."""
    meeting, forum = _planned_meeting(db, scope, meeting_id)
    if age_band not in rules.AGE_BANDS:
        raise ForumError(_("Vælg barnets alder."), "age_band")
    text = _text(description, "description")
    if not text.strip():
        raise ForumError(_("Beskriv sagen kort, uden navne."), "description")
    own = [unit_id for unit_id in forum.unit_ids if scope.works_in(unit_id)]
    case = ForumCase(
        meeting_id=meeting.id,
        child_id=None,
        unit_id=(own or forum.unit_ids)[0],
        age_band=age_band,
        description=text,
        created_by_id=scope.user_id,
    )
    db.add(case)
    db.flush()
    audit.add("forum.case.create", "forum_case", case.id)
    return case


def _staff_case(db: Session, scope: Scope, case_id: str) -> tuple[ForumCase, ForumMeeting, Forum]:
    case = db.get(ForumCase, case_id) if is_id(case_id) else None
    found = _meeting_of(db, scope, case.meeting_id) if case else None
    if case is None or found is None or not found[2]:
        raise ForumError("Sagen findes ikke.", code="not_found")
    return case, found[0], found[1]


def staff_case(db: Session, scope: Scope, case_id: str) -> tuple[ForumCase, ForumMeeting, Forum]:
    """A case the caller may change as the forum's staff side (else ForumError not_found)."""
    return _staff_case(db, scope, case_id)


def latest_joint_positions(db: Session, case: ForumCase) -> dict:
    """The child's latest final joint well-being assessment in the case's unit: per area."""
    if case.child_id is None:
        return {}
    rows = db.exec(
        select(Record)
        .where(
            Record.type == "wellbeing",
            Record.child_id == case.child_id,
            Record.unit_id == case.unit_id,
            Record.status == "final",
        )
        .order_by(Record.updated_at.desc())
    )
    joint = next((r for r in rows if r.data.get("kind") == "joint"), None)
    if joint is None:
        return {}
    areas = joint.data.get("areas") or {}
    return {
        "areas": {key: areas.get(key) for key in AREAS if areas.get(key)},
        "overall": joint.data.get("overall"),
        "assessed_on": joint.updated_at.date().isoformat(),
    }


def save_preparation(
    db: Session,
    scope: Scope,
    audit: AuditTrail,
    case_id: str,
    fields: dict[str, str],
    on: date,
    *,
    share: bool = False,
) -> ForumCase:
    """The preparation form, filled in by a professional who knows the child; the latest joint
    positions per area are pulled in at each save."""
    case, _meeting, _forum = _staff_case(db, scope, case_id)
    if case.child_id is not None and child_in_scope(db, scope, case.child_id, on) is None:
        raise ForumError("Sagen findes ikke.", code="not_found")
    preparation: dict = {key: _text(fields.get(key), key) for key in rules.PREPARATION_FIELDS}
    preparation["positions"] = latest_joint_positions(db, case)
    case.preparation = preparation
    case.prepared_by_id = scope.user_id
    db.add(case)
    db.flush()
    audit.add("forum.case.prepare", "forum_case", case.id, case.child_id)
    if share:
        return share_preparation(db, scope, audit, case.id)
    return case


def share_preparation(
    db: Session, scope: Scope, audit: AuditTrail, case_id: str, now: datetime | None = None
) -> ForumCase:
    """Marks the preparation shared: the members can read it, partners from now on."""
    case, meeting, _forum = _staff_case(db, scope, case_id)
    if not (case.preparation.get("question") or "").strip():
        raise ForumError(_("Skriv spørgsmålet til forummet, før forberedelsen deles."), "question")
    if case.shared_at is None:
        case.shared_at = now or utcnow()
        db.add(case)
        db.flush()
        tell_preparation_shared(db, case, meeting, scope.user_id)
    audit.add("forum.case.share", "forum_case", case.id, case.child_id)
    return case


# --- a partner's children ---------------------------------------------------------------------


@dataclass
class PartnerChild:
    child: Child
    unit_id: str
    cases: list[tuple[ForumCase, ForumMeeting]]


def partner_children_list(
    db: Session, scope: Scope, audit: AuditTrail, on: date, search: str | None = None
) -> list[PartnerChild]:
    """The children on the agendas a partner may read now (each read audited), optionally only
    those whose name contains `search`."""
    by_child: dict[str, PartnerChild] = {}
    needle = (search or "").casefold()
    for child, case, meeting in partner_cases(db, scope, on):
        if needle and needle not in child.name.casefold():
            continue
        entry = by_child.setdefault(child.id, PartnerChild(child, case.unit_id, []))
        entry.cases.append((case, meeting))
    for child_id in by_child:
        audit.add("child.list", "child", child_id, child_id, via="forum")
    return sorted(by_child.values(), key=lambda entry: entry.child.name)


def partner_child(
    db: Session, scope: Scope, audit: AuditTrail, child_id: str, on: date
) -> PartnerChild | None:
    """One child a partner may read: the child's forum cases only, never the journal."""
    rows = partner_cases(db, scope, on, child_id)
    if not rows:
        return None
    child = rows[0][0]
    audit.add("child.read", "child", child.id, child.id, via="forum")
    return PartnerChild(child, rows[0][1].unit_id, [(case, meeting) for _c, case, meeting in rows])
