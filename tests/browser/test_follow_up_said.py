"""Issue 17 §4 on a 360 px phone: "Opfølgende screening" below the ADBB cut-off creates the
follow-up task (due by the municipal interval) and the saved screening says so; an action Opspor
makes no task for says that plainly."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.axe import serious_violations
from tests.browser.offline_support import sign_in
from tests.support import ADBB_ITEMS, PHONE

pytestmark = pytest.mark.browser


def _screen(page, base: str, child_id: str, scores: list[int], action: str) -> None:
    page.goto(f"{base}/forms/adbb?child={child_id}")
    expect(page.get_by_role("heading", name="ADBB-screening")).to_be_visible()
    page.get_by_role("group", name=re.compile("^Anledning")).get_by_label(
        re.compile("Ekstra screening")
    ).check()
    for key, score in zip(ADBB_ITEMS, scores, strict=True):
        page.locator(f"input[name='data.items.{key}'][value='{score}']").check()
    page.get_by_role("group", name=re.compile("^Handling")).get_by_label(action, exact=True).check()
    page.get_by_role("button", name="Afslut og gem").click()
    expect(page.locator("p.alert[role=status]")).to_contain_text("Gemt.")


@pytest.fixture
def page(browser):
    context = browser.new_context(**PHONE, bypass_csp=True)  # axe is injected as a script
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_follow_up_below_the_cut_off_is_a_task_and_the_page_says_so(page, live_server) -> None:
    from backend.db import make_engine, new_session
    from backend.domain.dates import today
    from tests.support import child_aged

    engine = make_engine(live_server.env["OPSPOR_DATABASE_URL"], sqlite_write_lock_up_front=False)
    with new_session(engine) as db:
        child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
        child_id, first_name = child.id, child.name.split(" ")[0]
    engine.dispose()
    base = live_server.url
    sign_in(page, base, "demo-sundhedsplejerske")

    _screen(page, base, child_id, [1, 1, 0, 0, 0, 0, 0, 0], "Opfølgende screening")
    expect(page.get_by_text("Under grænsen")).to_be_visible()
    note = page.locator(".follow-up-note")
    expect(note).to_contain_text("Opgave oprettet: opfølgende screening senest")
    due = today() + timedelta(days=14)  # the municipal follow-up interval (domain §8)
    expect(note).to_contain_text(str(due.day) + ".")
    assert serious_violations(page) == []
    note.get_by_role("link", name="Se dine opgaver").click()
    task = page.get_by_role("link", name=re.compile("Opfølgende ADBB-screening"))
    expect(task.filter(has_text=first_name).first).to_be_visible()

    _screen(page, base, child_id, [0, 1, 0, 0, 0, 0, 0, 0], "Henvisning til egen læge")
    expect(page.locator(".follow-up-note")).to_have_text(
        "Opspor opretter ingen opgave for den valgte handling. Aftal selv, hvem der gør hvad og hvornår, "
        "og skriv det i beskrivelsen."
    )
