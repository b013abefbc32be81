"""Children as the admin keeps them: register, edit with a reason, moves that take effect on
their start date (access follows, records stay), refusals, legal hold, the purge list."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.people.models import Child, Guardian, Placement
from backend.sync.scope_changes import children_left_scope
from tests.admin_support import all_audit_text, child_with_cpr, events, new_client, on_day
from tests.support import adbb_data, child_aged, login, put_record, unit_named, user_named


def _register(client, db, **overrides):
    form = {
        "name": "Bodil Testesen",
        "birth_date": (today() - timedelta(days=60)).isoformat(),
        "unit_id": unit_named(db, "Sundhedsplejen Nord").id,
        "starts_on": (today() - timedelta(days=50)).isoformat(),
        "guardian-0-name": "Hanne Testesen",
        "guardian-0-relation": "mor",
        "guardian-0-phone": "20 30 40 50",
        "guardian-0-email": "hanne@example.com",
        "guardian-1-name": "",
    }
    form.update(overrides)
    return client.post("/admin/children", data=form)


def test_admin_registers_a_child_with_guardians_and_placement(client, db, demo) -> None:
    login(client, "demo-admin")
    birth = today() - timedelta(days=60)
    cpr = birth.strftime("%d%m%y") + "4321"
    response = _register(client, db, cpr=cpr[:6] + "-" + cpr[6:])
    assert response.status_code == 303
    assert cpr not in response.headers["location"]
    child = db.exec(select(Child).where(Child.name == "Bodil Testesen")).one()
    assert child.cpr == cpr
    assert [g.name for g in db.exec(select(Guardian).where(Guardian.child_id == child.id))] == [
        "Hanne Testesen"
    ]
    placement = db.exec(select(Placement).where(Placement.child_id == child.id)).one()
    assert placement.unit_id == unit_named(db, "Sundhedsplejen Nord").id and placement.ends_on is None
    page = client.get(response.headers["location"]).text
    assert "Bodil Testesen" in page and cpr not in page and cpr[:6] not in page
    assert cpr not in all_audit_text(db) and cpr[:6] not in all_audit_text(db)
    hv = new_client(client.app, "demo-sundhedsplejerske")
    assert hv.get(f"/api/children/{child.id}").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", "Skriv barnets navn."),
        ({"birth_date": "2025-02-30"}, "birth_date", "Skal være en dato"),
        ({"birth_date": (today() + timedelta(days=3)).isoformat()}, "birth_date", "i fremtiden"),
        ({"cpr": "1234"}, "cpr", "DDMMÅÅ-XXXX"),
        ({"cpr": "310299-1234"}, "cpr", "dato findes ikke"),
        ({"cpr": "010101-1234"}, "cpr", "passer ikke med fødselsdatoen"),
        ({"unit_id": "00000000-0000-0000-0000-000000000000"}, "unit_id", "Vælg en enhed."),
        ({"starts_on": (today() - timedelta(days=90)).isoformat()}, "starts_on", "før barnets fødselsdato"),
        ({"guardian-0-name": "", "guardian-0-phone": "22"}, "guardian-0-name", "forælderens navn"),
    ],
)
def test_bad_registrations_are_refused_in_danish_and_keep_what_was_typed(
    client, db, demo, overrides, field, message
) -> None:
    login(client, "demo-admin")
    before = len(db.exec(select(Child)).all())
    response = _register(client, db, **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="f-{field}"' in response.text and 'aria-invalid="true"' in response.text
    assert "Hanne Testesen" in response.text or field.startswith("guardian")
    if overrides.get("cpr"):  # kept as typed, to correct in place (issue 17), never in the URL
        assert f'name="cpr" type="text" value="{overrides["cpr"]}"' in response.text
    db.expire_all()
    assert len(db.exec(select(Child)).all()) == before


def test_a_cpr_number_already_in_use_is_refused(client, db, demo) -> None:
    login(client, "demo-admin")
    existing = child_with_cpr(db)
    response = _register(
        client,
        db,
        cpr=existing.cpr,
        birth_date=existing.birth_date.isoformat(),
        starts_on=existing.birth_date.isoformat(),
    )
    assert response.status_code == 422
    assert "har allerede dette CPR-nummer" in response.text


def test_editing_needs_a_reason_and_is_audited_without_the_cpr(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 1, 12)
    new_cpr = child.birth_date.strftime("%d%m%y") + "4999"
    form = {
        "name": child.name + " Jr.",
        "birth_date": child.birth_date.isoformat(),
        "cpr": new_cpr,
        "reason": "",
    }
    refused = client.post(f"/admin/children/{child.id}", data=form)
    assert refused.status_code == 422 and "Skriv en begrundelse." in refused.text
    assert child.name + " Jr." in refused.text
    assert f'value="{new_cpr}"' in refused.text  # kept after the error (issue 17)
    form["reason"] = f"Navnet var stavet forkert, jf. CPR {new_cpr}"
    saved = client.post(f"/admin/children/{child.id}", data=form)
    assert saved.status_code == 303
    db.expire_all()
    assert db.get(Child, child.id).cpr == new_cpr
    [event] = events(db, "child.update")
    assert set(event.detail["fields"]) >= {"name", "cpr"}
    assert "[CPR]" in event.detail["reason"]
    assert new_cpr not in all_audit_text(db)


def test_a_move_takes_effect_on_its_start_date_and_access_follows(client, db, demo) -> None:
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    login(client, "demo-sundhedsplejerske")
    screening = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 2))
    assert screening.status_code == 201
    record_id = screening.json()["id"]
    admin = new_client(client.app, "demo-admin")
    starts = today() + timedelta(days=10)
    moved = admin.post(
        f"/admin/children/{child.id}/placements",
        data={"unit_id": unit_named(db, "Dagplejen Syd").id, "starts_on": starts.isoformat()},
    )
    assert moved.status_code == 303, moved.text
    hv_id = user_named(db, "demo-sundhedsplejerske").id
    moment_before = datetime.now(UTC)

    with on_day(starts - timedelta(days=1)):
        hv, cm = new_client(client.app, "demo-sundhedsplejerske"), new_client(client.app, "demo-dagplejer")
        assert hv.get(f"/api/children/{child.id}").status_code == 200
        assert cm.get(f"/api/children/{child.id}").status_code == 404
        assert child.id not in children_left_scope(db, hv_id, moment_before)

    with on_day(starts):
        hv, cm = new_client(client.app, "demo-sundhedsplejerske"), new_client(client.app, "demo-dagplejer")
        assert hv.get(f"/api/children/{child.id}").status_code == 404
        seen = cm.get(f"/api/children/{child.id}")
        assert seen.status_code == 200
        assert record_id not in {r["id"] for r in seen.json()["records"]}  # records stay with their unit
        assert cm.get(f"/api/records/{record_id}").status_code == 404
        assert child.id in children_left_scope(db, hv_id, moment_before)
        assert child.id not in children_left_scope(db, user_named(db, "demo-dagplejer").id, moment_before)

    db.expire_all()
    spans = db.exec(
        select(Placement).where(Placement.child_id == child.id).order_by(Placement.starts_on)
    ).all()
    assert [(p.ends_on, p.unit_id) for p in spans][-2:] == [
        (starts, unit_named(db, "Sundhedsplejen Nord").id),
        (None, unit_named(db, "Dagplejen Syd").id),
    ]
    [event] = events(db, "placement.create")
    assert event.child_id == child.id and event.detail["starts_on"] == starts.isoformat()


def test_moving_a_child_to_its_own_unit_is_refused(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 1, 12)
    response = client.post(
        f"/admin/children/{child.id}/placements",
        data={"unit_id": unit_named(db, "Sundhedsplejen Nord").id, "starts_on": today().isoformat()},
    )
    assert response.status_code == 422
    assert "allerede indskrevet i Sundhedsplejen Nord" in response.text


def test_overlapping_placements_and_dates_before_birth_are_refused(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    cm, inst = unit_named(db, "Dagplejen Syd").id, unit_named(db, "Børnehuset Solsikken").id
    later = today() + timedelta(days=30)
    assert (
        client.post(
            f"/admin/children/{child.id}/placements", data={"unit_id": cm, "starts_on": later.isoformat()}
        ).status_code
        == 303
    )
    overlapping = client.post(
        f"/admin/children/{child.id}/placements",
        data={"unit_id": inst, "starts_on": (later - timedelta(days=5)).isoformat()},
    )
    assert (
        overlapping.status_code == 422
        and "overlapper barnets indskrivning i Dagplejen Syd" in overlapping.text
    )
    before_birth = client.post(
        f"/admin/children/{child.id}/placements",
        data={"unit_id": inst, "starts_on": (child.birth_date - timedelta(days=1)).isoformat()},
    )
    assert before_birth.status_code == 422 and "før barnets fødselsdato" in before_birth.text
    nonsense = client.post(
        f"/admin/children/{child.id}/placements", data={"unit_id": inst, "starts_on": "31-02"}
    )
    assert nonsense.status_code == 422 and "Skal være en dato" in nonsense.text
    db.expire_all()
    assert len(db.exec(select(Placement).where(Placement.child_id == child.id)).all()) == 2


def test_a_future_move_can_be_undone(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    later = today() + timedelta(days=30)
    client.post(
        f"/admin/children/{child.id}/placements",
        data={"unit_id": unit_named(db, "Dagplejen Syd").id, "starts_on": later.isoformat()},
    )
    future = db.exec(
        select(Placement).where(Placement.child_id == child.id, Placement.starts_on == later)
    ).one()
    assert client.post(f"/admin/children/{child.id}/placements/{future.id}/undo").status_code == 303
    db.expire_all()
    [only] = db.exec(select(Placement).where(Placement.child_id == child.id)).all()
    assert only.ends_on is None


def test_leaving_the_municipality_ends_the_placement(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    assert (
        client.post(f"/admin/children/{child.id}/leave", data={"leaves_on": today().isoformat()}).status_code
        == 303
    )
    hv = new_client(client.app, "demo-sundhedsplejerske")
    assert hv.get(f"/api/children/{child.id}").status_code == 404
    again = client.post(f"/admin/children/{child.id}/leave", data={"leaves_on": today().isoformat()})
    assert again.status_code == 422


def test_legal_hold_is_set_and_cleared_with_a_reason(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    missing = client.post(f"/admin/children/{child.id}/legal-hold", data={"hold": "on", "hold_reason": ""})
    assert missing.status_code == 422 and "Skriv en begrundelse." in missing.text
    assert (
        client.post(
            f"/admin/children/{child.id}/legal-hold", data={"hold": "on", "hold_reason": "Klagesag verserer"}
        ).status_code
        == 303
    )
    db.expire_all()
    assert db.get(Child, child.id).legal_hold is True
    assert (
        client.post(
            f"/admin/children/{child.id}/legal-hold", data={"hold": "", "hold_reason": "Sagen er afgjort"}
        ).status_code
        == 303
    )
    db.expire_all()
    assert db.get(Child, child.id).legal_hold is False
    assert [e.detail["reason"] for e in events(db, "child.legal_hold_set")] == ["Klagesag verserer"]
    assert len(events(db, "child.legal_hold_cleared")) == 1


def test_a_cpr_number_typed_into_the_search_is_not_searched(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_with_cpr(db)
    page = client.post("/admin/children/search", data={"q": child.cpr}).text
    assert "CPR-numre søges ikke" in page and child.name not in page


def test_another_municipalitys_child_is_not_found(client, db, demo) -> None:
    from backend.people.models import Municipality

    other = Municipality(name="Anden Kommune")
    db.add(other)
    db.flush()
    stranger = Child(municipality_id=other.id, name="Fremmed", birth_date=today() - timedelta(days=100))
    db.add(stranger)
    db.commit()
    login(client, "demo-admin")
    assert client.get(f"/admin/children/{stranger.id}").status_code == 404
    assert client.get(f"/api/export/children/{stranger.id}").status_code == 404


def test_a_form_shown_again_keeps_the_cpr_and_offers_only_the_chosen_units_rooms(client, db, demo) -> None:
    """Issue 17 (13): after an error the CPR number stays as typed and the rooms fit the unit."""
    from backend.people.models import Room

    login(client, "demo-admin")
    chosen = unit_named(db, "Børnehuset Solsikken")
    rooms = db.exec(select(Room)).all()
    own = [r for r in rooms if r.unit_id == chosen.id]
    other = [r for r in rooms if r.unit_id != chosen.id]
    assert own and other
    birth = today() - timedelta(days=900)
    cpr = birth.strftime("%d%m%y") + "-4321"
    response = _register(client, db, name="", cpr=cpr, birth_date=birth.isoformat(), unit_id=chosen.id)
    assert response.status_code == 422
    assert f'value="{cpr}"' in response.text
    assert all(f'value="{r.id}"' in response.text for r in own)
    assert not any(f'value="{r.id}"' in response.text for r in other)
