"""Creating a forum and managing its members (issue 16): a leader for their own units, the admin
municipality-wide; errors name and link the field; every change audited."""

from __future__ import annotations

from sqlmodel import select

from backend.people.forum_models import Forum, ForumMember
from backend.people.models import Role, RoleAssignment, Unit
from tests.admin_support import events
from tests.forum_support import user_named
from tests.support import login, unit_named


def _csrf(client) -> dict:
    return {"csrf_token": client.headers["X-CSRF-Token"]}


def _other_unit(db) -> Unit:
    """A unit of the demo municipality that demo-leder does not lead."""
    solsikken = unit_named(db, "Børnehuset Solsikken")
    unit = Unit(municipality_id=solsikken.municipality_id, kind=solsikken.kind, name="Børnehuset Mælkebøtten")
    db.add(unit)
    db.commit()
    return unit


def _members(db, forum_id: str) -> dict[str, str]:
    db.expire_all()
    rows = db.exec(select(ForumMember).where(ForumMember.forum_id == forum_id))
    return {member.user_id: member.role for member in rows}


def test_a_leader_creates_a_forum_for_their_units_only(client, db, demo) -> None:
    other = _other_unit(db)
    solsikken = unit_named(db, "Børnehuset Solsikken")
    login(client, "demo-leder")
    listing = client.get("/forums")
    assert 'href="/forums/new"' in listing.text
    form = client.get("/forums/new")
    assert form.status_code == 200 and "Børnehuset Solsikken" in form.text
    assert "Mælkebøtten" not in form.text
    empty = client.post("/forums/new", data={**_csrf(client), "name": "", "kind": "resource_team"})
    assert (
        empty.status_code == 422 and 'href="#f-name"' in empty.text and "Giv forummet et navn" in empty.text
    )
    no_units = client.post("/forums/new", data={**_csrf(client), "name": "Fokusteam", "kind": "focus_team"})
    assert no_units.status_code == 422 and 'href="#f-unit_ids"' in no_units.text
    assert 'value="Fokusteam"' in no_units.text  # keeps what was typed
    foreign = client.post(
        "/forums/new",
        data={
            **_csrf(client),
            "name": "Fokusteam",
            "kind": "focus_team",
            "unit_ids": [solsikken.id, other.id],
        },
    )
    assert foreign.status_code == 422 and "leder af" in foreign.text
    assert db.exec(select(Forum).where(Forum.name == "Fokusteam")).all() == []
    made = client.post(
        "/forums/new",
        data={**_csrf(client), "name": "Fokusteam", "kind": "focus_team", "unit_ids": [solsikken.id]},
    )
    assert made.status_code == 303
    forum = db.exec(select(Forum).where(Forum.name == "Fokusteam")).one()
    assert made.headers["location"] == f"/forums/{forum.id}/members"
    assert forum.unit_ids == [solsikken.id] and forum.kind == "focus_team"
    assert _members(db, forum.id) == {user_named(db, "demo-leder").id: "convener"}
    assert [e.object_id for e in events(db, "forum.create")] == [forum.id]
    assert f'href="/forums/{forum.id}/members"' in client.get("/forums").text


