"""The demo municipality: idempotent, ~40 children aged 0–6 across the three units."""

from sqlalchemy import func
from sqlmodel import select

from backend.domain.dates import age_in_years, today
from backend.people.demo import DEMO_LOGINS, load_demo_data
from backend.people.models import Child, Guardian, Municipality, User
from tests.support import children_of_unit


def test_demo_data_is_idempotent(db, demo) -> None:
    assert load_demo_data(db) is False
    assert db.exec(select(func.count()).select_from(Municipality)).one() == 1


def test_demo_has_forty_children_aged_zero_to_six_in_every_unit(db, demo) -> None:
    children = db.exec(select(Child)).all()
    assert 38 <= len(children) <= 45
    ages = {age_in_years(child.birth_date, today()) for child in children}
    assert ages == {0, 1, 2, 3, 4, 5, 6}
    for unit in ("Sundhedsplejen Nord", "Dagplejen Syd", "Børnehuset Solsikken"):
        assert len(children_of_unit(db, unit)) >= 8
    assert all(db.exec(select(Guardian).where(Guardian.child_id == c.id)).first() for c in children)


def test_demo_has_the_six_logins_of_the_contract(db, demo) -> None:
    usernames = {u.username for u in db.exec(select(User).where(User.is_demo)).all()}
    assert {login for login, _name, _label in DEMO_LOGINS} <= usernames
    assert len(DEMO_LOGINS) == 6


def test_full_demo_has_records_made_through_the_write_path(db, demo_full) -> None:
    from backend.records.models import Record, RecordVersion, Task

    records = db.exec(select(Record)).all()
    assert {"adbb", "concern_note", "notification"} <= {r.type for r in records}
    assert db.exec(select(func.count()).select_from(RecordVersion)).one() >= len(records)
    assert db.exec(select(Task)).first() is not None  # the rules ran
