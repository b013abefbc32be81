"""Issue 17 §4, 7, 9, 10 and the wording: follow-ups said plainly, "Gem og næste barn", consent
in the same tab with a way back, the consent screen's choices, Danish times and words."""

import re
import uuid
from datetime import date, datetime, timedelta

from sqlmodel import select

from backend.domain import adbb, consent, wellbeing
from backend.domain.dates import today
from backend.records.models import EvaluationRound, Record, Task
from tests.support import adbb_data, child_aged, children_of_unit, login, put_record, unit_named, user_named

HV = "Sundhedsplejen Nord"
SOLSIKKEN = "Børnehuset Solsikken"


# --- §4: a chosen follow-up is a task, or the page says no task is made ---------------------------


def test_a_follow_up_is_wanted_over_the_cut_off_and_when_chosen_below_it() -> None:
    assert adbb.wants_follow_up(True, "none")
    assert adbb.wants_follow_up(False, "follow_up")
    assert not adbb.wants_follow_up(False, "doctor")
    assert not adbb.wants_follow_up(False, None)


def test_follow_up_below_the_cut_off_creates_the_task_and_says_so(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, HV, 3, 12)
    screened = today() - timedelta(days=1)
    data = adbb_data(screened.isoformat(), 2, action="follow_up")
    response = put_record(client, "adbb", child.id, data)
    assert response.status_code == 201, response.text
    record_id = response.json()["id"]
    due = screened + timedelta(days=14)  # the municipal follow-up interval (domain §8)
    task = db.exec(select(Task).where(Task.key == f"adbb_follow_up:{record_id}")).one()
    assert task.kind == "adbb_follow_up" and task.due_on == due and task.status == "open"
    page = client.get(f"/records/{record_id}").text
    assert "Under grænsen" in page
    assert "Opgave oprettet:" in page and "opfølgende screening senest" in page


def test_an_action_without_a_task_says_so(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, HV, 3, 12)
    data = adbb_data((today() - timedelta(days=1)).isoformat(), 1, action="doctor")
    record_id = put_record(client, "adbb", child.id, data).json()["id"]
    assert db.exec(select(Task).where(Task.record_id == record_id)).first() is None
    page = client.get(f"/records/{record_id}").text
    assert "Opspor opretter ingen opgave for den valgte handling." in page
    none_id = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 0)).json()["id"]
    assert "Ingen opfølgning: der oprettes ingen opgave." in client.get(f"/records/{none_id}").text


def test_a_concern_note_says_that_no_task_is_made(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, HV, 3, 12)
    data = {"observed_on": today().isoformat(), "text": "Barnet virkede træt og fjern.", "abuse_path": False}
    record_id = put_record(client, "concern_note", child.id, data).json()["id"]
    page = client.get(f"/records/{record_id}").text
    assert "Der oprettes ingen opgave for et bekymringsnotat." in page


# --- §7: "Gem og næste barn" --------------------------------------------------------------------


def test_the_next_child_to_mark_goes_round_the_list() -> None:
    order = ["a", "b", "c", "d"]
    assert wellbeing.next_to_mark(order, {"a", "c", "d"}, "a") == "c"
    assert wellbeing.next_to_mark(order, {"a", "b"}, "c") == "a"
    assert wellbeing.next_to_mark(order, {"c"}, "c") is None
    assert wellbeing.next_to_mark(order, set(), "b") is None
    assert wellbeing.next_to_mark(order, {"b"}, None) == "b"


def _open_round(db, unit_name: str) -> EvaluationRound:
    evaluation_round = EvaluationRound(
        unit_id=unit_named(db, unit_name).id,
        name="Forår",
        opens_on=today() - timedelta(days=1),
        closes_on=today() + timedelta(days=20),
        created_by_id=user_named(db, "demo-leder").id,
    )
    db.add(evaluation_round)
    db.commit()
    return evaluation_round


def _form(client, path: str) -> tuple[str, str, str]:
    page = client.get(path).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    return page, token, record_id


def _mark_fields(token: str, child_id: str, round_id: str) -> dict[str, str]:
    fields = {
        "csrf_token": token,
        "type": "wellbeing",
        "child_id": child_id,
        "data.kind": "individual",
        "data.round_id": round_id,
        "data.overall": "thriving",
        "data.context": "thriving",
    }
    fields.update({f"data.areas.{key}": "thriving" for key in wellbeing.AREAS})
    return fields


