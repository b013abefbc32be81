"""Admin pages are the admin's: everyone else gets 403 there, and 404 on a child's export."""

import pytest

from tests.support import app_routes, children_of_unit, concrete, login

NON_ADMINS = ["demo-sundhedsplejerske", "demo-dagplejer", "demo-paedagog", "demo-leder"]


def _admin_pages(app) -> list[str]:
    return [
        concrete(path) for method, path in app_routes(app) if method == "GET" and path.startswith("/admin")
    ]


@pytest.mark.parametrize("username", NON_ADMINS)
def test_non_admins_get_403_on_every_admin_page(app, client, demo, username: str) -> None:
    login(client, username)
    pages = _admin_pages(app)
    assert len(pages) >= 10
    for path in pages:
        response = client.get(path, headers={"accept": "text/html"})
        assert response.status_code == 403, path


def test_non_admins_get_403_on_admin_posts_too(app, client, demo) -> None:
    login(client, "demo-leder")
    posts = [concrete(p) for m, p in app_routes(app) if m == "POST" and p.startswith("/admin")]
    assert len(posts) >= 15
    for path in posts:
        assert client.post(path, data={"name": "x"}).status_code == 403, path


@pytest.mark.parametrize("username", NON_ADMINS)
def test_the_export_of_a_child_is_404_for_non_admins(client, db, demo, username: str) -> None:
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    login(client, username)
    response = client.get(f"/api/export/children/{child.id}")
    assert response.status_code == 404
    assert client.get("/api/export/children/00000000-0000-0000-0000-000000000000").json() == response.json()


def test_admin_sees_the_admin_home_and_the_menu_link(client, demo) -> None:
    login(client, "demo-admin")
    start = client.get("/")  # an administrator without units starts on the admin home
    assert start.status_code == 303 and start.headers["location"] == "/admin"
    home = client.get("/admin")
    assert 'href="/admin"' in home.text
    assert home.status_code == 200
    for link in (
        "/admin/units",
        "/admin/users",
        "/admin/children",
        "/admin/caseloads",
        "/admin/import",
        "/admin/retention",
        "/admin/audit",
    ):
        assert f'href="{link}"' in home.text


def test_non_admins_have_no_admin_menu_link(client, demo) -> None:
    login(client, "demo-leder")
    start = client.get("/leader/overview")
    assert start.status_code == 200 and 'href="/admin"' not in start.text


def test_every_admin_page_renders_for_the_admin(client, db, demo_full) -> None:
    from sqlmodel import select

    from backend.people.models import RoleAssignment
    from tests.support import unit_named, user_named

    login(client, "demo-admin")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    unit = unit_named(db, "Dagplejen Syd")
    user = user_named(db, "demo-dagplejer")
    assert db.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).first()
    helper = user_named(db, "demo-dagplejer-2")
    pages = [
        "/admin",
        "/admin/units",
        f"/admin/units/{unit.id}",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{user.id}",
        "/admin/children",
        "/admin/children/new",
        f"/admin/children/{child.id}",
        f"/admin/children/{child.id}/edit",
        "/admin/caseloads",
        f"/admin/caseloads?unit={unit.id}",
        f"/admin/caseloads/handover?from_user={user.id}&to_user={helper.id}",
        "/admin/import",
        "/admin/retention",
        f"/admin/export/children/{child.id}",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert child.cpr is None or child.cpr not in response.text
    # A search is POSTed (issue 12, M-5); an old `?q=` address leads to the plain list.
    assert client.get("/admin/children?q=a").headers["location"] == "/admin/children"
    searched = client.post("/admin/children/search", data={"q": "a"})
    assert searched.status_code == 200
    assert child.cpr is None or child.cpr not in searched.text


def test_the_admin_pages_speak_english_too(client, demo) -> None:
    login(client, "demo-admin")
    client.post("/me/language", data={"language": "en", "next": "/admin"})
    page = client.get("/admin").text
    assert "Units and rooms" in page and "Deletion and retention" in page and "Enheder og stuer" not in page
    assert "Dry-run the file" in client.get("/admin/import").text
