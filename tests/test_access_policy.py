"""The access matrix of domain §7: every role × child category × child route."""

import pyotp
import pytest

from backend.auth.passwords import hash_password
from backend.people.models import Child, Municipality, Placement, Role, RoleAssignment, Unit, User
from tests.support import children_of_unit, give_totp, login, moved_child, unit_named

CHILD_ROUTES = ["/children/{id}", "/api/children/{id}"]

# username → {child category: expected status}
MATRIX = {
    "demo-sundhedsplejerske": {"hv": 200, "cm": 404, "inst": 404, "moved": 404, "other": 404},
    "demo-dagplejer": {"hv": 404, "cm": 200, "inst": 404, "moved": 200, "other": 404},
    "demo-dagplejepaedagog": {"hv": 404, "cm": 200, "inst": 404, "moved": 200, "other": 404},
    "demo-paedagog": {"hv": 404, "cm": 404, "inst": 200, "moved": 404, "other": 404},
    "demo-leder": {"hv": 200, "cm": 200, "inst": 200, "moved": 200, "other": 404},
    "demo-admin": {"hv": 404, "cm": 404, "inst": 404, "moved": 404, "other": 404},
    "leder-kun-dagpleje": {"hv": 404, "cm": 200, "inst": 404, "moved": 200, "other": 404},
}


@pytest.fixture
def children(db, demo) -> dict[str, str]:
    moved = moved_child(db)
    cm = next(c for c in children_of_unit(db, "Dagplejen Syd") if c.id != moved.id)
    other_municipality = Municipality(name="Anden Kommune")
    db.add(other_municipality)
    db.flush()
    other_unit = Unit(municipality_id=other_municipality.id, kind="health_visiting", name="Andet")
    other_child = Child(
        municipality_id=other_municipality.id, name="Fremmed Barn", birth_date=moved.birth_date
    )
    db.add_all([other_unit, other_child])
    db.flush()
    # Even placed in a demo unit id, a child of another municipality stays out of scope.
    db.add(
        Placement(
            child_id=other_child.id, unit_id=unit_named(db, "Dagplejen Syd").id, starts_on=moved.birth_date
        )
    )
    leader = User(
        municipality_id=unit_named(db, "Dagplejen Syd").municipality_id,
        username="leder-kun-dagpleje",
        display_name="Leder",
        is_demo=False,
        password_hash=hash_password("demo"),
    )
    db.add(leader)
    db.flush()
    db.add(RoleAssignment(user_id=leader.id, role=Role.leader, unit_id=unit_named(db, "Dagplejen Syd").id))
    db.commit()
    leader_secret = give_totp(db, leader.id)
    return {
        "leader_secret": leader_secret,
        "hv": children_of_unit(db, "Sundhedsplejen Nord")[0].id,
        "cm": cm.id,
        "inst": children_of_unit(db, "Børnehuset Solsikken")[0].id,
        "moved": moved.id,
        "other": other_child.id,
    }


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_child_routes_follow_the_access_matrix(client, children, username: str) -> None:
    code = pyotp.TOTP(children["leader_secret"]).now() if not username.startswith("demo-") else None
    login(client, username, code=code)
    listed = {child["id"] for child in client.get("/api/children").json()}
    for category, expected in MATRIX[username].items():
        child_id = children[category]
        assert (child_id in listed) == (expected == 200), (username, category, "list")
        for route in CHILD_ROUTES:
            response = client.get(route.format(id=child_id), headers={"accept": "text/html"})
            assert response.status_code == expected, (username, category, route)


def test_out_of_scope_and_unknown_answer_the_same(client, children) -> None:
    login(client, "demo-sundhedsplejerske")
    out_of_scope = client.get(f"/api/children/{children['inst']}")
    unknown = client.get("/api/children/00000000-0000-0000-0000-000000000000")
    assert out_of_scope.status_code == unknown.status_code == 404
    assert out_of_scope.json() == unknown.json()


def test_child_list_and_detail_never_contain_cpr(client, demo, db) -> None:
    login(client, "demo-leder")
    with_cpr = [c for c in db.exec(__import__("sqlmodel").select(Child)).all() if c.cpr]
    assert with_cpr
    body = client.get("/api/children").text
    for child in with_cpr:
        assert child.cpr not in body
        assert child.cpr[:6] + "-" + child.cpr[6:] not in body
        detail = client.get(f"/api/children/{child.id}").text
        page = client.get(f"/children/{child.id}").text
        assert child.cpr not in detail and child.cpr not in page
        # The last four digits in no text of the page (ids are random hex and may hold them).
        ids = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        assert child.cpr[6:] not in __import__("re").sub(ids, "", page)


def test_children_placed_in_the_future_are_not_yet_visible(client, demo, db) -> None:
    from datetime import timedelta

    from backend.domain.dates import today

    login(client, "demo-paedagog")
    incoming = children_of_unit(db, "Dagplejen Syd")[0]
    db.add(
        Placement(
            child_id=incoming.id,
            unit_id=unit_named(db, "Børnehuset Solsikken").id,
            starts_on=today() + timedelta(days=3),
        )
    )
    db.commit()
    assert client.get(f"/api/children/{incoming.id}").status_code == 404


# --- partners (domain §11): every child route × in-agenda, expired, unshared, never on an agenda ---

PARTNER_ROUTES = {
    "/api/children/{id}": {"in_agenda": 200, "expired": 404, "unshared": 404, "never": 404},
    "/children/{id}": {"in_agenda": 200, "expired": 404, "unshared": 404, "never": 404},
    # Nothing else of the child: not the FHIR export, not the records.
    "/api/fhir/children/{id}": {"in_agenda": 404, "expired": 404, "unshared": 404, "never": 404},
}


