"""The receiving unit sees only the version of a transition description the parents consented to
(issue 12, M-3): never a draft before the consent, never an edit after it — on every route."""

from __future__ import annotations

import uuid

from sqlmodel import select

from backend.domain.dates import today
from backend.people.models import Placement
from backend.records.models import Record, Task
from tests.admin_support import new_client
from tests.support import put_record, unit_named
from tests.test_transitions import SUPERVISOR, cm_child, consent, description

RECEIVER = "demo-paedagog"
REMOVED = "Forældrene bad os fjerne denne sætning"
CONSENTED = "Elsker at synge og danse"
EDITED = "Tilføjet efter samtykket: bider ofte"


def _with_text(db, text: str) -> dict:
    data = description(db)
    data["parents_part"] = {**data["parents_part"], "about_child": text}
    return data


def _receiving_unit_texts(client, record_id: str, child_id: str) -> str:
    """Everything the receiving unit can read about the description, on every route it has."""
    pages = [
        client.get(f"/api/records/{record_id}"),
        client.get(f"/records/{record_id}"),
        client.get(f"/records/{record_id}/print"),
        client.get(f"/children/{child_id}"),
        client.get("/api/offline/manifest"),
        client.get("/api/tasks"),
    ]
    assert [p.status_code for p in pages] == [200] * len(pages)
    return " ".join(p.text for p in pages)


def _consented_description(client, db, child) -> tuple[str, dict]:
    """v1 a draft with a sentence the parents had removed, v2 final, consent on v2."""
    record_id = str(uuid.uuid4())
    assert (
        put_record(
            client, "transition", child.id, _with_text(db, REMOVED), status="draft", record_id=record_id
        ).status_code
        == 201
    )
    final = put_record(
        client, "transition", child.id, _with_text(db, CONSENTED), base_version=1, record_id=record_id
    )
    assert final.status_code == 200 and final.json()["version"] == 2
    given = put_record(client, "consent", child.id, consent(db, child, record_id, minutes_ago=30))
    assert given.status_code == 201
    return record_id, given.json()


def test_the_consent_stores_the_version_it_covers_and_keeps_it_when_corrected(client, demo, db) -> None:
    child = cm_child(db)
    author = new_client(client.app, SUPERVISOR)
    record_id, given = _consented_description(author, db, child)
    assert given["derived"]["scope_version"] == 2
    edited = put_record(
        author, "transition", child.id, _with_text(db, EDITED), base_version=2, record_id=record_id
    )
    assert edited.json()["version"] == 3
    corrected = put_record(
        author,
        "consent",
        child.id,
        {**consent(db, child, record_id, minutes_ago=30), "witness": "Kollega"},
        base_version=1,
        record_id=given["id"],
    )
    assert corrected.status_code == 200
    db.expire_all()
    stored = db.get(Record, given["id"])
    assert stored.derived["scope_version"] == 2  # a correction does not move the consent on
    assert db.get(Record, record_id).shared_version == 2


def test_the_receiving_unit_never_sees_drafts_before_consent_or_edits_after_it(client, demo, db) -> None:
    child = cm_child(db)
    author = new_client(client.app, SUPERVISOR)
    record_id, _given = _consented_description(author, db, child)
    receiver = new_client(client.app, RECEIVER)

    shown = receiver.get(f"/api/records/{record_id}").json()
    assert shown["version"] == 2 and shown["data"]["parents_part"]["about_child"] == CONSENTED
    assert [v["version"] for v in shown["versions"]] == [2]
    assert REMOVED not in _receiving_unit_texts(receiver, record_id, child.id)
    assert receiver.get(f"/records/{record_id}/versions/1").status_code == 404
    assert receiver.get(f"/records/{record_id}/versions/2").status_code == 200

    # The author changes the final description after the consent.
    edited = put_record(
        author, "transition", child.id, _with_text(db, EDITED), base_version=2, record_id=record_id
    )
    assert edited.status_code == 200 and edited.json()["version"] == 3
    everything = _receiving_unit_texts(receiver, record_id, child.id)
    assert EDITED not in everything and REMOVED not in everything and CONSENTED in everything
    shown = receiver.get(f"/api/records/{record_id}").json()
    assert shown["version"] == 2 and [v["version"] for v in shown["versions"]] == [2]
    for version in (1, 3):
        assert receiver.get(f"/records/{record_id}/versions/{version}").status_code == 404
    assert receiver.get(f"/records/{record_id}/edit").status_code == 403
    # Replaying the consented write (its exact body) answers with the consented version, not the edit.
    replay = put_record(
        receiver, "transition", child.id, _with_text(db, CONSENTED), base_version=1, record_id=record_id
    )
    assert replay.status_code == 200 and EDITED not in replay.text and replay.json()["version"] == 2

    # The author is told plainly that a new consent is needed, with the way to get it.
    page = author.get(f"/records/{record_id}").text
    assert "Beskrivelsen er ændret, efter forældrene gav samtykke." in page
    assert "Indhent et nyt samtykke til den nye version." in page
    assert f"/forms/consent?child={child.id}&amp;kind=transition_handover&amp;scope={record_id}" in page
    assert EDITED in page  # the author still sees the current version