def test_save_and_next_child_marks_final_and_opens_the_next_child(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    evaluation_round = _open_round(db, HV)
    child = children_of_unit(db, HV)[0]
    page, token, record_id = _form(client, f"/forms/wellbeing?child={child.id}&round={evaluation_round.id}")
    assert 'name="then" value="next"' in page and "Gem og næste barn" in page
    assert f'href="/rounds/{evaluation_round.id}#child-{child.id}"' in page  # the way back: the round
    fields = _mark_fields(token, child.id, evaluation_round.id) | {"then": "next"}
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/rounds/{evaluation_round.id}/next?efter={child.id}"
    assert db.get(Record, record_id).status == "final"

    onward = client.get(response.headers["location"])
    assert onward.status_code == 303
    next_url = onward.headers["location"]
    assert next_url.startswith("/forms/wellbeing?child=") and f"round={evaluation_round.id}" in next_url
    next_child = re.search(r"child=([0-9a-f-]{36})", next_url).group(1)
    assert next_child != child.id
    assert "Gemt. Her er det næste barn i runden." in client.get(next_url).text

    saved = client.get(f"/records/{record_id}?gemt=1").text
    assert "Tilbage til runden" in saved and f'href="/rounds/{evaluation_round.id}#child-{child.id}"' in saved


def test_next_outside_the_scope_or_for_a_closed_round(client, demo, db) -> None:
    login(client, "demo-paedagog")
    evaluation_round = _open_round(db, HV)  # not the pedagogue's unit
    assert client.get(f"/rounds/{evaluation_round.id}/next?efter=x").status_code == 404
    login(client, "demo-sundhedsplejerske")
    evaluation_round.closes_on = today() - timedelta(days=1)
    evaluation_round.opens_on = today() - timedelta(days=5)
    db.add(evaluation_round)
    db.commit()
    response = client.get(f"/rounds/{evaluation_round.id}/next?efter=x")
    assert response.headers["location"] == f"/rounds/{evaluation_round.id}?alle=1"


# --- §9: consent for a named reflection, in the same tab ---------------------------------------


def test_consent_for_a_named_reflection_opens_in_the_same_tab_and_leads_back(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = children_of_unit(db, SOLSIKKEN)[0]
    page, token, record_id = _form(client, f"/forms/reflection?child={child.id}")
    assert 'target="_blank"' not in page
    assert 'name="then" value="consent"' in page
    fields = {
        "csrf_token": token,
        "type": "reflection",
        "child_id": child.id,
        "data.anonymous": "",
        "data.held_on": today().isoformat(),
        "then": "consent",
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/forms/consent?") and "kind=sparring_case" in location
    assert f"scope={record_id}" in location and f"fra={record_id}" in location
    assert db.get(Record, record_id).status == "draft"

    consent_page, token, consent_id = _form(client, location)
    # The only thing the consent can cover is preselected; the way back is the reflection.
    assert re.search(rf'<option value="{record_id}" selected>', consent_page)
    assert f'href="/records/{record_id}/edit"' in consent_page
    assert 'value="withdrawn"' not in consent_page
    guardian = re.search(r'name="data.guardian" value="([0-9a-f-]{36})"', consent_page).group(1)
    fields = {
        "csrf_token": token,
        "type": "consent",
        "child_id": child.id,
        "status": "final",
        "fra": record_id,
        "data.kind": "sparring_case",
        "data.scope": record_id,
        "data.guardian": guardian,
        "data.state": "given",
        "data.decided_at": (datetime.now() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "data.evidence.typed_name": "Forælder",
    }
    response = client.post(f"/records/{consent_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/records/{record_id}/edit"
    assert "Forældrene har givet samtykke" in client.get(response.headers["location"]).text


def test_only_one_option_is_preselected_when_no_scope_is_named() -> None:
    assert consent.only_option({"a": "A"}) == "a"
    assert consent.only_option({"a": "A", "b": "B"}) is None
    assert consent.only_option({}) is None


# --- §10: the consent screen --------------------------------------------------------------------


def test_a_new_consent_offers_given_or_refused_and_withdrawal_only_to_withdraw() -> None:
    assert list(consent.states_offered(True, None)) == ["given", "refused"]
    assert "withdrawn" in consent.states_offered(True, "withdrawn")
    assert "withdrawn" in consent.states_offered(False, None)


def test_a_new_consent_form_offers_no_withdrawal_and_times_are_danish(client, demo, db) -> None:
    login(client, "demo-paedagog")
    child = children_of_unit(db, SOLSIKKEN)[0]
    page, _token, _id = _form(client, f"/forms/consent?child={child.id}")
    assert 'value="withdrawn"' not in page and "Trukket tilbage" not in page
    guardian = re.search(r'name="data.guardian" value="([0-9a-f-]{36})"', page).group(1)
    data = {
        "kind": "collegial_dialogue",
        "scope": unit_named(db, SOLSIKKEN).id,
        "guardian": guardian,
        "state": "given",
        "decided_at": "2026-12-07T01:47:00",
        "evidence": {"typed_name": "Forælder"},
    }
    if date(2026, 12, 7) > today():
        data["decided_at"] = (today() - timedelta(days=1)).isoformat() + "T01:47:00"
    response = put_record(client, "consent", child.id, data)
    assert response.status_code == 201, response.text
    shown = client.get(f"/records/{response.json()['id']}").text
    assert re.search(r"\d{1,2}\. \w+\.? \d{4} kl\. 01\.47", shown), "the Danish way"
    assert not re.search(r"\d{4}-\d{2}-\d{2} 01:47", shown)


# --- The smaller wording ones -------------------------------------------------------------------


def test_one_month_is_singular_and_a_draft_badge_is_its_own_word(client, demo, db) -> None:
    from backend.web.templating import age_text

    assert age_text(date(2023, 1, 10), date(2025, 2, 10)) == "2 år og 1 md."
    assert age_text(date(2023, 1, 10), date(2025, 3, 10)) == "2 år og 2 mdr."
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, HV, 3, 12)
    data = {"observed_on": today().isoformat(), "text": "Kladde til test."}
    put_record(client, "concern_note", child.id, data, status="draft", record_id=str(uuid.uuid4()))
    page = client.get(f"/children/{child.id}").text
    assert "Bekymringsnotat <span" in page or "Bekymringsnotat\n" in page
    assert "Bekymringsnotat<span" not in page


def test_the_menu_names_what_waits_plainly(client, demo) -> None:
    login(client, "demo-sundhedsplejerske")
    page = client.get("/conflicts").text
    assert "Til afklaring" not in page and "Ikke gemte ændringer" in page
