"""Items sealed to the server (issue 20): pwa/seal.js (run in Node, as the phone's code) seals to a
key the server made, `POST /api/sync` opens and decides them as plain ones; what cannot be opened
is that item's 422 `code: "sealed"`; older keys keep opening; the Python side seals the same
format the phone opens (the phone's self-sealed answers)."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from prometheus_client import REGISTRY
from sqlmodel import select

from backend.audit import AuditEvent
from backend.config import PROJECT_DIR, get_settings
from backend.db import utcnow
from backend.domain.dates import today
from backend.records.models import Record
from backend.sync import sealing
from backend.sync.models import SealingKey
from tests.admin_support import events
from tests.support import child_aged, login

PWA = PROJECT_DIR / "pwa"


def js(body: str) -> object:
    """Run `body` (an async function body) in Node 20 with pwa/seal.js loaded as the worker loads
    it (a classic script defining `OpsporSeal` on the global object); its return value as JSON."""
    script = (
        "import vm from 'node:vm'; import fs from 'node:fs';"
        "vm.runInThisContext(fs.readFileSync('seal.js', 'utf8'));"
        f"const result = await (async () => {{ {body} }})();"
        "console.log(JSON.stringify(result));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=PWA,
    )
    return json.loads(done.stdout)


def phone_seals(recipient: dict, values: list) -> list[dict]:
    return js(
        f"const recipient = {json.dumps(recipient)};"
        f"return Promise.all({json.dumps(values)}.map((v) => OpsporSeal.seal(recipient, v)));"
    )


def _note(child_id: str, text: str = "Set i dag") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "schema": 1,
        "type": "concern_note",
        "child_id": child_id,
        "base_version": None,
        "status": "final",
        "data": {"observed_on": today().isoformat(), "text": text},
    }


def _child(db):
    return child_aged(db, "Sundhedsplejen Nord", 3, 12)


def _writes(status: int) -> float:
    return REGISTRY.get_sample_value("opspor_record_writes_total", {"status": str(status)}) or 0.0


def _stored(db, record_id: str) -> Record | None:
    db.expire_all()
    return db.get(Record, record_id)


def test_a_write_sealed_by_the_phone_is_stored_and_audited_as_a_plain_one(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    key = client.get("/api/sync/key")
    assert key.status_code == 200 and "max-age" in key.headers["cache-control"]
    recipient = key.json()
    assert set(recipient) == {"kid", "jwk"} and recipient["jwk"]["crv"] == "P-256"
    assert "d" not in recipient["jwk"]  # the public part only
    assert client.get("/api/sync/key").json() == recipient  # one key, made once
    child = _child(db)
    sealed_note, plain_note = _note(child.id, "Låst telefon, æøå"), _note(child.id, "Åben telefon")
    [envelope] = phone_seals(recipient, [sealed_note])
    assert set(envelope["sealed"]) == {"v", "kid", "epk", "iv", "ct"}
    assert "Låst" not in json.dumps(envelope) and child.id not in json.dumps(envelope)
    written = _writes(201)
    answer = client.post("/api/sync", json={"items": [envelope, plain_note]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [(sealed_note["id"], 201), (plain_note["id"], 201)]
    assert results[0]["record"]["data"]["text"] == "Låst telefon, æøå"
    assert _stored(db, sealed_note["id"]).data["text"] == "Låst telefon, æøå"
    assert _writes(201) == written + 2  # counted as plain ones
    by_record = {}
    for event in db.exec(
        select(AuditEvent).where(AuditEvent.object_id.in_([n["id"] for n in (sealed_note, plain_note)]))
    ):
        by_record.setdefault(event.object_id, []).append(event.action)
    assert by_record[sealed_note["id"]] == by_record[plain_note["id"]] != []
    assert events(db, "sync.sealed_refused") == []


def test_a_sealed_read_becomes_the_offline_read_event(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = _child(db)
    read_at = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    [read] = phone_seals(
        client.get("/api/sync/key").json(), [{"child_id": child.id, "at": read_at.isoformat()}]
    )
    answer = client.post("/api/sync", json={"items": [], "reads": [read]})
    assert answer.status_code == 200 and answer.json()["reads_recorded"] == 1
    [event] = [e for e in events(db, "child.read") if e.detail.get("offline") is True]
    assert event.child_id == child.id and event.detail["read_at"] == read_at.isoformat()


def test_what_cannot_be_opened_is_that_items_422_and_the_others_are_stored(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    recipient = client.get("/api/sync/key").json()
    child = _child(db)
    notes = [_note(child.id, f"Nummer {n}") for n in range(4)]
    tampered, wrong_kid, good = phone_seals(recipient, notes[:3])
    ct = tampered["sealed"]["ct"]
    tampered["sealed"]["ct"] = ("A" if ct[0] != "A" else "B") + ct[1:]
    wrong_kid["sealed"]["kid"] = "en-anden-nøgle"
    [stranger] = phone_seals({"kid": recipient["kid"], "jwk": _other_public_jwk()}, [notes[3]])
    garbage = [
        {"sealed": "x"},
        {"sealed": {"v": 1, "kid": recipient["kid"], "epk": "!!", "iv": "", "ct": ""}},
    ]
    bad_read = phone_seals(recipient, [{"child_id": child.id, "at": utcnow().isoformat()}])[0]
    bad_read["sealed"]["iv"] = "AAAAAAAAAAAAAAAA"
    refused_before = _writes(422)
    body = {"items": [tampered, wrong_kid, good, stranger, *garbage], "reads": [bad_read]}
    answer = client.post("/api/sync", json=body)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [422, 422, 201, 422, 422, 422]
    assert results[2]["id"] == notes[2]["id"]
    for result in results[:2] + results[3:]:
        assert result["code"] == "sealed" and result["id"] is None
        assert "kunne ikke åbnes" in result["detail"]
    assert answer.json()["reads_recorded"] == 0
    assert _stored(db, notes[2]["id"]) is not None
    assert [n["id"] for n in notes if _stored(db, n["id"])] == [notes[2]["id"]]
    assert _writes(422) == refused_before + 5
    refused = events(db, "sync.sealed_refused")
    assert sorted((e.detail["kind"], e.detail["reason"]) for e in refused) == [
        ("item", "form"),
        ("item", "form"),
        ("item", "kid"),
        ("item", "tag"),
        ("item", "tag"),
        ("read", "tag"),
    ]
    assert all(
        e.child_id is None and e.object_id is None and set(e.detail) == {"kind", "reason"} for e in refused
    )


def _other_public_jwk() -> dict:
    return sealing.public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())


def test_an_item_sealed_to_a_retired_key_still_opens(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    old = client.get("/api/sync/key").json()
    child = _child(db)
    before_rotation = _note(child.id, "Forseglet før skiftet")
    [envelope] = phone_seals(old, [before_rotation])
    new_key = sealing.rotate(db, get_settings())
    db.commit()
    current = client.get("/api/sync/key").json()
    assert current["kid"] == new_key.kid != old["kid"]
    after_rotation = _note(child.id, "Forseglet efter skiftet")
    [fresh] = phone_seals(current, [after_rotation])
    results = client.post("/api/sync", json={"items": [envelope, fresh]}).json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (before_rotation["id"], 201),
        (after_rotation["id"], 201),
    ]
    # The private keys are stored sealed with the installation's secret key, never in clear.
    db.expire_all()
    stored = db.exec(select(SealingKey).order_by(SealingKey.generation)).all()
    assert [k.generation for k in stored] == [1, 2]
    for key in stored:
        private = sealing._private_key(get_settings(), key)
        raw = private.private_numbers().private_value.to_bytes(32, "big")
        assert sealing.b64url(raw) not in key.private_sealed


def test_the_key_and_the_batch_need_a_session(client, demo) -> None:
    assert client.get("/api/sync/key").status_code == 401
    assert client.post("/api/sync", json={"items": [{"sealed": {}}]}).status_code == 401


def test_what_the_server_seals_the_phone_opens() -> None:
    """The phone's self-sealed answers use the same format: sealed in Python, opened by seal.js."""
    private = ec.generate_private_key(ec.SECP256R1())
    value = {"status": 409, "detail": "Ændret af en anden – æøå", "current": {"data": [1, None, True]}}
    envelope = sealing.seal("device-key", private.public_key(), value)
    jwk = sealing.public_jwk(private.public_key()) | {
        "d": sealing.b64url(private.private_numbers().private_value.to_bytes(32, "big"))
    }
    opened = js(
        f"const jwk = {json.dumps(jwk)}; const envelope = {json.dumps(envelope)};"
        "const key = await crypto.subtle.importKey('jwk', jwk, {name: 'ECDH', namedCurve: 'P-256'},"
        " false, ['deriveBits']);"
        "const viaKey = await OpsporSeal.open(key, envelope);"
        "const viaJwk = await OpsporSeal.open(jwk, envelope.sealed);"
        "let refused = null; const bad = structuredClone(envelope); bad.sealed.kid = 'other';"
        "try { await OpsporSeal.open(key, bad); } catch (error) { refused = error.name; }"
        "return [viaKey, viaJwk, refused];"
    )
    assert opened == [value, value, "OperationError"]
    # ... and what seal.js seals, Python opens (the server's side of the same format).
    [sealed] = js(
        f"const jwk = {json.dumps(sealing.public_jwk(private.public_key()))};"
        "return [await OpsporSeal.seal({kid: 'k1', jwk}, ['en', 2])];"
    )
    assert sealing.open_sealed({"k1": private}, sealed) == ["en", 2]


