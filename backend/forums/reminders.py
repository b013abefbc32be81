"""Telling a forum's members about preparations (domain §11): when a case's preparation is
shared, and — if a case is still not shared three days before the meeting — a reminder to the
convener and the preparing professional.

Each message is a push (a `reminder_delivery`, unique per user and key) and an e-mail (an
`outgoing_email`, unique per key): made once, however many instances or runs ask. The texts say
only that a forum meeting needs attention and link to the meeting — never a child's name, age,
CPR number or anything from the preparation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from backend.config import get_settings
from backend.db import new_session, utcnow
from backend.domain.dates import COPENHAGEN
from backend.i18n import gettext
from backend.notify import email as outbox
from backend.people.forum_models import Forum, ForumCase, ForumMeeting, ForumMember
from backend.people.models import User
from backend.records.kinds.reflection import usable_address
from backend.reminders import messages
from backend.reminders.planner import deliver_once

#: A case not shared this many days before its meeting gets a reminder.
REMIND_DAYS_BEFORE = 3


def _meeting_url(meeting: ForumMeeting) -> str:
    return f"/forums/meetings/{meeting.id}"


def shared_text(meeting: ForumMeeting) -> messages.PushText:
    return messages.PushText(
        title=gettext("Forberedelse til et forummøde er klar"),
        body=gettext("Læs forberedelsen før mødet i Opspor."),
        url=_meeting_url(meeting),
    )


def reminder_text(meeting: ForumMeeting) -> messages.PushText:
    return messages.PushText(
        title=gettext("Et forummøde mangler forberedelse"),
        body=gettext(
            "En sag på dagsordenen er ikke delt endnu. Del forberedelsen senest tre dage før mødet."
        ),
        url=_meeting_url(meeting),
    )


def _tell(db: Session, user: User, key: str, make_text) -> bool:
    """A push and an e-mail to one user, each once per key; True when the push was new."""
    if not user.active:
        return False
    with messages.in_language(user.preferences.get("language")):
        text = make_text()
    made = deliver_once(db, user.id, key, "forum", text)
    settings = get_settings()
    if usable_address(user.email) and outbox.smtp_configured(settings):
        link = settings.base_url.rstrip("/") + text.url
        outbox.queue_email(
            db,
            key=f"{key}:{user.id}",
            to=user.email.strip(),
            subject=text.title,
            body=f"{text.body}\n\n{link}\n",
            user_id=user.id,
        )
    return made


def _members(db: Session, forum_id: str, roles: tuple[str, ...] | None = None) -> list[User]:
    query = (
        select(User).join(ForumMember, ForumMember.user_id == User.id).where(ForumMember.forum_id == forum_id)
    )
    if roles is not None:
        query = query.where(ForumMember.role.in_(roles))
    return list(db.exec(query).all())


def tell_preparation_shared(db: Session, case: ForumCase, meeting: ForumMeeting, sharer_id: str) -> int:
    """Every member but the one who shared learns that a preparation is ready (once per case)."""
    told = 0
    for user in _members(db, meeting.forum_id):
        if user.id != sharer_id and _tell(db, user, f"forum_shared:{case.id}", lambda: shared_text(meeting)):
            told += 1
    return told


def remind_unprepared(db: Session, now: datetime | None = None) -> int:
    """For each planned meeting at most `REMIND_DAYS_BEFORE` days away, each case not shared
    yet: a reminder to the forum's conveners and the professional preparing it (once per case
    and person). Commits nothing: the caller does."""
    on = (now or utcnow()).astimezone(COPENHAGEN).date()
    rows = db.exec(
        select(ForumCase, ForumMeeting)
        .join(ForumMeeting, ForumMeeting.id == ForumCase.meeting_id)
        .where(
            ForumMeeting.status == "planned",
            ForumMeeting.held_on >= on,
            ForumMeeting.held_on <= on + timedelta(days=REMIND_DAYS_BEFORE),
            ForumCase.shared_at.is_(None),
        )
    ).all()
    reminded = 0
    for case, meeting in rows:
        forum = db.get(Forum, meeting.forum_id)
        if forum is None:
            continue
        people = {u.id: u for u in _members(db, forum.id, ("convener",))}
        preparer = db.get(User, case.prepared_by_id or case.created_by_id)
        if preparer is not None:
            people[preparer.id] = preparer
        for user in people.values():
            if _tell(db, user, f"forum_unprepared:{case.id}", lambda m=meeting: reminder_text(m)):
                reminded += 1
    return reminded


def run_preparation_reminders(engine: Engine, now: datetime) -> int:
    """The periodic job (exclusive, under the scheduler's lease)."""
    with new_session(engine) as db:
        reminded = remind_unprepared(db, now)
        db.commit()
    return reminded