@pytest.fixture
def partner_children(db, demo):
    from datetime import timedelta

    from backend.domain.dates import today
    from tests.forum_support import forum_world, past_meeting, shared_case

    world = forum_world(db)
    unit_id = unit_named(db, "Børnehuset Solsikken").id
    in_agenda, expired, unshared, never = world.children
    shared_case(db, world.meeting_id, in_agenda, unit_id, world.leader_id)
    shared_case(db, world.meeting_id, unshared, unit_id, world.leader_id, shared=False)
    # Held 15 days ago: the default 14 days of access are over.
    old = past_meeting(db, world.forum_id, today() - timedelta(days=15), world.leader_id)
    shared_case(db, old, expired, unit_id, world.leader_id)
    db.commit()
    return world, {"in_agenda": in_agenda, "expired": expired, "unshared": unshared, "never": never}


def test_a_partner_sees_only_the_shared_cases_of_their_meetings(client, db, partner_children) -> None:
    world, children = partner_children
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    listed = [child["id"] for child in client.get("/api/children").json()]
    assert listed == [children["in_agenda"]]
    for route, expected in PARTNER_ROUTES.items():
        for category, status in expected.items():
            response = client.get(route.format(id=children[category]), headers={"accept": "text/html"})
            assert response.status_code == status, (route, category)
    detail = client.get(f"/api/children/{children['in_agenda']}").json()
    # Only the forum case: no journal, no guardians, no tasks.
    assert set(detail) == {"id", "name", "birth_date", "unit_id", "age_months", "forum_cases"}
    assert detail["forum_cases"][0]["preparation"]["question"]
    # A child of the partner's unit who is on no agenda stays hidden, as does anything else.
    other = children_of_unit(db, "Børnehuset Solsikken")[5].id
    assert client.get(f"/api/children/{other}").status_code == 404
    assert client.get("/api/children/not-an-id").status_code == 404


def test_a_partners_reads_are_audited(client, db, partner_children) -> None:
    from sqlmodel import select

    from backend.audit import AuditEvent

    world, children = partner_children
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    client.get("/api/children")
    client.get(f"/api/children/{children['in_agenda']}")
    actions = [
        e.action for e in db.exec(select(AuditEvent).where(AuditEvent.child_id == children["in_agenda"]))
    ]
    assert "child.list" in actions and "child.read" in actions


def test_the_municipal_setting_lengthens_a_partners_access(client, db, partner_children) -> None:
    from backend.people.models import Municipality

    world, children = partner_children
    municipality = db.get(Municipality, unit_named(db, "Børnehuset Solsikken").municipality_id)
    municipality.settings = {**municipality.settings, "forum_access_days": 30}
    db.add(municipality)
    db.commit()
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    assert client.get(f"/api/children/{children['expired']}").status_code == 200
    assert client.get(f"/api/children/{children['unshared']}").status_code == 404


def test_a_cancelled_meeting_gives_no_access(client, db, partner_children) -> None:
    from backend.people.forum_models import ForumMeeting

    world, children = partner_children
    meeting = db.get(ForumMeeting, world.meeting_id)
    meeting.status = "cancelled"
    db.add(meeting)
    db.commit()
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    assert client.get("/api/children").json() == []
    assert client.get(f"/api/children/{children['in_agenda']}").status_code == 404


@pytest.mark.parametrize("scope_of", ["forum", "meeting"])
def test_a_withdrawn_consent_ends_the_partners_access(client, db, partner_children, scope_of) -> None:
    """Issue 16: the partner reads a child only while the parents' consent the case rests on holds —
    a withdrawal recorded after the case was put on the agenda (of the forum, or of the meeting)
    ends it at once."""
    from tests.forum_support import give_forum_consent

    world, children = partner_children
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    assert client.get(f"/api/children/{children['in_agenda']}").status_code == 200
    scope_id = world.forum_id if scope_of == "forum" else world.meeting_id
    unit_id = unit_named(db, "Børnehuset Solsikken").id
    give_forum_consent(db, children["in_agenda"], scope_id, unit_id, world.leader_id, state="withdrawn")
    db.commit()
    assert client.get(f"/api/children/{children['in_agenda']}").status_code == 404
    assert client.get(f"/children/{children['in_agenda']}").status_code == 404
    assert client.get("/api/children").json() == []


def test_a_partners_children_page_lists_the_in_agenda_children(client, db, partner_children) -> None:
    """Issue 16: the partner's /children page lists what /api/children lists (one policy)."""
    from sqlmodel import select

    from backend.audit import AuditEvent
    from backend.people.models import Child

    world, children = partner_children
    login(client, "raadgiver-test", code=pyotp.TOTP(world.partner_secret).now())
    names = {category: db.get(Child, child_id).name for category, child_id in children.items()}
    page = client.get("/children")
    assert page.status_code == 200
    assert names["in_agenda"] in page.text and f'href="/children/{children["in_agenda"]}"' in page.text
    for category in ("expired", "unshared", "never"):
        assert names[category] not in page.text and children[category] not in page.text
    listed = db.exec(
        select(AuditEvent).where(
            AuditEvent.action == "child.list", AuditEvent.child_id == children["in_agenda"]
        )
    ).all()
    assert listed
    found = client.post(
        "/children", data={"csrf_token": client.headers["X-CSRF-Token"], "q": names["in_agenda"][:3]}
    )
    assert found.status_code == 200 and names["in_agenda"] in found.text
    missed = client.post("/children", data={"csrf_token": client.headers["X-CSRF-Token"], "q": "zzzz"})
    assert missed.status_code == 200 and names["in_agenda"] not in missed.text
