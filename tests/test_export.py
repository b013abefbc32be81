"""The right-of-access export: the child's data and records with their versions; internal
working notes and abuse-path notes listed for review and left out unless included with a
reason; every export audited."""

import pytest
from sqlmodel import select

from backend.domain.dates import today
from backend.people.models import Child
from backend.records.models import EvaluationRound
from tests.admin_support import events, new_client
from tests.support import children_of_unit, login, moved_child, put_record, user_named

AREAS = {
    "cognitive": "thriving",
    "emotional": "thriving",
    "social": "extra_attention",
    "physical": "thriving",
}


@pytest.fixture
def records(client, db, demo) -> dict:
    child = next(c for c in children_of_unit(db, "Dagplejen Syd") if c.id != moved_child(db).id)
    round_ = EvaluationRound(
        unit_id=_unit(db),
        name="Forår",
        opens_on=today(),
        closes_on=today(),
        created_by_id=user_named(db, "demo-dagplejer").id,
    )
    db.add(round_)
    db.commit()
    cm = new_client(client.app, "demo-dagplejer")
    base = {"round_id": round_.id, "areas": AREAS, "overall": "extra_attention"}
    individual = put_record(
        cm,
        "wellbeing",
        child.id,
        {**base, "kind": "individual", "area_notes": {"social": "Intern mavefornemmelse"}},
    )
    joint = put_record(
        cm,
        "wellbeing",
        child.id,
        {**base, "kind": "joint", "summary": "Leger mest alene", "decision": "dialogue_meeting"},
    )
    note = put_record(
        cm, "concern_note", child.id, {"observed_on": today().isoformat(), "text": "Træt om morgenen"}
    )
    corrected = put_record(
        cm,
        "concern_note",
        child.id,
        {"observed_on": today().isoformat(), "text": "Træt og sulten om morgenen"},
        record_id=note.json()["id"],
        base_version=1,
    )
    abuse = put_record(
        cm,
        "concern_note",
        child.id,
        {"observed_on": today().isoformat(), "text": "Mærker på armen", "abuse_path": True},
    )
    for response in (individual, joint, note, abuse):
        assert response.status_code == 201, response.text
    assert corrected.status_code == 200
    return {
        "child": child,
        "individual": individual.json()["id"],
        "joint": joint.json()["id"],
        "note": note.json()["id"],
        "abuse": abuse.json()["id"],
    }


def _unit(db) -> str:
    from tests.support import unit_named

    return unit_named(db, "Dagplejen Syd").id


def test_the_export_holds_the_childs_data_and_leaves_out_notes_for_review(client, db, records) -> None:
    login(client, "demo-admin")
    child = records["child"]
    response = client.get(f"/api/export/children/{child.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["child"]["name"] == child.name and body["child"]["birth_date"] == child.birth_date.isoformat()
    assert body["guardians"] and body["placements"][0]["unit"] == "Dagplejen Syd"
    included = {r["id"]: r for r in body["records"]}
    assert set(included) == {records["joint"], records["note"]}
    versions = included[records["note"]]["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["data"]["text"] == "Træt om morgenen"
    review = {r["id"]: r["reason"] for r in body["for_review"]}
    assert review == {records["individual"]: "internal_note", records["abuse"]: "abuse_path"}
    assert "Mærker på armen" not in response.text and "Intern mavefornemmelse" not in response.text
    [event] = events(db, "export.child")
    assert event.child_id == child.id and event.detail["held_back"] == 2 and event.detail["reason"] == ""


def test_notes_for_review_are_included_only_with_a_reason_which_is_audited(client, db, records) -> None:
    login(client, "demo-admin")
    child = records["child"]
    url = f"/api/export/children/{child.id}"  # inclusions and the reason go in the body (L-9)
    refused = client.post(url, json={"include": [records["individual"]]})
    assert refused.status_code == 422 and "begrundelse" in refused.json()["detail"]
    reason = "Forældrene har bedt om alle vurderinger"
    response = client.post(url, json={"include": [records["individual"]], "reason": reason})
    assert response.status_code == 200
    ids = {r["id"] for r in response.json()["records"]}
    assert records["individual"] in ids and records["abuse"] not in ids
    [event] = events(db, "export.child")
    assert event.detail["included_after_review"] == [records["individual"]]
    assert event.detail["reason"] == "Forældrene har bedt om alle vurderinger"


def test_the_printable_document_and_json_download_for_the_admin(client, db, records) -> None:
    login(client, "demo-admin")
    child = records["child"]
    page = client.get(f"/admin/export/children/{child.id}")
    assert page.status_code == 200
    assert "Til manuel gennemgang" in page.text and "Træt og sulten om morgenen" in page.text
    assert "Mærker på armen" not in page.text and "Intern mavefornemmelse" not in page.text
    assert "Version 1" in page.text and "Leger mest alene" in page.text
    no_reason = client.post(
        f"/admin/export/children/{child.id}", data={"include": records["abuse"], "reason": ""}
    )
    assert no_reason.status_code == 422 and "Mærker på armen" not in no_reason.text
    chosen = client.post(
        f"/admin/export/children/{child.id}",
        data={"include": records["abuse"], "reason": "Gennemgået med leder; udleveres", "format": "html"},
    )
    assert chosen.status_code == 200 and "Mærker på armen" in chosen.text
    download = client.post(f"/admin/export/children/{child.id}", data={"format": "json"})
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.json()["child"]["id"] == child.id
    outputs = [e.detail["output"] for e in events(db, "export.child")]
    assert outputs == ["html", "html", "html", "json"]


def test_the_export_shows_the_cpr_only_inside_the_document(client, db, demo) -> None:
    from tests.admin_support import child_with_cpr

    login(client, "demo-admin")
    child = child_with_cpr(db)
    body = client.get(f"/api/export/children/{child.id}").json()
    assert body["child"]["cpr"] == child.cpr[:6] + "-" + child.cpr[6:]
    assert child.cpr not in str([e.detail for e in events(db, "export.child")])


def test_a_child_with_nothing_recorded_exports_cleanly(client, db, demo) -> None:
    login(client, "demo-admin")
    child = db.exec(select(Child).order_by(Child.name)).first()
    body = client.get(f"/api/export/children/{child.id}").json()
    assert body["records"] == [] and body["for_review"] == []


def test_the_export_lists_reads_of_the_child_including_offline_reads_with_both_times(
    client, db, demo
) -> None:
    from datetime import timedelta

    from backend.db import utcnow

    child = next(c for c in children_of_unit(db, "Dagplejen Syd") if c.id != moved_child(db).id)
    cm = new_client(client.app, "demo-dagplejer")
    assert cm.get(f"/children/{child.id}").status_code == 200
    read_at = (utcnow() - timedelta(hours=5)).replace(microsecond=0)
    sent = cm.post(
        "/api/sync", json={"items": [], "reads": [{"child_id": child.id, "at": read_at.isoformat()}]}
    )
    assert sent.json()["reads_recorded"] == 1
    login(client, "demo-admin")
    reads = client.post(f"/admin/export/children/{child.id}", data={"format": "json"}).json()["reads"]
    name = user_named(db, "demo-dagplejer").display_name
    assert [(r["by"], r["offline"]) for r in reads] == [(name, False), (name, True)]
    assert reads[1]["at"] == read_at.isoformat() and reads[1]["arrived_at"] > reads[1]["at"]
    page = client.get(f"/admin/export/children/{child.id}").text
    assert "Opslag på barnets side" in page and "uden net (fra telefonens kopi), modtaget" in page
