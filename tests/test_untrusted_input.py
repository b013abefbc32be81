"""Issue 12, H-1 and L-4: writes that are kept for later are checked like any write, and text that
cannot be stored (a lone UTF-16 surrogate) gets a Danish 422 naming the field, never a 500."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.records.models import KeptWrite, Record
from tests.support import children_of_unit, login, moved_child, put_record

SURROGATE_MESSAGE = "Indeholder et tegn, der ikke kan gemmes."


def _put_raw(client, child_id: str, data_json: str, record_id: str | None = None):
    """PUT a record whose `data` is given as raw JSON text (so it can hold what json.dumps won't);
    TODAY in it stands for today's date."""
    data_json = data_json.replace("TODAY", today().isoformat())
    head = {"type": "concern_note", "child_id": child_id, "base_version": None, "status": "final"}
    body = json.dumps(head)[:-1] + ', "data": ' + data_json + "}"
    return client.put(
        f"/api/records/{record_id or uuid.uuid4()}",
        content=body.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/json"},
    )


# --- Kept writes are validated before they are stored ------------------------------------------


def test_an_invalid_kept_write_answers_422_like_any_write_and_keeps_nothing(client, demo, db) -> None:
    child = moved_child(db)
    login(client, "demo-sundhedsplejerske")
    response = put_record(
        client, "concern_note", child.id, {"observed_on": "i går", "text": "Skrevet offline"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.observed_on"
    unknown = put_record(
        client, "concern_note", child.id, {"observed_on": today().isoformat(), "text": "x", "extra": "y"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "data.extra"
    assert db.exec(select(KeptWrite)).all() == []


def test_a_stale_write_with_an_unknown_key_is_refused_not_kept_as_a_conflict_copy(client, demo, db) -> None:
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    login(client, "demo-sundhedsplejerske")
    record_id = str(uuid.uuid4())
    data = {"observed_on": today().isoformat(), "text": "Første udgave"}
    assert put_record(client, "concern_note", child.id, data, record_id=record_id).status_code == 201
    assert (
        put_record(client, "concern_note", child.id, data, record_id=record_id, base_version=1).status_code
        == 200
    )
    stale = put_record(
        client, "concern_note", child.id, {**data, "<b>": "x"}, record_id=record_id, base_version=1
    )
    assert stale.status_code == 422
    assert db.exec(select(KeptWrite)).all() == []
    valid_stale = put_record(
        client, "concern_note", child.id, {**data, "text": "Min udgave"}, record_id=record_id, base_version=1
    )
    assert valid_stale.status_code == 409


# --- L-4: a lone surrogate is a Danish 422, not a 500 ---------------------------------------------


@pytest.mark.parametrize(
    ("data_json", "field"),
    [
        ('{"observed_on": "TODAY", "text": "a\\ud800b"}', "data.text"),
        ('{"observed_on": "TODAY", "text": "a\\uDFFFb"}', "data.text"),
        ('{"observed_on": "TODAY", "text": "\\udc00\\ud800"}', "data.text"),
        ('{"observed_on": "TODAY", "text": ["x", "\\ud800"]}', "data.text.1"),
        ('{"observed_on": "TODAY", "te\\ud800xt": "a"}', "data"),
        ('{"observed_on": "TODAY", "text": "a\ud800b"}', "data.text"),  # raw bytes, not an escape
    ],
)
def test_a_lone_surrogate_in_record_data_is_a_danish_422_naming_the_field(
    client, demo, db, data_json: str, field: str
) -> None:
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    login(client, "demo-sundhedsplejerske")
    response = _put_raw(client, child.id, data_json)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Nogle felter er ikke udfyldt rigtigt.",
        "errors": [{"field": field, "message": SURROGATE_MESSAGE}],
    }
    assert db.exec(select(Record)).all() == []


def test_a_lone_surrogate_in_a_write_that_would_be_kept_is_a_422_too(client, demo, db) -> None:
    child = moved_child(db)
    login(client, "demo-sundhedsplejerske")
    response = _put_raw(client, child.id, '{"observed_on": "TODAY", "text": "\\ud800"}')
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.text"
    assert db.exec(select(KeptWrite)).all() == []


def test_a_surrogate_pair_is_an_ordinary_character(client, demo, db) -> None:
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    login(client, "demo-sundhedsplejerske")
    pair = '{"observed_on": "TODAY", "text": "Synger \\ud83c\\udfb5"}'
    response = _put_raw(client, child.id, pair)
    assert response.status_code == 201
    assert db.exec(select(Record)).one().data["text"] == "Synger 🎵"
    # An escaped backslash followed by "ud800" is plain text, not a surrogate.
    plain = _put_raw(client, child.id, '{"observed_on": "TODAY", "text": "C:\\\\ud800"}')
    assert plain.status_code == 201 and plain.json()["data"]["text"] == "C:\\ud800"


def test_every_json_body_is_checked_not_only_records(client, demo) -> None:
    response = client.post(
        "/api/session",
        content=b'{"username": "demo-paedagog\\ud800", "password": "demo"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "username", "message": SURROGATE_MESSAGE}]


def test_a_form_post_with_a_broken_character_is_not_a_server_error(client, demo, db) -> None:
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    login(client, "demo-sundhedsplejerske")
    page = client.get(f"/forms/concern_note?child={child.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    body = (
        f"csrf_token={token}&type=concern_note&child_id={child.id}&status=final"
        f"&data.observed_on={today().isoformat()}&data.text=a%ED%A0%80b"
    )
    for accept in ("text/html", "application/json"):
        response = client.post(
            f"/records/{record_id}",
            content=body.encode(),
            headers={"content-type": "application/x-www-form-urlencoded", "accept": accept},
        )
        assert response.status_code < 500, accept
    stored = db.exec(select(Record)).one()
    json.dumps(stored.data, ensure_ascii=False).encode("utf-8")  # storable text only
