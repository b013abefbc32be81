"""Forum preparations (domain §11): members are told when a case's preparation is shared, and a
case not shared three days before its meeting reminds the convener and the preparing
professional — once, through the scheduler's lease, by push (a loopback push service) and
e-mail (a loopback SMTP server), never with child data."""

from __future__ import annotations

import email
from datetime import datetime, time, timedelta
from email import policy

import time_machine
from sqlmodel import select

from backend.audit import AuditTrail
from backend.auth.policy import load_scope
from backend.config import get_settings
from backend.db import make_engine, new_session
from backend.domain.dates import COPENHAGEN, is_working_day, today
from backend.forums.service import add_named_case, save_preparation
from backend.notify import email as outbox
from backend.people.forum_models import ForumMeeting, ForumMember
from backend.people.models import Child
from backend.reminders.models import PushSubscription, ReminderDelivery
from backend.reminders.push import send_pending
from backend.reminders.scheduler import run_jobs
from backend.reminders.subscriptions import endpoint_hash
from backend.startup import connect_services
from tests.forum_support import forum_world, give_forum_consent, user_named
from tests.push_receiver import PushReceiver
from tests.support import unit_named
from tests.test_leader_email import Inbox, smtp  # noqa: F401  (the loopback SMTP fixture)


def _working_day_at(hour: int) -> datetime:
    day = today()
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, 0), COPENHAGEN)


def _subscribe(db, receiver: PushReceiver, user_id: str, name: str) -> None:
    sub = receiver.subscription(name)
    db.add(
        PushSubscription(
            user_id=user_id,
            endpoint=sub["endpoint"],
            endpoint_hash=endpoint_hash(sub["endpoint"]),
            p256dh=sub["keys"]["p256dh"],
            auth=sub["keys"]["auth"],
        )
    )


def _world(db):
    """The resource team with the leader (convener), the partner and a pædagog (internal), each
    with an e-mail address and a phone; a consented named child on the meeting's agenda."""
    world = forum_world(db)
    unit = unit_named(db, "Børnehuset Solsikken")
    paedagog = user_named(db, "demo-paedagog")
    partner = user_named(db, "raadgiver-test")
    leader = user_named(db, "demo-leder")
    db.add(ForumMember(forum_id=world.forum_id, user_id=paedagog.id, role="internal", title="Pædagog"))
    for user in (leader, partner, paedagog):
        user.email = f"{user.username}@demo-kommune.example"
        db.add(user)
    child = world.children[0]
    give_forum_consent(db, child, world.forum_id, unit.id, leader.id)
    scope = load_scope(db, leader)
    case = add_named_case(db, scope, AuditTrail(actor_id=leader.id), world.meeting_id, child, today())
    db.commit()
    return world, case.id, child, {"leader": leader, "partner": partner, "paedagog": paedagog}


def _prepare(db, user, case_id: str, share: bool) -> None:
    scope = load_scope(db, user)
    fields = {
        "question": "Hvordan støtter vi legen med de andre børn?",
        "tried": "Små grupper",
        "parents_view": "",
    }
    save_preparation(db, scope, AuditTrail(actor_id=user.id), case_id, fields, today(), share=share)
    db.commit()


def _no_child_data(db, child_id: str, *texts: str) -> None:
    child = db.get(Child, child_id)
    forbidden = [child.name, *child.name.split(), child.birth_date.isoformat(), "legen", "grupper"]
    forbidden += [child.cpr] if child.cpr else []
    for text in texts:
        for word in forbidden:
            assert word not in text, word