def test_a_new_consent_on_the_new_version_hands_the_new_version_over(client, demo, db) -> None:
    child = cm_child(db)
    author = new_client(client.app, SUPERVISOR)
    record_id, _given = _consented_description(author, db, child)
    [arrived] = db.exec(select(Task).where(Task.kind == "transition_arrived", Task.status == "open")).all()
    leader = new_client(client.app, "demo-leder")
    assert leader.post(f"/tasks/{arrived.id}/done", data={"note": "Læst"}, headers={}).status_code == 303
    put_record(author, "transition", child.id, _with_text(db, EDITED), base_version=2, record_id=record_id)

    again = put_record(author, "consent", child.id, consent(db, child, record_id, minutes_ago=5))
    assert again.status_code == 201 and again.json()["derived"]["scope_version"] == 3
    receiver = new_client(client.app, RECEIVER)
    shown = receiver.get(f"/api/records/{record_id}").json()
    assert shown["version"] == 3 and shown["data"]["parents_part"]["about_child"] == EDITED
    assert [v["version"] for v in shown["versions"]] == [3]
    assert receiver.get(f"/records/{record_id}/versions/2").status_code == 404
    assert "Beskrivelsen er ændret" not in author.get(f"/records/{record_id}").text
    db.expire_all()
    assert db.get(Task, arrived.id).status == "open"  # the unit is told the new version arrived


def test_a_consent_on_a_draft_that_changed_before_it_was_finished_hands_nothing_over(
    client, demo, db
) -> None:
    child = cm_child(db)
    author = new_client(client.app, SUPERVISOR)
    record_id = str(uuid.uuid4())
    put_record(author, "transition", child.id, _with_text(db, CONSENTED), status="draft", record_id=record_id)
    assert put_record(author, "consent", child.id, consent(db, child, record_id)).status_code == 201
    finished = put_record(
        author, "transition", child.id, _with_text(db, EDITED), base_version=1, record_id=record_id
    )
    assert finished.status_code == 200
    receiver = new_client(client.app, RECEIVER)
    assert receiver.get(f"/api/records/{record_id}").status_code == 404
    assert receiver.get(f"/children/{child.id}").status_code == 404
    assert (
        "Beskrivelsen er ændret, efter forældrene gav samtykke." in author.get(f"/records/{record_id}").text
    )


def test_a_withdrawal_after_an_edit_shows_the_receiving_unit_nothing(client, demo, db) -> None:
    child = cm_child(db)
    author = new_client(client.app, SUPERVISOR)
    record_id, _given = _consented_description(author, db, child)
    put_record(author, "transition", child.id, _with_text(db, EDITED), base_version=2, record_id=record_id)
    withdrawn = consent(db, child, record_id, state="withdrawn", minutes_ago=1)
    assert put_record(author, "consent", child.id, withdrawn).status_code == 201
    receiver = new_client(client.app, RECEIVER)
    for url in (
        f"/api/records/{record_id}",
        f"/records/{record_id}",
        f"/records/{record_id}/print",
        f"/children/{child.id}",
    ):
        assert receiver.get(url).status_code == 404


def test_once_the_child_has_started_the_receiving_unit_still_reads_the_consented_version(
    client, demo, db
) -> None:
    child = cm_child(db)
    author = new_client(client.app, SUPERVISOR)
    record_id, _given = _consented_description(author, db, child)
    put_record(author, "transition", child.id, _with_text(db, EDITED), base_version=2, record_id=record_id)
    current = db.exec(
        select(Placement).where(Placement.child_id == child.id, Placement.ends_on.is_(None))
    ).one()
    current.ends_on = today()
    db.add(current)
    db.add(Placement(child_id=child.id, unit_id=unit_named(db, "Børnehuset Solsikken").id, starts_on=today()))
    db.commit()

    receiver = new_client(client.app, RECEIVER)
    everything = _receiving_unit_texts(receiver, record_id, child.id)
    api_child = receiver.get(f"/api/children/{child.id}")
    assert api_child.status_code == 200
    [shared] = [r for r in api_child.json()["records"] if r["id"] == record_id]
    assert shared["version"] == 2 and shared["data"]["parents_part"]["about_child"] == CONSENTED
    for text in (everything, api_child.text):
        assert EDITED not in text and REMOVED not in text


def test_the_migration_gives_handovers_made_before_it_their_consented_version(client, demo, db) -> None:
    """A description handed over by the old code and edited after the consent: after the
    migration the consent names the version it covered and only that version is shared."""
    import importlib

    from sqlalchemy import text

    from backend.db import get_engine

    child = cm_child(db)
    author = new_client(client.app, SUPERVISOR)
    record_id, given = _consented_description(author, db, child)
    put_record(author, "transition", child.id, _with_text(db, EDITED), base_version=2, record_id=record_id)
    consent_record = db.get(Record, given["id"])
    consent_record.derived = {k: v for k, v in consent_record.derived.items() if k != "scope_version"}
    db.add(consent_record)
    db.commit()
    db.close()

    migration = importlib.import_module("backend.migrations.versions.0010_consented_version")
    with get_engine().begin() as connection:
        connection.execute(text("UPDATE record SET shared_version = NULL WHERE id = :id"), {"id": record_id})
        migration._backfill(connection)  # what `upgrade` runs once the column is there
    db.expire_all()
    assert db.get(Record, record_id).shared_version == 2
    assert db.get(Record, given["id"]).derived["scope_version"] == 2
    receiver = new_client(client.app, RECEIVER)
    shown = receiver.get(f"/api/records/{record_id}").json()
    assert shown["version"] == 2 and EDITED not in receiver.get(f"/records/{record_id}").text
