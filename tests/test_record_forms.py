"""HTML forms use the same write path: typed values survive errors; replays are idempotent."""

import re
import uuid

import pytest
from sqlalchemy import func
from sqlmodel import select

from backend.domain.dates import today
from backend.records.forms import FormShapeError, form_to_body, unflatten
from backend.records.models import Record
from tests.support import ADBB_ITEMS, child_aged, login


def test_unflatten_builds_nested_data_and_drops_empty_rows() -> None:
    tree = unflatten(
        [
            ("type", "dialogue_meeting"),
            ("data.purpose", "Tale om søvn"),
            ("data.agreements.0.what", "Fast sengetid"),
            ("data.agreements.0.who", "Mor"),
            ("data.agreements.1.what", ""),
            ("data.agreements.1.who", ""),
            ("data.agreements.1.done", "on"),
            ("data.held_on", ""),
        ]
    )
    body = form_to_body(tree, ["agreements.*.done"])
    assert body["data"] == {
        "purpose": "Tale om søvn",
        "held_on": None,
        "agreements": [{"what": "Fast sengetid", "who": "Mor", "done": False}],
    }
    assert body["status"] == "draft" and body["base_version"] is None


@pytest.mark.parametrize("name", ["data..x", "a.b.c.d.e.f.g", "data.rows.999.x"])
def test_unplaceable_field_names_are_refused(name: str) -> None:
    with pytest.raises(FormShapeError):
        unflatten([(name, "1")])


def _form_token(client, path: str) -> tuple[str, str]:
    page = client.get(path).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    return token, record_id


def test_a_failed_form_keeps_what_was_typed(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    token, record_id = _form_token(client, f"/forms/adbb?child={child.id}")
    fields = {
        "csrf_token": token,
        "type": "adbb",
        "child_id": child.id,
        "status": "final",
        "data.screened_on": today().isoformat(),
        "data.items.eye_contact": "3",
        "data.present": "Mor og mormor <b>",
        "data.parent_dialogue": "Vi talte om øjenkontakt",
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 422
    page = response.text
    assert 'value="Mor og mormor &lt;b&gt;"' in page
    assert "Vi talte om øjenkontakt</textarea>" in page
    assert re.search(r'name="data.items.eye_contact" value="3" checked', page)
    # Each missing field is named, and the summary links to the field's real id (issue 17).
    assert "Point for Ansigtsudtryk skal udfyldes." in page
    assert "Anledning skal udfyldes." in page
    assert '<a href="#f-data-items-facial_expression">' in page
    assert 'id="f-data-items-facial_expression"' in page
    assert 'id="f-data-occasion"' in page
    assert "Point for Øjenkontakt" not in page  # scored: no error
    assert db.exec(select(func.count()).select_from(Record)).one() == 0


def test_a_completed_form_saves_and_redirects_to_the_record(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    token, record_id = _form_token(client, f"/forms/adbb?child={child.id}")
    fields = {
        "csrf_token": token,
        "type": "adbb",
        "child_id": child.id,
        "status": "final",
        "data.screened_on": today().isoformat(),
        "data.occasion": "second",
        "data.action": "none",
        **{f"data.items.{k}": "0" for k in ADBB_ITEMS},
    }
    response = client.post(f"/records/{record_id}", data=fields)
    assert response.status_code == 303
    assert response.headers["location"] == f"/records/{record_id}?gemt=1"
    view = client.get(response.headers["location"]).text
    assert "Gemt." in view and "Under grænsen" in view
    # The same form posted again (a double tap, a replay) changes nothing.
    assert client.post(f"/records/{record_id}", data=fields).status_code == 303
    assert db.exec(select(func.count()).select_from(Record)).one() == 1


def test_form_posts_answer_json_for_the_offline_outbox(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    record_id = str(uuid.uuid4())
    fields = {
        "type": "concern_note",
        "child_id": child.id,
        "status": "final",
        "data.observed_on": today().isoformat(),
        "data.text": "Note",
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "application/json"})
    assert response.status_code == 201
    assert response.json()["data"] == {
        "observed_on": today().isoformat(),
        "text": "Note",
        "abuse_path": False,
    }


def test_forms_are_only_offered_for_children_in_scope(client, demo, db) -> None:
    login(client, "demo-paedagog")
    hv_child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    assert client.get(f"/forms/concern_note?child={hv_child.id}").status_code == 404
    assert client.get("/forms/unknown?child=x").status_code == 404


def test_a_cleared_date_stays_cleared_and_flagged_when_the_form_comes_back(client, demo, db) -> None:
    """Issue 17 (13): the form shown again does not fill in today for a date the user emptied."""
    login(client, "demo-sundhedsplejerske")
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    token, record_id = _form_token(client, f"/forms/adbb?child={child.id}")
    fields = {
        "csrf_token": token,
        "type": "adbb",
        "child_id": child.id,
        "status": "final",
        "data.screened_on": "",
        "data.occasion": "second",
        "data.action": "none",
        **{f"data.items.{k}": "0" for k in ADBB_ITEMS},
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 422
    date_input = re.search(r'<input id="f-data-screened_on"[^>]*>', response.text).group(0)
    assert 'value=""' in date_input and 'aria-invalid="true"' in date_input
    assert "Dato for screeningen skal udfyldes." in response.text
    assert '<a href="#f-data-screened_on">' in response.text
