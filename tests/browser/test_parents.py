"""Parents take part (issue 15) on their own phone: the health visitor makes an invitation on
the record's screen (QR code and code), the parent opens the link at 360 px, types the code,
switches to Arabic, writes the parents' part and sends it; the health visitor then sees it on
the transition page, attributed to the parent. axe: 0 serious on every parent page."""

import re
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from backend.domain.dates import today
from tests.browser.axe import serious_violations
from tests.browser.offline_support import sign_in
from tests.support import PHONE

pytestmark = pytest.mark.browser


def child_with_guardian(live_server) -> tuple[str, str, str]:
    """(child id, guardian id, guardian name) of a Sundhedsplejen Nord child with a guardian."""
    engine = create_engine(live_server.env["OPSPOR_DATABASE_URL"])
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT child.id, guardian.id, guardian.name FROM child "
                "JOIN placement ON placement.child_id = child.id JOIN unit ON unit.id = placement.unit_id "
                "JOIN guardian ON guardian.child_id = child.id "
                "WHERE unit.name = 'Sundhedsplejen Nord' AND placement.ends_on IS NULL "
                "ORDER BY child.birth_date, guardian.name LIMIT 1"
            )
        ).one()
    engine.dispose()
    return row[0], row[1], row[2]


def draft_transition(live_server, child_id: str) -> str:
    """A draft transition description by the health visitor, through the JSON API."""
    with httpx.Client(base_url=live_server.url) as client:
        login = client.post("/api/session", json={"username": "demo-sundhedsplejerske", "password": "demo"})
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        record_id = "6a1d3f0e-2b7c-4c1e-9f3a-0d5e8b7c6a11"
        data = {
            "starts_on": (today() + timedelta(days=40)).isoformat(),
            "professional_part": {"strengths": "Smiler"},
        }
        body = {
            "type": "transition",
            "child_id": child_id,
            "base_version": None,
            "status": "draft",
            "data": data,
        }
        response = client.put(f"/api/records/{record_id}", json=body)
        assert response.status_code == 201, response.text
    return record_id


@pytest.fixture
def phones(browser):
    """The health visitor's phone and the parent's own phone (bypass_csp only to inject axe)."""
    contexts = [browser.new_context(**PHONE, bypass_csp=True) for _ in range(2)]
    pages = []
    for context in contexts:
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error, page=page: page.errors.append(str(error)))
        pages.append(page)
    yield pages
    for context in contexts:
        context.close()


def fits_the_phone(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_parent_writes_the_parents_part_in_arabic_and_the_health_visitor_sees_it(
    phones, live_server
) -> None:
    staff, parent = phones
    child_id, guardian_id, guardian_name = child_with_guardian(live_server)
    record_id = draft_transition(live_server, child_id)

    # The health visitor makes the invitation on the record's screen.
    sign_in(staff, live_server.url, "demo-sundhedsplejerske")
    staff.goto(f"{live_server.url}/records/{record_id}")
    staff.get_by_role("link", name="Inviter forældrene").click()
    staff.get_by_label("Forælder eller værge").select_option(value=guardian_id)
    staff.get_by_role("button", name="Lav link og kode").click()
    expect(staff.get_by_role("heading", name="Invitationen er klar")).to_be_visible()
    assert (
        staff.get_by_role("img", name="QR-kode med linket til forælderen")
        .get_attribute("src")
        .startswith("data:image/svg+xml")
    )
    code = re.sub(r"\D", "", staff.locator(".big-number").inner_text())
    staff.get_by_text("Vis linket").click()
    link = staff.locator("details .pre").inner_text().strip()
    assert len(code) == 6 and link.startswith(live_server.url + "/p/")
    assert serious_violations(staff) == []

    # The parent opens the link on their own phone.
    parent.goto(link)
    expect(parent.get_by_role("heading", name="Skriv koden")).to_be_visible()
    assert parent.locator("script").count() == 0 and fits_the_phone(parent)
    assert serious_violations(parent) == []
    parent.get_by_label("Kode").fill(code)
    parent.get_by_role("button", name="Åbn").click()
    expect(parent.get_by_role("heading", name="Om vores barn")).to_be_visible()
    parent.get_by_role("button", name="العربية").click()
    expect(parent.get_by_role("heading", name="عن طفلنا")).to_be_visible()
    assert parent.evaluate("() => [document.documentElement.lang, document.documentElement.dir]") == [
        "ar",
        "rtl",
    ]
    assert fits_the_phone(parent)
    assert serious_violations(parent) == []
    parent.get_by_label("عن طفلنا").fill("تحب الرسم والغناء")
    parent.get_by_label("ما يساعد طفلنا").fill("Faste rammer om morgenen")
    parent.get_by_role("button", name="أرسلوا إلى المختص").click()
    expect(parent.get_by_role("heading", name="شكرًا على إجابتكم")).to_be_visible()
    assert serious_violations(parent) == []
    parent.goto(link)  # used: gone, in the parent's language
    expect(parent.get_by_role("heading", name="تم إرسال إجابتكم بالفعل")).to_be_visible()
    assert serious_violations(parent) == []
    assert parent.errors == []

    # The health visitor sees the parents' words on the transition page, attributed.
    staff.goto(f"{live_server.url}/records/{record_id}")
    words = staff.locator(".parents-words")
    expect(words).to_contain_text("تحب الرسم والغناء")
    expect(words).to_contain_text("Faste rammer om morgenen")
    expect(words).to_contain_text(f"Skrevet af {guardian_name} via link")
    assert staff.errors == []
