"""The parents' consent page, the withdrawal link and "What we agreed" on a parent's own phone at
360 px (issue 15): no JavaScript, fits the screen, Arabic right to left, axe 0 serious on every page."""

import re
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from backend.domain.dates import today
from tests.browser.axe import serious_violations
from tests.support import PHONE

pytestmark = pytest.mark.browser


def _ids(live_server) -> tuple[str, str, str]:
    """(child id, guardian id, id of Dagplejen Syd) for a Sundhedsplejen Nord child with a guardian."""
    engine = create_engine(live_server.env["OPSPOR_DATABASE_URL"])
    with engine.connect() as connection:
        child_id, guardian_id = connection.execute(
            text(
                "SELECT child.id, guardian.id FROM child "
                "JOIN placement ON placement.child_id = child.id JOIN unit ON unit.id = placement.unit_id "
                "JOIN guardian ON guardian.child_id = child.id "
                "WHERE unit.name = 'Sundhedsplejen Nord' AND placement.ends_on IS NULL "
                "ORDER BY child.birth_date DESC, guardian.name LIMIT 1"
            )
        ).one()
        unit_id = connection.execute(text("SELECT id FROM unit WHERE name = 'Dagplejen Syd'")).scalar_one()
    engine.dispose()
    return child_id, guardian_id, unit_id


def _staff_api(live_server) -> httpx.Client:
    client = httpx.Client(base_url=live_server.url)
    login = client.post("/api/session", json={"username": "demo-sundhedsplejerske", "password": "demo"})
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return client


def _put(client: httpx.Client, record_id: str, record_type: str, child_id: str, data: dict) -> None:
    body = {"type": record_type, "child_id": child_id, "base_version": None, "status": "final", "data": data}
    response = client.put(f"/api/records/{record_id}", json=body)
    assert response.status_code == 201, response.text


