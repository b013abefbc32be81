"""A transition on a phone: the childminding supervisor writes the description, a parent signs
on the screen, and the receiving pedagogue sees it afterwards — and not before."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from backend.domain.dates import today
from tests.browser.axe import serious_violations
from tests.browser.offline_support import search_children, sign_in
from tests.support import PHONE

pytestmark = pytest.mark.browser


def youngest_childminding_child(live_server) -> str:
    """The name of a childminding child without a transition description in the demo data."""
    engine = create_engine(live_server.env["OPSPOR_DATABASE_URL"])
    with engine.connect() as connection:
        name = connection.execute(
            text(
                "SELECT child.name FROM child JOIN placement ON placement.child_id = child.id "
                "JOIN unit ON unit.id = placement.unit_id "
                "WHERE unit.name = 'Dagplejen Syd' AND placement.ends_on IS NULL "
                "AND child.id NOT IN (SELECT placement.child_id FROM placement WHERE ends_on IS NOT NULL) "
                "ORDER BY child.birth_date DESC LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    return name


def draw(page, canvas, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw with the mouse; points are fractions of the canvas size."""
    box = canvas.bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
        page.mouse.up()


def draw_by_touch(page, canvas, points: list[tuple[float, float]]) -> None:
    """Draw with a finger (touch events through the DevTools protocol)."""
    box = canvas.bounding_box()
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        spot = [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]
        cdp.send(
            "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else spot}
        )

    touch("touchStart", *points[0])
    for point in points[1:]:
        touch("touchMove", *point)
    touch("touchEnd", *points[-1])
    cdp.detach()


def test_a_description_is_signed_on_the_screen_and_only_then_reaches_the_pedagogue(
    browser, page, live_server
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = youngest_childminding_child(live_server)
    first_name = name.split()[0]
    sign_in(page, live_server.url, "demo-dagplejepaedagog")
    search_children(page, live_server.url, first_name)
    page.locator("#children-list a", has_text=name).click()
    page.get_by_text("Ny registrering").click()
    page.get_by_role("link", name="Overgangsbeskrivelse", exact=True).click()
    expect(page.get_by_role("heading", name="Overgangsbeskrivelse", level=1)).to_be_visible()

    page.get_by_label("Modtagende enhed").select_option(label="Børnehuset Solsikken")
    page.get_by_label("Startdato").fill((today() + timedelta(days=40)).isoformat())
    page.get_by_label("Om vores barn").fill(f"{first_name} elsker at grave i sandkassen.")
    page.get_by_label("Barnets styrker").fill("Viser omsorg for de mindste.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_text("Gemt.")).to_be_visible()
    expect(page.get_by_text("Afventer forældrenes samtykke")).to_be_visible()
    description_url = page.url.split("?")[0]

    # The receiving pedagogue, on her own phone: nothing yet.
    pedagogue_context = browser.new_context(**PHONE)
    pedagogue = pedagogue_context.new_page()
    sign_in(pedagogue, live_server.url, "demo-paedagog")
    assert pedagogue.goto(description_url).status == 404
    pedagogue.goto(live_server.url + "/children")
    expect(
        pedagogue.get_by_role("heading", name="Kommende børn")
    ).to_be_visible()  # the demo's handed-over child
    expect(pedagogue.get_by_role("link", name=re.compile(name))).to_have_count(0)

    # The parent signs on the supervisor's phone.
    page.get_by_role("link", name="Samtykke til overlevering").click()
    expect(
        page.get_by_role("heading", name="Samtykke til at overlevere overgangsbeskrivelsen")
    ).to_be_visible()
    expect(page.get_by_text("Børnehuset Solsikken").first).to_be_visible()
    page.get_by_role("group", name=re.compile("^Forælder eller værge")).get_by_role("radio").first.check()
    page.get_by_role("group", name=re.compile("^Forælderens beslutning")).get_by_label("Givet").check()
    canvas = page.get_by_role("img", name="Felt til underskrift")
    canvas.scroll_into_view_if_needed()
    signature = page.locator("input[name='data.evidence.signature']")
    draw(page, canvas, [[(0.1, 0.6), (0.2, 0.3), (0.3, 0.7), (0.45, 0.35)]])
    expect(page.get_by_text("Underskriften er med.")).to_be_visible()
    assert signature.input_value().startswith("data:image/png;base64,")
    page.get_by_role("button", name="Ryd").click()
    expect(page.get_by_text("Underskriften er fjernet.")).to_be_visible()
    assert signature.input_value() == ""
    draw_by_touch(page, canvas, [(0.1, 0.5), (0.3, 0.2), (0.5, 0.8), (0.7, 0.3), (0.9, 0.6)])
    expect(page.get_by_text("Underskriften er med.")).to_be_visible()
    drawn = signature.input_value()
    assert drawn.startswith("data:image/png;base64,") and len(drawn) > 500
    page.get_by_role("button", name="Afslut og gem").click()

    expect(page.get_by_text("Gemt.")).to_be_visible()
    image = page.get_by_role("img", name=re.compile("^Underskrift fra"))
    expect(image).to_be_visible()
    assert image.get_attribute("src") == drawn
    assert page.evaluate("() => document.querySelector('.signature-image img').naturalWidth") == 600
    page.get_by_role("link", name="Overgangsbeskrivelsen").click()
    expect(page.get_by_text("Forældrene har givet samtykke.")).to_be_visible()

    # Now the pedagogue finds the child under "Kommende børn" and reads the description.
    pedagogue.goto(live_server.url + "/children")
    pedagogue.get_by_role("link", name=re.compile(name)).click()
    expect(pedagogue.get_by_text("kommer til jeres enhed")).to_be_visible()
    pedagogue.get_by_role("link", name=re.compile("Overgangsbeskrivelse")).click()
    expect(pedagogue.get_by_text(f"{first_name} elsker at grave i sandkassen.")).to_be_visible()
    expect(pedagogue.get_by_role("link", name=re.compile("^Ret|^Fortsæt"))).to_have_count(0)
    assert pedagogue.url.split("?")[0] == description_url
    pedagogue_context.close()
    assert errors == []


def test_transition_and_consent_forms_have_no_serious_accessibility_violations(browser, live_server) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    name = youngest_childminding_child(live_server)
    sign_in(page, live_server.url, "demo-dagplejepaedagog")
    search_children(page, live_server.url, name.split()[0])
    page.locator("#children-list a", has_text=name).click()
    child_url = page.url
    page.goto(child_url.replace("/children/", "/forms/transition?child="))
    assert serious_violations(page) == []
    page.goto(child_url.replace("/children/", "/forms/consent?child="))
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
