"""The admin pages on a phone: no serious accessibility violations, nothing wider than 360 px."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from backend.domain.dates import today
from tests.browser.axe import serious_violations
from tests.support import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(shared_live_server):
    """These tests only read (the bad move is refused): they share one started server."""
    return shared_live_server


@pytest.fixture
def a11y_page(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _ids(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        ids = {
            "user": connection.execute(
                text("SELECT id FROM app_user WHERE username = 'demo-dagplejer'")
            ).scalar(),
            "unit": connection.execute(text("SELECT id FROM unit WHERE name = 'Dagplejen Syd'")).scalar(),
            "child": connection.execute(
                text(
                    "SELECT child_id FROM record WHERE type = 'concern_note' AND child_id IS NOT NULL "
                    "ORDER BY id LIMIT 1"
                )
            ).scalar(),
        }
    engine.dispose()
    return ids


def test_admin_pages_are_accessible_and_fit_a_phone(a11y_page, live_server) -> None:
    page = a11y_page
    page.goto(live_server.url + "/login")
    page.get_by_label("Brugernavn").fill("demo-admin")
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()  # the admin's start page
    ids = _ids(live_server.env["OPSPOR_DATABASE_URL"])
    paths = [
        "/admin",
        "/admin/units",
        f"/admin/units/{ids['unit']}",
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{ids['user']}",
        "/admin/children",
        "/admin/children/new",
        f"/admin/children/{ids['child']}",
        f"/admin/children/{ids['child']}/edit",
        f"/admin/caseloads?unit={ids['unit']}",
        "/admin/caseloads/handover",
        "/admin/import",
        "/admin/retention",
        f"/admin/export/children/{ids['child']}",
        "/admin/approvals",
    ]
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert serious_violations(page) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path


def test_a_bad_move_is_refused_on_the_page_and_what_was_typed_stays(page, live_server) -> None:
    page.goto(live_server.url + "/login")
    page.get_by_label("Brugernavn").fill("demo-admin")
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    ids = _ids(live_server.env["OPSPOR_DATABASE_URL"])
    page.goto(live_server.url + f"/admin/children/{ids['child']}")
    placement = page.locator("form[action$='/placements']")
    current_unit = page.locator(".badge.draft").locator("xpath=..").locator("strong").inner_text()
    placement.get_by_label("Ny enhed").select_option(label=current_unit)
    placement.get_by_label("Startdato").fill(today().isoformat())
    placement.get_by_role("button", name="Gem flytningen").click()
    expect(page.locator(".field-error")).to_contain_text(f"allerede indskrevet i {current_unit}")
    expect(page.locator("form[action$='/placements']").get_by_label("Startdato")).to_have_value(
        today().isoformat()
    )
