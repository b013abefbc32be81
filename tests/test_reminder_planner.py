"""Which reminders are made when: the morning overview, short deadlines, rounds — once each."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from backend.db import new_session
from backend.domain.dates import COPENHAGEN
from backend.people.models import Municipality
from backend.records.models import Task
from backend.reminders.models import PushSend, PushSubscription, ReminderDelivery
from backend.reminders.planner import plan_reminders
from tests.support import login, unit_named, user_named

TUESDAY = date(2026, 11, 24)
HV = "Sundhedsplejen Nord"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=COPENHAGEN)


def plan(moment: datetime) -> None:
    with new_session() as session:
        plan_reminders(session, moment)
        session.commit()


def subscribe(db, username: str, name: str = "phone") -> PushSubscription:
    subscription = PushSubscription(
        user_id=user_named(db, username).id,
        endpoint=f"http://127.0.0.1:9/push/{username}/{name}",
        endpoint_hash=f"{username}-{name}".ljust(64, "0")[:64],
        p256dh="x",
        auth="y",
    )
    db.add(subscription)
    db.commit()
    return subscription


def add_task(db, kind: str, due_on: date, username: str | None, unit: str = HV, **params) -> Task:
    task = Task(
        key=f"test:{kind}:{due_on}:{username}:{len(db.exec(select(Task)).all())}",
        kind=kind,
        unit_id=unit_named(db, unit).id,
        assignee_id=user_named(db, username).id if username else None,
        due_on=due_on,
        params=params,
    )
    db.add(task)
    db.commit()
    return task


def deliveries(db, username: str | None = None) -> list[ReminderDelivery]:
    db.expire_all()
    query = select(ReminderDelivery).order_by(ReminderDelivery.created_at, ReminderDelivery.key)
    if username:
        query = query.where(ReminderDelivery.user_id == user_named(db, username).id)
    return list(db.exec(query).all())


def test_the_overview_goes_out_at_the_digest_time_once_a_day(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    add_task(db, "adbb_first", TUESDAY + timedelta(days=2), "demo-sundhedsplejerske")
    add_task(db, "adbb_second", TUESDAY - timedelta(days=1), "demo-sundhedsplejerske")
    plan(at(TUESDAY, 7, 29))
    assert deliveries(db) == []
    plan(at(TUESDAY, 7, 30))
    plan(at(TUESDAY, 7, 31))
    plan(at(TUESDAY, 15, 0))
    (digest,) = deliveries(db)
    assert (digest.key, digest.kind, digest.status, digest.url) == (
        "digest:2026-11-24",
        "digest",
        "queued",
        "/tasks",
    )
    assert digest.body == "1 ADBB-screening er forfalden\n1 ADBB-screening forfalder denne uge"
    assert len(db.exec(select(PushSend)).all()) == 1
    plan(at(TUESDAY + timedelta(days=1), 7, 30))
    assert [d.key for d in deliveries(db)] == ["digest:2026-11-24", "digest:2026-11-25"]


def test_the_digest_time_is_the_municipalitys(demo, db) -> None:
    municipality = db.exec(select(Municipality)).one()
    municipality.settings = {"digest_time": "09:15"}
    db.add(municipality)
    db.commit()
    subscribe(db, "demo-sundhedsplejerske")
    add_task(db, "adbb_first", TUESDAY, "demo-sundhedsplejerske")
    plan(at(TUESDAY, 9, 14))
    assert deliveries(db) == []
    plan(at(TUESDAY, 9, 15))
    assert len(deliveries(db)) == 1


def test_no_reminders_at_weekends_on_holidays_or_at_night(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    follow_up = add_task(db, "adbb_follow_up", date(2026, 4, 7), "demo-sundhedsplejerske")
    for moment in (
        at(date(2026, 11, 28), 9),  # Saturday
        at(date(2026, 11, 29), 9),  # Sunday
        at(date(2026, 4, 6), 9),  # Easter Monday
        at(date(2026, 12, 25), 9),  # Christmas Day
        at(TUESDAY, 20, 0),
        at(TUESDAY, 23, 30),
        at(TUESDAY + timedelta(days=1), 6, 59),
    ):
        plan(moment)
    assert deliveries(db) == []
    plan(at(date(2026, 4, 7), 7, 30))  # the Tuesday after Easter
    assert [(d.key, d.status) for d in deliveries(db)] == [
        ("digest:2026-04-07", "queued"),
        (f"urgent:{follow_up.id}", "merged"),
    ]


def test_the_first_morning_after_the_spring_switch_is_07_30_copenhagen_time(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    add_task(db, "adbb_first", date(2026, 3, 31), "demo-sundhedsplejerske")
    plan(datetime.fromisoformat("2026-03-30T05:29:00+00:00"))
    assert deliveries(db) == []
    plan(datetime.fromisoformat("2026-03-30T05:30:00+00:00"))
    assert [d.key for d in deliveries(db)] == ["digest:2026-03-30"]


def test_only_users_with_a_subscription_get_reminders(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    add_task(db, "adbb_first", TUESDAY, "demo-sundhedsplejerske")
    add_task(db, "round_assessment", TUESDAY, "demo-dagplejer", unit="Dagplejen Syd")
    plan(at(TUESDAY, 8))
    assert {d.user_id for d in deliveries(db)} == {user_named(db, "demo-sundhedsplejerske").id}


def test_nothing_to_tell_is_not_pushed(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    add_task(db, "adbb_first", TUESDAY + timedelta(days=30), "demo-sundhedsplejerske")
    plan(at(TUESDAY, 8))
    (digest,) = deliveries(db)
    assert digest.status == "empty"
    assert db.exec(select(PushSend)).all() == []


def test_a_short_deadline_after_the_overview_gets_its_own_push_once(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    plan(at(TUESDAY, 7, 30))  # an empty morning
    follow_up = add_task(db, "adbb_follow_up", TUESDAY + timedelta(days=3), "demo-sundhedsplejerske")
    add_task(db, "adbb_first", TUESDAY + timedelta(days=1), "demo-sundhedsplejerske")  # not urgent kind
    plan(at(TUESDAY, 11))
    plan(at(TUESDAY, 11, 1))
    plan(at(TUESDAY + timedelta(days=1), 11))
    urgent = [d for d in deliveries(db) if d.kind == "urgent"]
    assert [(d.key, d.status, d.title) for d in urgent] == [
        (f"urgent:{follow_up.id}", "queued", "Ny opgave med kort frist")
    ]
    assert urgent[0].body == "ADBB-screeninger: frist 27. november"


def test_a_short_deadline_known_before_the_overview_is_told_by_it(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    follow_up = add_task(db, "adbb_follow_up", TUESDAY + timedelta(days=1), "demo-sundhedsplejerske")
    plan(at(TUESDAY, 7, 0))
    assert deliveries(db) == []  # before the digest time: wait for the overview
    plan(at(TUESDAY, 7, 30))
    plan(at(TUESDAY, 8))
    assert [(d.key, d.status) for d in deliveries(db)] == [
        ("digest:2026-11-24", "queued"),
        (f"urgent:{follow_up.id}", "merged"),
    ]


def test_several_new_short_deadlines_are_one_push(demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    plan(at(TUESDAY, 7, 30))
    add_task(db, "adbb_follow_up", TUESDAY + timedelta(days=2), "demo-sundhedsplejerske")
    add_task(db, "notification_receipt", TUESDAY, "demo-sundhedsplejerske")
    plan(at(TUESDAY, 12))
    made = [d for d in deliveries(db) if d.kind == "urgent"]
    assert sorted(d.status for d in made) == ["merged", "queued"]
    queued = next(d for d in made if d.status == "queued")
    assert queued.title == "Nye påmindelser" and len(queued.body.splitlines()) == 2


def test_round_reminders_when_it_opens_and_when_it_closes(demo, db) -> None:
    subscribe(db, "demo-dagplejer")
    opens, closes = TUESDAY, TUESDAY + timedelta(days=35)
    task = add_task(
        db,
        "round_assessment",
        closes,
        "demo-dagplejer",
        unit="Dagplejen Syd",
        opens_on=opens.isoformat(),
        remaining=4,
    )
    plan(at(opens, 7, 30))
    plan(at(opens + timedelta(days=1), 10))
    plan(at(closes - timedelta(days=7), 10))
    keyed = {d.key: d for d in deliveries(db)}
    assert keyed[f"round_opens:{task.id}"].status == "queued"
    assert keyed[f"round_opens:{task.id}"].title == "En trivselsrunde er åbnet"
    closing = keyed[f"round_closing:{task.id}"]
    assert closing.status == "queued"  # due next week: not in that morning's overview
    assert closing.body.startswith("4 børn mangler din vurdering")


def test_leaders_are_reminded_of_their_units_unassigned_tasks(demo, db) -> None:
    subscribe(db, "demo-leder")
    review = add_task(db, "abuse_path_review", TUESDAY, None)
    add_task(db, "adbb_first", TUESDAY, "demo-sundhedsplejerske")  # the health visitor's own
    plan(at(TUESDAY, 7, 30))
    digest, told = deliveries(db, "demo-leder")
    assert digest.body == "1 anden opgave forfalder denne uge"
    assert (told.key, told.status) == (f"urgent:{review.id}", "merged")


def test_a_user_chooses_which_reminders_to_get(client, demo, db) -> None:
    subscribe(db, "demo-sundhedsplejerske")
    add_task(db, "adbb_follow_up", TUESDAY + timedelta(days=1), "demo-sundhedsplejerske")
    add_task(db, "notification_receipt", TUESDAY + timedelta(days=8), "demo-sundhedsplejerske")
    login(client, "demo-sundhedsplejerske")
    response = client.post("/me/reminders", data={"groups": ["other", "meetings"], "digest": "1"})
    assert response.status_code == 303
    db.expire_all()
    assert user_named(db, "demo-sundhedsplejerske").preferences["reminders"] == {
        "groups": ["meetings", "other"],
        "digest": True,
        "urgent": False,
    }
    page = client.get("/me/reminders").text
    assert 'value="adbb">' in page and 'value="other" checked>' in page
    plan(at(TUESDAY, 7, 30))
    plan(at(TUESDAY + timedelta(days=6), 9))
    assert [(d.key, d.status, d.body) for d in deliveries(db)] == [
        ("digest:2026-11-24", "empty", ""),  # only ADBB due this week: not chosen
        ("digest:2026-11-30", "queued", "1 anden opgave forfalder denne uge"),
    ]
