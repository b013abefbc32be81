"""A well-being round on phones: the leader opens it, two health visitors mark a child with
different positions, the overview highlights the disagreement, the joint assessment is recorded
and the child's page shows it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.support import PHONE, add_user, children_of_unit

pytestmark = pytest.mark.browser

HV = "Sundhedsplejen Nord"
AREAS = [
    "Kognitiv trivsel",
    "Psykisk og emotionel trivsel",
    "Social trivsel",
    "Fysisk og sansemotorisk trivsel",
]


@pytest.fixture
def second_health_visitor_and_child(live_server) -> str:
    """A second health visitor in the demo district; returns the name of the child they mark."""
    from backend.db import make_engine, new_session

    engine = make_engine(live_server.env["OPSPOR_DATABASE_URL"], sqlite_write_lock_up_front=False)
    with new_session(engine) as db:
        add_user(db, "sundhedsplejerske-2", "health_visitor", HV)
        name = children_of_unit(db, HV)[0].name
    engine.dispose()
    return name


def _phone(browser, base_url: str, username: str):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + "/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill("demo")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", name=re.compile("^I dag"))).to_be_visible()
    return context, page, errors


def _choose(page, group: str, label: str) -> None:
    page.get_by_role("group", name=re.compile(f"^{group}")).get_by_label(label, exact=True).check()


def _mark(page, areas: dict[str, str], overall: str, context: str) -> None:
    for area in AREAS:
        _choose(page, area, areas.get(area, "Trivsel"))
    _choose(page, "Samlet vurdering", overall)
    _choose(page, "Forældre og hjem", context)
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.get_by_role("status").filter(has_text="Gemt.")).to_be_visible()


def test_a_round_from_two_individual_marks_to_a_joint_assessment(
    browser, live_server, second_health_visitor_and_child
) -> None:
    child_name = second_health_visitor_and_child
    first_name = child_name.split(" ")[0]
    base = live_server.url

    # The leader opens a round for the health-visiting district.
    leader_context, leader, leader_errors = _phone(browser, base, "demo-leder")
    leader.locator("details.usermenu > summary").click()
    leader.get_by_role("link", name="Trivselsrunder").click()
    leader.get_by_role("link", name=re.compile(HV)).click()
    leader.get_by_label("Navn").fill("Efterår i sundhedsplejen")
    leader.get_by_role("button", name="Åbn runden").click()
    expect(leader.get_by_role("heading", name="Efterår i sundhedsplejen")).to_be_visible()
    expect(leader.get_by_text("Vurderet af mindst én: 0 af")).to_be_visible()
    assert serious_violations(leader) == []
    round_url = leader.url.split("?")[0]

    # The first health visitor marks the child from her list of children not yet marked.
    first_context, first, first_errors = _phone(browser, base, "demo-sundhedsplejerske")
    first.locator("details.usermenu > summary").click()
    first.get_by_role("link", name="Trivselsrunder").click()
    first.get_by_role("link", name=re.compile(HV)).click()
    first.get_by_role("link", name=re.compile(re.escape(child_name))).first.click()
    expect(first.get_by_role("heading", name="Trivselsvurdering")).to_be_visible()
    expect(first.get_by_label("Runde")).to_have_value(round_url.rsplit("/", 1)[1])
    assert serious_violations(first) == []
    _mark(first, {}, overall="Trivsel", context="Trivsel")

    # The second health visitor sees it differently.
    second_context, second, second_errors = _phone(browser, base, "sundhedsplejerske-2")
    second.goto(round_url)
    row = second.locator("tr", has=second.get_by_role("link", name=child_name, exact=True))
    row.get_by_role("link", name=re.compile("^Vurdér")).click()
    _mark(
        second,
        {"Psykisk og emotionel trivsel": "Ekstra opmærksomhed"},
        overall="Ekstra opmærksomhed",
        context="Ekstra opmærksomhed",
    )

    # The overview highlights the disagreement.
    leader.goto(round_url)
    row = leader.locator("tr", has=leader.get_by_role("link", name=child_name, exact=True))
    expect(row).to_have_class(re.compile("differ"))
    expect(row).to_contain_text("Uenige om:")
    expect(row).to_contain_text("Psykisk og emotionel trivsel")
    expect(leader.get_by_text("Uenighed om 1 barn")).to_be_visible()
    assert serious_violations(leader) == []

    # The team agrees; the first health visitor writes the joint assessment.
    first.goto(round_url)
    row = first.locator("tr", has=first.get_by_role("link", name=child_name, exact=True))
    row.get_by_role("link", name=re.compile("^Skriv")).click()
    expect(first.get_by_role("heading", name="De individuelle vurderinger")).to_be_visible()
    kognitiv = first.get_by_role("group", name=re.compile("^Kognitiv trivsel"))
    expect(kognitiv.get_by_label("Trivsel", exact=True)).to_be_checked()  # both raters agreed
    assert serious_violations(first) == []
    _choose(first, "Psykisk og emotionel trivsel", "Ekstra opmærksomhed")
    _choose(first, "Samlet vurdering", "Ekstra opmærksomhed")
    _choose(first, "Forældre og hjem", "Trivsel")
    summary = first.get_by_label("Fælles beskrivelse til forældrene")
    summary.fill(f"{first_name} er i den gule zone.")
    first.get_by_role("group", name=re.compile("^Beslutning")).get_by_label(
        "Dialogmøde med forældrene"
    ).check()
    first.get_by_role("button", name="Afslut og gem").click()
    expect(first.get_by_text("Skriv beskrivelsen uden farveord").first).to_be_visible()
    expect(
        first.get_by_role("group", name=re.compile("^Samlet vurdering")).get_by_label("Ekstra opmærksomhed")
    ).to_be_checked()
    summary.fill(
        f"{first_name} trives med sin mor og far, men søger sjældent øjenkontakt. Det taler vi med jer om."
    )
    first.get_by_role("button", name="Afslut og gem").click()
    expect(first.get_by_role("status").filter(has_text="Gemt.")).to_be_visible()
    expect(first.get_by_text("Dialogmøde med forældrene senest")).to_be_visible()

    # The child's page shows the joint position and the dialogue meeting to hold.
    crumbs = first.get_by_role("navigation", name="Brødkrummer")
    expect(crumbs.get_by_role("link").first).to_have_text("Efterår i sundhedsplejen")  # back to the round
    crumbs.get_by_role("link", name=child_name).click()
    expect(first.get_by_role("heading", name="Trivsel over tid")).to_be_visible()
    history = first.locator("table.wellbeing-history")
    expect(history).to_contain_text("Efterår i sundhedsplejen")
    expect(history).to_contain_text("Ekstra opmærksomhed")
    expect(
        first.get_by_role("img", name=re.compile("Efterår i sundhedsplejen: Ekstra opmærksomhed"))
    ).to_be_visible()
    expect(first.get_by_role("link", name=re.compile("Hold dialogmøde med forældrene"))).to_be_visible()

    leader.goto(round_url)
    expect(leader.get_by_text("Fælles vurdering: 1 af")).to_be_visible()
    assert leader_errors == first_errors == second_errors == []
    for context in (leader_context, first_context, second_context):
        context.close()


def test_round_and_settings_screens_have_no_serious_accessibility_violations(browser, live_server) -> None:
    context, page, errors = _phone(browser, live_server.url, "demo-dagplejepaedagog")
    page.goto(live_server.url + "/rounds")
    page.get_by_role("link", name=re.compile("Dagplejen Syd")).click()
    assert serious_violations(page) == []
    page.get_by_role("link", name=re.compile("Efterår|Forår")).first.click()
    expect(page.locator("table.round-matrix")).to_be_visible()
    assert serious_violations(page) == []
    page.locator("table.round-matrix td a.cell-link[href^='/records/']").first.click()
    assert serious_violations(page) == []
    context.close()

    context, page, errors = _phone(browser, live_server.url, "demo-admin")
    page.locator("details.usermenu > summary").click()
    page.get_by_role("link", name="Kommunale indstillinger").click()
    assert serious_violations(page) == []
    page.get_by_label("Grænse for tilbagetrækning (total)").fill("40")
    page.get_by_role("button", name="Gem indstillingerne").click()
    expect(page.get_by_role("alert")).to_contain_text("Skal være mellem 1 og 32.")
    expect(page.get_by_label("Grænse for tilbagetrækning (total)")).to_have_value("40")
    assert serious_violations(page) == []
    assert errors == []
    context.close()
