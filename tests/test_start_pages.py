"""Issue 17: each person starts where their work is — "I dag" with the open round to mark (and
a count), the leader on the overview of their own unit, the administrator on the admin home."""

from __future__ import annotations

import re

from backend.auth.policy import load_scope
from backend.domain.dates import today
from backend.domain.overview import own_unit
from backend.domain.start import start_path
from backend.records.rounds import build_overview, open_round_of, unmarked_by
from tests.support import login, unit_named, user_named

INST = "Børnehuset Solsikken"


def test_start_paths_by_role() -> None:
    assert start_path(is_professional=True, leads=True, is_admin=True) == "/"
    assert start_path(is_professional=False, leads=True, is_admin=False) == "/leader/overview"
    assert start_path(is_professional=False, leads=False, is_admin=True) == "/admin"
    assert start_path(is_professional=False, leads=False, is_admin=False) == "/"


def test_the_overview_opens_on_the_chosen_then_a_worked_in_unit() -> None:
    assert own_unit(["a", "b", "c"], None, set()) == "a"
    assert own_unit(["a", "b", "c"], None, {"c"}) == "c"
    assert own_unit(["a", "b", "c"], "b", {"c"}) == "b"
    assert own_unit(["a", "b", "c"], "gone", set()) == "a"
    assert own_unit([], None, set()) is None


def test_today_shows_the_open_round_with_the_number_still_to_mark(client, db, demo_full) -> None:
    pedagogue = user_named(db, "demo-paedagog")
    unit = unit_named(db, INST)
    scope = load_scope(db, pedagogue)
    current = open_round_of(db, unit.id, today())
    assert current is not None
    expected = len(unmarked_by(db, build_overview(db, scope, current, today()), pedagogue.id, unit.id))
    assert expected > 0
    login(client, "demo-paedagog")
    html = client.get("/").text
    card = re.search(r'<li class="card work-card">(.*?)</li>', html, re.S)
    assert card is not None, "no open-work card on I dag"
    assert current.name in card.group(1)
    assert f"{expected} af dine børn mangler din vurdering" in card.group(1)
    assert f'href="/units/{unit.id}/rounds"' in card.group(1)


def test_the_leader_and_the_admin_do_not_land_on_an_empty_today(client, db, demo) -> None:
    login(client, "demo-leder")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/leader/overview"
    page = client.get("/leader/overview").text
    assert '<a href="/leader/overview" aria-current="page">' in re.sub(r"\s+", " ", page)
    client.delete("/api/session")
    login(client, "demo-admin")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin"


def test_the_overview_opens_on_the_unit_the_leader_chose_last(client, db, demo) -> None:
    """Not the alphabetically first unit: the one chosen last (remembered in a cookie)."""
    login(client, "demo-leder")
    first = re.search(r'<p class="lead" id="overview-heading">([^<·]+)', client.get("/leader/overview").text)
    assert first is not None
    chosen = unit_named(db, "Sundhedsplejen Nord")
    assert chosen.name != first.group(1).strip()
    assert client.get(f"/leader/overview?unit={chosen.id}").status_code == 200
    again = re.search(r'<p class="lead" id="overview-heading">([^<·]+)', client.get("/leader/overview").text)
    assert again is not None and again.group(1).strip() == chosen.name


def test_today_counts_answers_from_parents_and_forms_still_waiting(client, app, db, demo) -> None:
    from tests.parents_support import csrf_of, hv_child, invited, link_path, signed_in_parent

    child = hv_child(db)
    _record, answered, _mother = invited(client, db, child)
    invited(client, db, child, part="meeting_preparation")
    parent, page = signed_in_parent(app, answered)
    parent.post(link_path(answered), data={"about_child": "Glad dreng", "csrf_token": csrf_of(page.text)})
    html = re.sub(r"\s+", " ", client.get("/").text)
    work = html.split('id="work-heading"')[1].split("</section>")[0]
    assert '<a href="#parents-heading">1 svar fra forældre at læse</a>' in work
    assert '<a href="#parents-heading">1 skema venter på forældrene</a>' in work
    assert 'id="parents-heading"' in html
