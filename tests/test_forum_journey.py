"""The forum journey in Chromium at a phone's width (360 px): the leader puts a consented child
on the resource team's agenda, the pædagog fills in and shares the preparation, the partner
signs in (password and TOTP) and reads the case and adds a contribution, the leader writes the
minutes — and their tasks show up in the pædagog's and the partner's lists."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlmodel import select

from backend.auth import totp
from backend.auth.models import TotpCredential
from backend.auth.passwords import hash_password
from backend.config import Settings
from backend.db import make_engine, new_session
from backend.domain.dates import today
from backend.people.forum_models import Forum, ForumCase, ForumMeeting, ForumMember
from backend.people.models import Guardian, Role, RoleAssignment, User
from tests.forum_support import give_forum_consent
from tests.support import PHONE, children_of_unit, unit_named, user_named

PASSWORD = "Ressourceteam-rejse-2026"


def _prepare_world(server) -> dict[str, str]:
    """In the live server's database: a partner (a local account with TOTP) in the demo resource
    team, and the parents' consent for a child not yet on the agenda."""
    engine = make_engine(server.env["OPSPOR_DATABASE_URL"])
    with new_session(engine) as db:
        unit = unit_named(db, "Børnehuset Solsikken")
        forum = db.exec(select(Forum).where(Forum.name == "Ressourceteam Børnehuset Solsikken")).one()
        meeting = db.exec(
            select(ForumMeeting).where(ForumMeeting.forum_id == forum.id, ForumMeeting.status == "planned")
        ).first()
        on_agenda = set(db.exec(select(ForumCase.child_id).where(ForumCase.meeting_id == meeting.id)).all())
        child = next(
            c
            for c in children_of_unit(db, "Børnehuset Solsikken")
            if c.id not in on_agenda
            and db.exec(select(Guardian).where(Guardian.child_id == c.id)).first() is not None
        )
        leader = user_named(db, "demo-leder")
        give_forum_consent(db, child.id, forum.id, unit.id, leader.id)
        partner = User(
            municipality_id=unit.municipality_id,
            username="ppr-psykolog",
            display_name="Pia PPR",
            password_hash=hash_password(PASSWORD),
        )
        db.add(partner)
        db.flush()
        db.add(RoleAssignment(user_id=partner.id, role=Role.partner, unit_id=unit.id))
        db.add(ForumMember(forum_id=forum.id, user_id=partner.id, role="partner", title="PPR-psykolog"))
        secret = totp.new_secret()
        sealed = totp.seal(Settings(secret_key=server.env["OPSPOR_SECRET_KEY"]), secret)
        db.add(TotpCredential(user_id=partner.id, secret_sealed=sealed))
        db.commit()
        found = {
            "meeting": meeting.id,
            "child": child.id,
            "child_name": child.name,
            "secret": secret,
            "paedagog": user_named(db, "demo-paedagog").id,
            "partner": partner.id,
        }
    engine.dispose()
    return found


def _sign_in(browser, server, username: str, password: str = "demo", secret: str | None = None):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="Log ind", exact=True).click()
    if secret is not None:
        page.wait_for_selector("#code")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Bekræft", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_forum_journey_on_a_phone(browser, live_server) -> None:
    world = _prepare_world(live_server)
    base = live_server.url

    # The leader puts the child on the agenda.
    context, page = _sign_in(browser, live_server, "demo-leder")
    page.goto(f"{base}/forums/meetings/{world['meeting']}")
    _fits(page)
    page.select_option("#f-child_id", world["child"])
    page.locator("form:has(input[value=named]) button").click()
    page.wait_for_url(re.compile(r"/forums/cases/[0-9a-f-]{36}$"))
    case_url = page.url
    assert world["child_name"] in page.text_content("h1")
    context.close()

    # The pædagog fills in and shares the preparation.
    context, page = _sign_in(browser, live_server, "demo-paedagog")
    page.goto(case_url)
    page.fill("#f-question", "Hvordan hjælper vi ham ind i legen med de andre?")
    page.fill("#f-tried", "Små legegrupper om formiddagen.")
    page.get_by_role("button", name="Del forberedelsen").click()
    page.wait_for_selector("text=Forberedelsen er delt")
    _fits(page)
    context.close()

    # The partner signs in with password and code, finds the case and reads it.
    partner_context, page = _sign_in(browser, live_server, "ppr-psykolog", PASSWORD, world["secret"])
    assert page.url.endswith("/forums")
    page.locator(f"a[href='{case_url.removeprefix(base)}']").first.click()
    page.wait_for_selector("text=Hvordan hjælper vi ham ind i legen med de andre?")
    _fits(page)
    page.fill("#f-contribution", "PPR kan observere i stuen i næste uge.")
    page.get_by_role("button", name="Tilføj bidrag").click()
    page.wait_for_selector("text=Pia PPR:")
    assert page.locator("#f-plan").count() == 0  # no minutes form for a partner

    # The leader writes the minutes: two lines of who does what, and telling the parents.
    context, page = _sign_in(browser, live_server, "demo-leder")
    page.goto(case_url)
    page.fill("#f-plan", "Tværfagligt forløb med PPR; opfølgning på næste møde.")
    page.check("input[name=action_path][value=cross_disciplinary]")
    page.fill("#f-action_what_0", "Observation i stuen")
    page.select_option("#f-action_who_0", world["partner"])
    page.fill("#f-action_by_0", (today() + timedelta(days=14)).isoformat())
    page.fill("#f-action_what_1", "Aftal legegrupper med kollegerne")
    page.select_option("#f-action_who_1", world["paedagog"])
    page.fill("#f-action_by_1", (today() + timedelta(days=7)).isoformat())
    page.check("input[name=tell_parents]")
    page.get_by_role("button", name="Gem referatet").click()
    page.wait_for_selector("text=Observation i stuen — Pia PPR")
    _fits(page)
    context.close()

    # The tasks show up in the assignees' lists.
    context, page = _sign_in(browser, live_server, "demo-paedagog")
    page.goto(f"{base}/tasks")
    page.wait_for_selector("text=Opgave fra forummøde: Aftal legegrupper med kollegerne")
    page.wait_for_selector("text=Fortæl forældrene, hvad der skal ske efter forummødet")
    _fits(page)
    context.close()
    page = partner_context.pages[0]  # still signed in (a TOTP code is accepted once)
    page.goto(f"{base}/tasks")
    page.wait_for_selector("text=Opgave fra forummøde: Observation i stuen")
    assert world["child_name"] not in page.text_content("main")  # the partner's task names no child
    partner_context.close()
