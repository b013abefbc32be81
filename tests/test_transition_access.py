"""Records stay with their unit (domain §7): when a child moves, only the consented transition
description crosses to the new unit; the old unit no longer sees the child at all."""

from datetime import timedelta

from sqlmodel import select

from backend.domain.dates import today
from backend.people.models import Placement
from backend.records.models import EvaluationRound
from tests.support import adbb_data, add_user, child_aged, login, put_record, unit_named, user_named
from tests.test_transitions import consent

HEALTH_VISITOR = "demo-sundhedsplejerske"
NOTE = "Mor virker presset og sover dårligt (fortroligt notat)."


def _health_visiting_records(client, db, child) -> dict[str, str]:
    """What the health visitor wrote: a screening, a concern note, a well-being mark and the
    transition description the parents consented to hand over to the childminding group."""
    login(client, HEALTH_VISITOR)
    evaluation_round = EvaluationRound(
        unit_id=unit_named(db, "Sundhedsplejen Nord").id,
        name="Efterår",
        opens_on=today() - timedelta(days=30),
        closes_on=today() + timedelta(days=5),
        created_by_id=user_named(db, "demo-leder").id,
    )
    db.add(evaluation_round)
    db.commit()
    mark = {
        "round_id": evaluation_round.id,
        "kind": "individual",
        "areas": dict.fromkeys(("cognitive", "emotional", "social", "physical"), "extra_attention"),
        "overall": "extra_attention",
        "context": "concern",
    }
    ids = {
        "adbb": put_record(
            client, "adbb", child.id, adbb_data((today() - timedelta(days=10)).isoformat(), 6)
        ),
        "concern_note": put_record(
            client, "concern_note", child.id, {"observed_on": today().isoformat(), "text": NOTE}
        ),
        "wellbeing": put_record(client, "wellbeing", child.id, mark),
        "transition": put_record(
            client,
            "transition",
            child.id,
            {
                "to_unit_id": unit_named(db, "Dagplejen Syd").id,
                "starts_on": today().isoformat(),
                "parents_part": {"about_child": "Glad dreng, der elsker at bade."},
            },
        ),
    }
    for record_type, response in ids.items():
        assert response.status_code == 201, (record_type, response.text)
    ids = {record_type: response.json()["id"] for record_type, response in ids.items()}
    assert put_record(client, "consent", child.id, consent(db, child, ids["transition"])).status_code == 201
    return ids


def _move(db, child, unit_name: str) -> None:
    """The child starts in the new unit on the transition's start date (today)."""
    current = db.exec(
        select(Placement).where(Placement.child_id == child.id, Placement.ends_on.is_(None))
    ).one()
    current.ends_on = today()
    db.add(current)
    db.add(Placement(child_id=child.id, unit_id=unit_named(db, unit_name).id, starts_on=today()))
    db.commit()


def test_a_moved_child_brings_only_the_consented_description_to_the_new_unit(client, demo, db) -> None:
    add_user(db, "leder-nord", "leader", "Sundhedsplejen Nord")
    add_user(db, "leder-syd", "leader", "Dagplejen Syd")
    child = child_aged(db, "Sundhedsplejen Nord", 9, 13)
    ids = _health_visiting_records(client, db, child)
    hidden = [ids["adbb"], ids["concern_note"], ids["wellbeing"]]

    # Before the start: the childminding group sees the description of a child still to come.
    login(client, "demo-dagplejer")
    assert client.get(f"/api/records/{ids['transition']}").status_code == 200
    assert client.get(f"/api/children/{child.id}").status_code == 404
    incoming = client.get(f"/children/{child.id}").text
    assert "kommer til jeres enhed" in incoming and NOTE not in incoming

    _move(db, child, "Dagplejen Syd")

    for username in ("demo-dagplejer", "demo-dagplejepaedagog", "leder-syd"):
        login(client, username)
        records = client.get(f"/api/children/{child.id}").json()["records"]
        assert [r["id"] for r in records] == [ids["transition"]], username
        assert client.get(f"/api/records/{ids['transition']}").status_code == 200
        for record_id in hidden:
            assert client.get(f"/api/records/{record_id}").status_code == 404, (username, record_id)
            assert client.get(f"/records/{record_id}").status_code == 404
        page = client.get(f"/children/{child.id}").text
        assert NOTE not in page and "ADBB-screeninger" not in page and "Glad dreng" not in page
        assert "Overgangsbeskrivelse" in page

    for username in (HEALTH_VISITOR, "leder-nord"):
        login(client, username)
        assert client.get(f"/api/children/{child.id}").status_code == 404
        assert client.get(f"/children/{child.id}").status_code == 404
        assert child.id not in {c["id"] for c in client.get("/api/children").json()}
        for record_id in [*hidden, ids["transition"]]:
            assert client.get(f"/api/records/{record_id}").status_code == 404, (username, record_id)


def test_after_the_move_the_new_units_leader_has_the_evaluation_task(client, demo, db) -> None:
    add_user(db, "leder-syd", "leader", "Dagplejen Syd")
    child = child_aged(db, "Sundhedsplejen Nord", 9, 13)
    ids = _health_visiting_records(client, db, child)
    _move(db, child, "Dagplejen Syd")
    login(client, "leder-syd")
    tasks = {t["kind"]: t for t in client.get("/api/tasks").json() if t["child_id"] == child.id}
    assert set(tasks) == {"transition_arrived", "transition_evaluation"}
    assert tasks["transition_evaluation"]["record_id"] == ids["transition"]


def test_without_consent_nothing_crosses_even_after_the_move(client, demo, db) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 9, 13)
    login(client, HEALTH_VISITOR)
    record = put_record(
        client,
        "transition",
        child.id,
        {"to_unit_id": unit_named(db, "Dagplejen Syd").id, "starts_on": today().isoformat()},
    ).json()
    put_record(client, "consent", child.id, consent(db, child, record["id"], state="refused"))
    _move(db, child, "Dagplejen Syd")
    login(client, "demo-dagplejer")
    assert client.get(f"/api/children/{child.id}").json()["records"] == []
    assert client.get(f"/api/records/{record['id']}").status_code == 404