def test_members_are_told_when_a_preparation_is_shared(db, demo, app_env, smtp) -> None:  # noqa: F811
    inbox = smtp()
    receiver = PushReceiver()
    clock = time_machine.travel(_working_day_at(10), tick=True)  # pushes are sent in the day
    clock.start()
    try:
        world, case_id, child, people = _world(db)
        _subscribe(db, receiver, people["partner"].id, "partner-phone")
        _subscribe(db, receiver, people["leader"].id, "leader-phone")
        db.commit()
        _prepare(db, people["paedagog"], case_id, share=False)
        assert db.exec(select(ReminderDelivery)).all() == []  # saving is not sharing
        _prepare(db, people["paedagog"], case_id, share=True)
        _prepare(db, people["paedagog"], case_id, share=True)  # sharing again tells nobody twice

        deliveries = db.exec(select(ReminderDelivery)).all()
        assert sorted(d.user_id for d in deliveries) == sorted([people["partner"].id, people["leader"].id])
        assert {d.url for d in deliveries} == {f"/forums/meetings/{world.meeting_id}"}
        engine = make_engine(app_env)
        send_pending(engine)
        engine.dispose()
        pushed = [receiver.decrypt(item) for item in receiver.received]
        assert sorted(item.name for item in receiver.received) == ["leader-phone", "partner-phone"]
        assert pushed[0]["title"] == "Forberedelse til et forummøde er klar"
        with new_session() as session:
            outbox.send_pending_emails(session, get_settings())
        assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == [
            "demo-leder@demo-kommune.example",
            "raadgiver-test@demo-kommune.example",
        ]
        mails = [e.original_content.decode("utf-8", "replace") for e in inbox.envelopes]
        message = email.message_from_bytes(inbox.envelopes[0].original_content, policy=policy.default)
        assert f"/forums/meetings/{world.meeting_id}" in message.get_content()
        _no_child_data(db, child, *mails, *(str(p) for p in pushed), *(d.body + d.title for d in deliveries))
    finally:
        clock.stop()
        receiver.close()


def test_an_unshared_case_reminds_the_convener_and_the_preparer_three_days_before_once(
    db,
    demo,
    app_env,
    smtp,  # noqa: F811
) -> None:
    inbox = smtp()
    world, case_id, child, people = _world(db)
    _prepare(db, people["paedagog"], case_id, share=False)
    meeting = db.get(ForumMeeting, world.meeting_id)
    connect_services()
    engines = [make_engine(app_env), make_engine(app_env)]
    four_days_before = datetime.combine(meeting.held_on - timedelta(days=4), time(9, 0), COPENHAGEN)
    with time_machine.travel(four_days_before, tick=True):
        assert run_jobs(engines[0], force=True)["forum_reminders"] == 0
    three_days_before = datetime.combine(meeting.held_on - timedelta(days=3), time(9, 0), COPENHAGEN)
    with time_machine.travel(three_days_before, tick=True):
        first = run_jobs(engines[0], instance="instance-a")
        second = run_jobs(engines[1], instance="instance-b")  # the lease is taken: not run again
        forced = run_jobs(engines[1], force=True, instance="instance-b")  # forced: nothing new
    for engine in engines:
        engine.dispose()
    assert first["forum_reminders"] == 2 and "forum_reminders" not in second
    assert forced["forum_reminders"] == 0
    db.expire_all()
    deliveries = db.exec(
        select(ReminderDelivery).where(ReminderDelivery.key == f"forum_unprepared:{case_id}")
    ).all()
    assert sorted(d.user_id for d in deliveries) == sorted([people["leader"].id, people["paedagog"].id])
    assert all(d.title == "Et forummøde mangler forberedelse" for d in deliveries)
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == [
        "demo-leder@demo-kommune.example",
        "demo-paedagog@demo-kommune.example",
    ]
    _no_child_data(db, child, *(e.original_content.decode() for e in inbox.envelopes))


def test_a_shared_case_is_not_reminded(db, demo, app_env) -> None:
    world, case_id, _child, people = _world(db)
    _prepare(db, people["paedagog"], case_id, share=True)
    meeting = db.get(ForumMeeting, world.meeting_id)
    connect_services()
    engine = make_engine(app_env)
    with time_machine.travel(datetime.combine(meeting.held_on - timedelta(days=2), time(9, 0), COPENHAGEN)):
        assert run_jobs(engine, force=True)["forum_reminders"] == 0
    engine.dispose()