def _invite(client: httpx.Client, record_id: str, guardian_id: str, part: str) -> dict:
    body = {"record_id": record_id, "part": part, "guardian_id": guardian_id}
    response = client.post("/api/parent-invitations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)  # bypass_csp only to inject axe
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def _checked(page) -> None:
    assert page.locator("script").count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_violations(page) == []


def test_a_parent_consents_in_arabic_withdraws_and_reads_the_agreements(phone, live_server) -> None:
    child_id, guardian_id, unit_id = _ids(live_server)
    transition_id = "0b7e5a52-3c41-4f0e-9a8d-5b2f6c1d7e90"
    meeting_id = "5c2d8e1f-7a3b-4d6c-8e9f-1a2b3c4d5e6f"
    staff = _staff_api(live_server)
    try:
        transition = {
            "to_unit_id": unit_id,
            "starts_on": (today() + timedelta(days=40)).isoformat(),
            "professional_part": {"strengths": "Smiler meget", "support": "Ingen"},
        }
        _put(staff, transition_id, "transition", child_id, transition)
        consent = _invite(staff, transition_id, guardian_id, "consent")
        meeting = {
            "planned_on": (today() - timedelta(days=2)).isoformat(),
            "held_on": (today() - timedelta(days=1)).isoformat(),
            "purpose": "Søvn",
            "participants": [{"name": "Mor", "role": "parent"}],
            "challenges": "Må ikke deles",
            "agreements": [
                {"what": "Fast sengetid", "who": "Mor", "due_on": (today() + timedelta(days=9)).isoformat()}
            ],
            "shared_summary": "Vi prøver fast sengetid.",
            "share_with_parents": True,
        }
        _put(staff, meeting_id, "dialogue_meeting", child_id, meeting)
        agreements = _invite(staff, meeting_id, guardian_id, "agreements")
    finally:
        staff.close()

    page = phone
    page.goto(consent["url"])
    page.get_by_label("Kode").fill(consent["code"])
    page.get_by_role("button", name="Åbn").click()
    expect(page.get_by_role("heading", name="Samtykke", exact=True)).to_be_visible()
    expect(page.locator("#text")).to_contain_text("Smiler meget")
    _checked(page)
    page.get_by_role("button", name="العربية").click()
    expect(page.get_by_role("heading", name="الموافقة")).to_be_visible()
    assert page.evaluate("() => document.documentElement.dir") == "rtl"
    _checked(page)
    page.get_by_role("button", name="أرسلوا القرار").click()  # nothing chosen: the error names the fields
    expect(page.get_by_role("alert")).to_contain_text("اختاروا ما إذا كنتم توافقون أو ترفضون.")
    _checked(page)
    page.get_by_label("نعم، نحن نوافق").check()
    page.get_by_label("اسمكم (التوقيع)").fill("أم سارة")
    page.get_by_role("button", name="أرسلوا القرار").click()
    expect(page.get_by_role("heading", name="شكرًا على قراركم")).to_be_visible()
    _checked(page)
    withdraw = page.locator(".link-box a").get_attribute("href")
    assert re.search(r"/p/withdraw/[A-Za-z0-9_-]{40,}$", withdraw)

    page.goto(withdraw)
    expect(page.get_by_role("heading", name="اسحبوا الموافقة")).to_be_visible()
    _checked(page)
    page.get_by_role("button", name="اسحبوا الموافقة").click()
    expect(page.get_by_role("status")).to_contain_text("تم سحب الموافقة")
    _checked(page)

    page.goto(agreements["url"])
    page.get_by_label("Kode").fill(agreements["code"])
    page.get_by_role("button", name="Åbn").click()
    expect(page.get_by_role("heading", name="Det aftalte vi")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Fast sengetid")
    expect(page.locator("main")).not_to_contain_text("Må ikke deles")
    _checked(page)
    page.get_by_role("button", name="Vi har læst aftalerne").click()
    expect(page.get_by_role("heading", name="Tak", exact=True)).to_be_visible()
    _checked(page)
    assert page.errors == []


def test_a_parent_reads_a_forums_participants_in_english_and_consents(phone, live_server) -> None:
    """Issue 16: the forum consent on the parent's phone — which forum, what for, who takes part
    (the partner with their title), in English; axe 0 serious, no JavaScript, fits the screen."""
    engine = create_engine(live_server.env["OPSPOR_DATABASE_URL"])
    with engine.connect() as connection:
        forum_id, unit_id = connection.execute(
            text("SELECT forum.id, unit.id FROM forum, unit WHERE forum.name = :f AND unit.name = :u"),
            {"f": "Ressourceteam Børnehuset Solsikken", "u": "Børnehuset Solsikken"},
        ).one()
        child_id, guardian_id = connection.execute(
            text(
                "SELECT child.id, guardian.id FROM child "
                "JOIN placement ON placement.child_id = child.id "
                "JOIN guardian ON guardian.child_id = child.id "
                "WHERE placement.unit_id = :unit AND placement.ends_on IS NULL ORDER BY child.name LIMIT 1"
            ),
            {"unit": unit_id},
        ).one()
        partner = connection.execute(
            text("SELECT display_name FROM app_user WHERE username = 'demo-raadgiver'")
        ).scalar_one()
    engine.dispose()
    staff = httpx.Client(base_url=live_server.url)
    try:
        login = staff.post("/api/session", json={"username": "demo-leder", "password": "demo"})
        staff.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        consent_id = "7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f40"
        body = {
            "type": "consent",
            "child_id": child_id,
            "base_version": None,
            "status": "draft",
            "data": {"kind": "meeting", "scope": forum_id},
        }
        assert staff.put(f"/api/records/{consent_id}", json=body).status_code == 201
        invitation = _invite(staff, consent_id, guardian_id, "consent")
    finally:
        staff.close()

    page = phone
    page.goto(invitation["url"])
    page.get_by_label("Kode").fill(invitation["code"])
    page.get_by_role("button", name="Åbn").click()
    expect(page.locator("#text")).to_contain_text("Ressourceteam Børnehuset Solsikken")
    _checked(page)
    page.get_by_role("button", name="English").click()
    heading = page.get_by_role("heading", name="Resource team: Ressourceteam Børnehuset Solsikken")
    expect(heading).to_be_visible()
    expect(page.locator("#text")).to_contain_text(f"{partner} · Forebyggende rådgiver · Partner")
    expect(page.locator("#text")).to_contain_text("how your child can best be supported")
    _checked(page)
    page.locator("#choice-given").check()
    page.locator("#typed-name").fill("Mother")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator(".link-box a")).to_be_visible()
    _checked(page)
    assert page.errors == []