def test_a_new_secret_key_gives_a_new_sealing_key_and_refuses_what_the_old_one_sealed(
    client, demo, db, monkeypatch
) -> None:
    login(client, "demo-sundhedsplejerske")
    old = client.get("/api/sync/key").json()
    child = _child(db)
    [envelope] = phone_seals(old, [_note(child.id, "Forseglet under den gamle nøgle")])
    monkeypatch.setenv("OPSPOR_SECRET_KEY", "a-new-secret-" + uuid.uuid4().hex)
    get_settings.cache_clear()
    current = client.get("/api/sync/key").json()
    assert current["kid"] != old["kid"]
    assert client.get("/api/sync/key").json() == current  # made once
    note = _note(child.id, "Forseglet under den nye nøgle")
    [fresh] = phone_seals(current, [note])
    results = client.post("/api/sync", json={"items": [envelope, fresh]}).json()["results"]
    assert [(r["status"], r.get("code")) for r in results] == [(422, "sealed"), (201, None)]
    assert [e.detail["reason"] for e in events(db, "sync.sealed_refused")] == ["kid"]


def test_sealed_items_decided_one_by_one_after_a_race_answer_alike(client, demo, db, monkeypatch) -> None:
    """When the database refuses the batch's one savepoint (here: a record stored by another
    request meanwhile), each item is decided again on its own: the sealed ones too, and the one
    that cannot be opened is still its own 422, audited once."""
    from backend.records.service import LookedUp

    login(client, "demo-sundhedsplejerske")
    recipient = client.get("/api/sync/key").json()
    child = _child(db)
    raced = _note(child.id, "Sendt to gange på én gang")
    assert client.post("/api/sync", json={"items": [raced]}).json()["results"][0]["status"] == 201
    looked_up_existing = LookedUp.existing

    def not_there_yet(self, db_, record_id):
        if record_id == raced["id"] and record_id in self.records:
            self.records.pop(record_id)
            return None
        return looked_up_existing(self, db_, record_id)

    monkeypatch.setattr(LookedUp, "existing", not_there_yet)
    before, after = _note(child.id, "Før"), _note(child.id, "Efter")
    sealed = phone_seals(recipient, [before, raced, after])
    refused_before = _writes(422)
    body = {"items": [sealed[0], sealed[1], {"sealed": {"v": 2}}, sealed[2]]}
    results = client.post("/api/sync", json=body).json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        (before["id"], 201),
        (raced["id"], 200),
        (None, 422),
        (after["id"], 201),
    ]
    assert results[2]["code"] == "sealed"
    assert _writes(422) == refused_before + 1
    assert [e.detail for e in events(db, "sync.sealed_refused")] == [{"kind": "item", "reason": "form"}]
    assert _stored(db, before["id"]) and _stored(db, after["id"])