def test_members_are_added_and_removed_with_their_role_checked(client, db, demo) -> None:
    solsikken = unit_named(db, "Børnehuset Solsikken")
    login(client, "demo-leder")
    client.post(
        "/forums/new",
        data={**_csrf(client), "name": "Ressourceteam", "kind": "resource_team", "unit_ids": [solsikken.id]},
    )
    forum = db.exec(select(Forum).where(Forum.name == "Ressourceteam")).one()
    url = f"/forums/{forum.id}/members"
    partner = user_named(db, "demo-raadgiver")
    pedagogue = user_named(db, "demo-paedagog")
    page = client.get(url)
    assert (
        page.status_code == 200 and partner.display_name in page.text and pedagogue.display_name in page.text
    )
    # A pedagogue is no partner; a partner needs a title.
    wrong = client.post(url, data={**_csrf(client), "role": "partner", "user_id": pedagogue.id, "title": "X"})
    assert wrong.status_code == 422 and 'href="#f-user_id"' in wrong.text
    untitled = client.post(url, data={**_csrf(client), "role": "partner", "user_id": partner.id, "title": ""})
    assert untitled.status_code == 422 and 'href="#f-title"' in untitled.text
    added = client.post(
        url, data={**_csrf(client), "role": "partner", "user_id": partner.id, "title": "PPR-psykolog"}
    )
    assert added.status_code == 303
    client.post(url, data={**_csrf(client), "role": "internal", "user_id": pedagogue.id, "title": ""})
    assert _members(db, forum.id)[partner.id] == "partner"
    assert _members(db, forum.id)[pedagogue.id] == "internal"
    assert len(events(db, "forum.member.add")) == 2
    assert "PPR-psykolog" in client.get(url).text
    # The only convener cannot be removed; a partner can.
    convener = db.exec(
        select(ForumMember).where(ForumMember.forum_id == forum.id, ForumMember.role == "convener")
    ).one()
    kept = client.post(f"{url}/{convener.id}/remove", data=_csrf(client))
    assert kept.status_code == 422 and "mødeindkalder" in kept.text
    member_id = db.exec(select(ForumMember.id).where(ForumMember.user_id == partner.id)).one()
    removed = client.post(f"{url}/{member_id}/remove", data=_csrf(client))
    assert removed.status_code == 303 and partner.id not in _members(db, forum.id)
    assert [e.object_id for e in events(db, "forum.member.remove")] == [member_id]
    renamed = client.post(
        f"/forums/{forum.id}/settings",
        data={
            **_csrf(client),
            "name": "Ressourceteam Solsikken",
            "kind": "resource_team",
            "unit_ids": [solsikken.id],
        },
    )
    assert renamed.status_code == 303 and len(events(db, "forum.update")) == 1
    db.expire_all()
    assert db.get(Forum, forum.id).name == "Ressourceteam Solsikken"


def test_the_admin_creates_a_forum_and_names_its_convener(client, db, demo) -> None:
    other = _other_unit(db)
    solsikken = unit_named(db, "Børnehuset Solsikken")
    leader = user_named(db, "demo-leder")
    login(client, "demo-admin")
    assert 'href="/forums/new"' in client.get("/forums").text
    assert "Mælkebøtten" in client.get("/forums/new").text
    base = {**_csrf(client), "name": "ADBB-supervision", "kind": "adbb_supervision"}
    no_convener = client.post("/forums/new", data={**base, "unit_ids": [solsikken.id, other.id]})
    assert no_convener.status_code == 422 and 'href="#f-convener_id"' in no_convener.text
    made = client.post(
        "/forums/new", data={**base, "unit_ids": [solsikken.id, other.id], "convener_id": leader.id}
    )
    assert made.status_code == 303
    forum = db.exec(select(Forum).where(Forum.name == "ADBB-supervision")).one()
    assert sorted(forum.unit_ids) == sorted([solsikken.id, other.id])
    assert _members(db, forum.id) == {leader.id: "convener"}
    assert client.get(f"/forums/{forum.id}/members").status_code == 200


def test_who_may_not_manage_a_forum(client, db, demo) -> None:
    other = _other_unit(db)
    solsikken = unit_named(db, "Børnehuset Solsikken")
    outsider = user_named(db, "demo-paedagog")
    db.add(RoleAssignment(user_id=outsider.id, role=Role.leader, unit_id=other.id))
    db.commit()
    login(client, "demo-leder")
    client.post(
        "/forums/new",
        data={**_csrf(client), "name": "Ressourceteam", "kind": "resource_team", "unit_ids": [solsikken.id]},
    )
    forum = db.exec(select(Forum).where(Forum.name == "Ressourceteam")).one()
    for username in ("demo-raadgiver", "demo-sundhedsplejerske"):
        client.cookies.clear()
        login(client, username)
        assert client.get(f"/forums/{forum.id}/members").status_code == 404
        assert client.get("/forums/new").status_code == 404
        refused = client.post(
            f"/forums/{forum.id}/members",
            data={**_csrf(client), "role": "partner", "user_id": outsider.id, "title": "X"},
        )
        assert refused.status_code == 404
    assert events(db, "forum.member.add") == []
