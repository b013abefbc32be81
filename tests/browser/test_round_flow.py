"""Issue 17 §7–8 on a 360 px phone: "Gem og næste barn" in a well-being round, the way back to
the round after saving, and the round matrix with two raters fitting the screen."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.support import PHONE, add_user, unit_named

pytestmark = pytest.mark.browser

HV = "Sundhedsplejen Nord"
AREAS = [
    "Kognitiv trivsel",
    "Psykisk og emotionel trivsel",
    "Social trivsel",
    "Fysisk og sansemotorisk trivsel",
]


@pytest.fixture
def open_round(live_server) -> str:
    """An open round in the health-visiting district and a second health visitor; its id."""
    from backend.db import make_engine, new_session
    from backend.domain.dates import today
    from backend.records.models import EvaluationRound
    from tests.support import user_named

    engine = make_engine(live_server.env["OPSPOR_DATABASE_URL"], sqlite_write_lock_up_front=False)
    with new_session(engine) as db:
        add_user(db, "sundhedsplejerske-med-et-langt-navn", "health_visitor", HV)
        evaluation_round = EvaluationRound(
            unit_id=unit_named(db, HV).id,
            name="Runde til test",
            opens_on=today() - timedelta(days=1),
            closes_on=today() + timedelta(days=30),
            created_by_id=user_named(db, "demo-leder").id,
        )
        db.add(evaluation_round)
        db.commit()
        round_id = evaluation_round.id
    engine.dispose()
    return round_id


def _phone(browser, base_url: str, username: str):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(base_url + "/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name=re.compile("^I dag"))).to_be_visible()
    return context, page


def _fill_mark(page, overall: str = "Trivsel") -> None:
    for area in [*AREAS, "Samlet vurdering", "Forældre og hjem"]:
        label = overall if area == "Samlet vurdering" else "Trivsel"
        page.get_by_role("group", name=re.compile(f"^{area}")).get_by_label(label, exact=True).check()


def _child_of_form(page) -> str:
    return page.locator("p.lead").first.inner_text().split(" · ")[0]


def test_save_and_next_child_then_back_to_the_round_and_the_matrix_fits(
    browser, live_server, open_round
) -> None:
    base = live_server.url
    round_url = f"{base}/rounds/{open_round}"
    context, page = _phone(browser, base, "demo-sundhedsplejerske")

    page.goto(round_url)
    first_row = page.locator("table.round-matrix tbody tr").first
    first_name = first_row.locator("th a").first.inner_text()
    first_row.get_by_role("link", name=re.compile("^Vurdér")).click()
    expect(page.get_by_role("heading", name="Trivselsvurdering")).to_be_visible()
    # The way back from the form is the round, not the child.
    expect(page.locator("nav.crumbs a").first).to_have_text("Runde til test")
    assert _child_of_form(page) == first_name

    _fill_mark(page)
    page.get_by_role("button", name="Gem og næste barn").click()

    # Saved, and the next child of the round is open at once.
    expect(page.locator("p.alert[role=status]")).to_have_text("Gemt. Her er det næste barn i runden.")
    expect(page.get_by_role("heading", name="Trivselsvurdering")).to_be_visible()
    second_name = _child_of_form(page)
    assert second_name and second_name != first_name
    assert serious_violations(page) == []

    # The first child's mark was saved as final (not a draft).
    page.goto(round_url)
    row = page.locator("tr", has=page.get_by_role("link", name=first_name, exact=True))
    expect(row.get_by_role("link", name="Din vurdering")).to_be_visible()
    expect(row).not_to_contain_text("kladde")

    # "Afslut og gem" on a round mark: the saved page leads back to the round.
    page.locator("tr", has=page.get_by_role("link", name=second_name, exact=True)).get_by_role(
        "link", name=re.compile("^Vurdér")
    ).click()
    _fill_mark(page)
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.locator("p.alert[role=status]")).to_contain_text("Gemt.")
    page.get_by_role("link", name="Tilbage til runden").click()
    expect(page.get_by_role("heading", name="Runde til test")).to_be_visible()

    # A second rater marks the first child: two rater columns in the matrix.
    other_context, other = _phone(browser, base, "sundhedsplejerske-med-et-langt-navn")
    other.goto(round_url)
    other.locator("tr", has=other.get_by_role("link", name=first_name, exact=True)).get_by_role(
        "link", name=re.compile("^Vurdér")
    ).click()
    _fill_mark(other, overall="Ekstra opmærksomhed")
    other.get_by_role("button", name="Afslut og gem").click()
    expect(other.locator("p.alert[role=status]")).to_contain_text("Gemt.")
    other_context.close()

    page.goto(round_url)
    expect(page.locator("table.round-matrix thead th")).to_have_count(4)  # Barn, two raters, Fælles
    row = page.locator("tr", has=page.get_by_role("link", name=first_name, exact=True))
    write = row.get_by_role("link", name=re.compile("^Skriv"))
    box = write.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360, box  # the Fælles/Skriv column is on screen
    overflow = page.eval_on_selector(
        "table.round-matrix", "t => t.parentElement.scrollWidth - t.parentElement.clientWidth"
    )
    assert overflow <= 1, overflow  # nothing cut off behind a horizontal scroll
    sticky = page.eval_on_selector(
        "table.round-matrix tbody th[scope=row]", "th => getComputedStyle(th).position"
    )
    assert sticky == "sticky"  # the names stay in view should the columns ever scroll
    assert serious_violations(page) == []
    context.close()


def test_the_last_child_leads_back_to_the_round(browser, live_server, open_round) -> None:
    """With every other child marked, "Gem og næste barn" ends on the round with a plain message."""
    base = live_server.url
    context, page = _phone(browser, base, "demo-sundhedsplejerske")
    page.goto(f"{base}/rounds/{open_round}")
    rows = page.locator("table.round-matrix tbody tr")
    names = [rows.nth(i).locator("th a").first.inner_text() for i in range(rows.count())]
    page.locator("tr", has=page.get_by_role("link", name=names[0], exact=True)).get_by_role(
        "link", name=re.compile("^Vurdér")
    ).click()
    for _ in range(len(names) + 1):
        _fill_mark(page)
        before = page.url
        page.get_by_role("button", name="Gem og næste barn").click()
        page.wait_for_url(lambda url, before=before: url != before)
        if "alle=1" in page.url:
            break
    expect(page.locator("p.alert[role=status]")).to_have_text(
        "Gemt. Du har vurderet alle de børn, du skal vurdere i runden."
    )
    context.close()
