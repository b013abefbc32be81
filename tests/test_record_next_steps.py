"""Issue 17, problem 15: a saved record's page says what now — the task it created as the next
step, the next child still to mark in a round, and the way back to the child — and "Ret (ny
version)" is no longer the page's only big button."""

from __future__ import annotations

import re

from backend.auth.policy import load_scope
from backend.domain.dates import today
from backend.records.rounds import build_overview, open_round_of, unmarked_by
from tests.support import adbb_data, children_of_unit, login, put_record, unit_named, user_named
from tests.wellbeing_support import mark

INST = "Børnehuset Solsikken"


def _what_now(html: str) -> str:
    found = re.search(r'<section class="card what-now".*?</section>', html, re.S)
    assert found, "no what-now section"
    return re.sub(r"\s+", " ", found.group(0))


def test_a_screening_over_the_cutoff_leads_to_its_follow_up_task(client, db, demo) -> None:
    login(client, "demo-sundhedsplejerske")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    saved = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 6))
    assert saved.status_code == 201, saved.text
    record_id = saved.json()["id"]
    task = next(t for t in client.get("/api/tasks").json() if t["record_id"] == record_id)
    html = client.get(f"/records/{record_id}?gemt=1").text
    section = _what_now(html)
    assert f'<a class="button" href="/forms/adbb?child={child.id}&amp;occasion=follow_up">' in section
    assert "Næste skridt: Opfølgende ADBB-screening" in section
    assert "Opgaven er oprettet og forfalder" in section
    assert f'href="/children/{child.id}">Tilbage til {child.name}</a>' in section
    assert task["kind"] == "adbb_follow_up"
    edit = re.search(rf'<a class="([^"]+)" href="/records/{record_id}/edit">Ret \(ny version\)</a>', html)
    assert edit is not None and "secondary" in edit.group(1)


def test_a_screening_without_a_task_goes_back_to_the_child(client, db, demo) -> None:
    login(client, "demo-sundhedsplejerske")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    record_id = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 2)).json()["id"]
    section = _what_now(client.get(f"/records/{record_id}?gemt=1").text)
    assert "Næste skridt" not in section
    assert f'<a class="button" href="/children/{child.id}">Tilbage til {child.name}</a>' in section


def test_a_mark_in_a_round_leads_to_the_next_child_to_mark(client, db, demo_full) -> None:
    pedagogue = user_named(db, "demo-paedagog")
    unit = unit_named(db, INST)
    current = open_round_of(db, unit.id, today())
    waiting = unmarked_by(
        db, build_overview(db, load_scope(db, pedagogue), current, today()), pedagogue.id, unit.id
    )
    assert len(waiting) >= 2
    login(client, "demo-paedagog")
    saved = put_record(client, "wellbeing", waiting[0].id, mark(current.id))
    assert saved.status_code == 201, saved.text
    section = _what_now(client.get(f"/records/{saved.json()['id']}?gemt=1").text)
    following = waiting[1]
    assert (
        f'href="/forms/wellbeing?child={following.id}&amp;round={current.id}">'
        f"Næste barn i runden: {following.name}</a>"
    ) in section
    back = f'href="/rounds/{current.id}#child-{waiting[0].id}">Tilbage til runden {current.name}</a>'
    assert back in section
