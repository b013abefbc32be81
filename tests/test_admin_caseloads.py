"""Caseloads: assigning children to professionals of the child's unit, and handing a whole
caseload to a colleague in one step after a preview."""

from sqlmodel import select

from backend.people.models import Caseload, Role, RoleAssignment
from tests.admin_support import events, new_client
from tests.support import add_user, children_of_unit, login, unit_named, user_named


def _caseload(db, username: str) -> set[str]:
    db.expire_all()
    user = user_named(db, username)
    return set(db.exec(select(Caseload.child_id).where(Caseload.user_id == user.id)))


def test_a_child_is_assigned_to_a_professional_of_its_unit(client, db, demo) -> None:
    login(client, "demo-admin")
    child = children_of_unit(db, "Dagplejen Syd")[0]
    supervisor = user_named(db, "demo-dagplejepaedagog")
    response = client.post("/admin/caseloads", data={"child_id": child.id, "user_id": supervisor.id})
    assert response.status_code == 303
    assert child.id in _caseload(db, "demo-dagplejepaedagog")
    again = client.post("/admin/caseloads", data={"child_id": child.id, "user_id": supervisor.id})
    assert again.status_code == 422 and "har allerede barnet" in again.text
    outsider = user_named(db, "demo-paedagog")
    wrong_unit = client.post("/admin/caseloads", data={"child_id": child.id, "user_id": outsider.id})
    assert wrong_unit.status_code == 422 and "arbejder ikke med børn i barnets enhed" in wrong_unit.text
    page = client.get(f"/admin/caseloads?unit={unit_named(db, 'Dagplejen Syd').id}")
    assert child.name in page.text and "Lise Berg" in page.text
    entry = db.exec(
        select(Caseload).where(Caseload.child_id == child.id, Caseload.user_id == supervisor.id)
    ).one()
    assert client.post(f"/admin/caseloads/{entry.id}/delete").status_code == 303
    assert child.id not in _caseload(db, "demo-dagplejepaedagog")


def test_a_whole_caseload_is_handed_over_in_one_step_after_a_preview(client, db, demo) -> None:
    colleague = add_user(db, "sundhedsplejerske-2", Role.health_visitor, "Sundhedsplejen Nord")
    leaving = user_named(db, "demo-sundhedsplejerske")
    before = _caseload(db, "demo-sundhedsplejerske")
    assert len(before) >= 10
    login(client, "demo-admin")
    preview = client.get(f"/admin/caseloads/handover?from_user={leaving.id}&to_user={colleague.id}")
    assert preview.status_code == 200
    assert preview.text.count("Flyttes") == len(before)
    assert f"Overdrag {len(before)} børn til Sundhedsplejerske-2" in preview.text
    assert _caseload(db, "demo-sundhedsplejerske") == before  # a preview changes nothing
    done = client.post("/admin/caseloads/handover", data={"from_user": leaving.id, "to_user": colleague.id})
    assert done.status_code == 303
    assert _caseload(db, "demo-sundhedsplejerske") == set()
    assert _caseload(db, "sundhedsplejerske-2") == before
    assert len(events(db, "caseload.handover")) == len(before)
    # The colleague's "I dag" now lists them as her own children.
    from backend.people.models import Child

    mine = new_client(client.app, "sundhedsplejerske-2").get("/").text
    assert all(db.get(Child, child_id).name in mine for child_id in before)


def test_a_handover_to_someone_outside_the_unit_moves_nothing(client, db, demo) -> None:
    login(client, "demo-admin")
    leaving = user_named(db, "demo-sundhedsplejerske")
    outsider = user_named(db, "demo-paedagog")
    before = _caseload(db, "demo-sundhedsplejerske")
    preview = client.get(f"/admin/caseloads/handover?from_user={leaving.id}&to_user={outsider.id}")
    assert "modtageren arbejder ikke i enheden" in preview.text
    client.post("/admin/caseloads/handover", data={"from_user": leaving.id, "to_user": outsider.id})
    assert _caseload(db, "demo-sundhedsplejerske") == before
    same = client.post("/admin/caseloads/handover", data={"from_user": leaving.id, "to_user": leaving.id})
    assert same.status_code == 422 and "Vælg en anden medarbejder" in same.text


def test_a_leader_is_not_offered_as_a_professional(client, db, demo) -> None:
    login(client, "demo-admin")
    leader = user_named(db, "demo-leder")
    child = children_of_unit(db, "Dagplejen Syd")[0]
    response = client.post("/admin/caseloads", data={"child_id": child.id, "user_id": leader.id})
    assert response.status_code == 422
    assert db.exec(select(RoleAssignment).where(RoleAssignment.user_id == leader.id)).first()
