"""The parents' consent page (issue 15): give or refuse on exactly the version of the transition
description shown (or a meeting's purpose and participants); the consent record the handover
checks, attributed to the guardian; a changed description is shown again; a refusal; withdrawal
through its own link stops a later handover; 404 for anything the link does not cover."""

from __future__ import annotations

import gzip
import re

import httpx
from sqlmodel import select

from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.parents.consent_models import ParentConsentLink
from backend.parents.models import ParentInvitation
from backend.records.models import Record
from backend.web.logging import redact_target
from tests.parents_support import (
    HEALTH_VISITOR,
    csrf_of,
    guardians,
    hv_child,
    invite,
    link_path,
    parent_client,
    signed_in_parent,
    transition_for,
)
from tests.support import login, put_record, unit_named

RECEIVER = "demo-dagplejer"
SHOWN = "Smiler meget og elsker <b>sang</b>"
EDITED = "Tilføjet efter samtykket: bider ofte"
VERSION = re.compile(r'name="version" value="(\d+)"')


def _final_transition(client, db, child, text: str = SHOWN) -> dict:
    """A final transition description to Dagplejen Syd by the health visitor (signed in)."""
    draft = transition_for(client, db, child, professional_part={"strengths": text})
    data = {**draft["data"], "professional_part": {"strengths": text}}
    final = put_record(
        client,
        "transition",
        child.id,
        data,
        status="final",
        base_version=draft["version"],
        record_id=draft["id"],
    )
    assert final.status_code == 200, final.text
    return final.json()


def _consent_invitation(client, db, record: dict, child, guardian=None) -> tuple[dict, object]:
    guardian = guardian or min(guardians(db, child), key=lambda g: g.id)
    response = invite(client, record["id"], guardian.id, "consent")
    assert response.status_code == 201, response.text
    return response.json(), guardian


def _decide(parent, invitation: dict, page: httpx.Response, choice: str, name: str = "Mor Hansen", **more):
    data = {
        "choice": choice,
        "typed_name": name,
        "version": VERSION.search(page.text).group(1),
        "csrf_token": csrf_of(page.text),
        **more,
    }
    return parent.post(f"{link_path(invitation)}/consent", data=data)


def _edit(client, db, child, record: dict, text: str) -> dict:
    data = {**record["data"], "professional_part": {"strengths": text}}
    edited = put_record(
        client,
        "transition",
        child.id,
        data,
        status="final",
        base_version=record["version"],
        record_id=record["id"],
    )
    assert edited.status_code == 200, edited.text
    return edited.json()


def _receiver_reads(app, record_id: str) -> httpx.Response:
    receiver = parent_client(app)
    login(receiver, RECEIVER)
    return receiver.get(f"/api/records/{record_id}")


def test_the_consent_hands_over_exactly_the_version_shown(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = _final_transition(client, db, child)
    invitation, guardian = _consent_invitation(client, db, record, child)
    assert _receiver_reads(app, record["id"]).status_code == 404  # nothing before consent
    parent, page = signed_in_parent(app, invitation)
    assert page.status_code == 200 and "Samtykke" in page.text
    assert "Smiler meget og elsker &lt;b&gt;sang&lt;/b&gt;" in page.text and "Dagplejen Syd" in page.text
    assert VERSION.search(page.text).group(1) == str(record["version"])
    assert (child.cpr or "no-cpr") not in page.text and "<script" not in page.text

    done = _decide(parent, invitation, page, "given")
    assert done.status_code == 200 and "I har givet samtykke" in done.text
    assert "/p/withdraw/" in done.text
    db.expire_all()
    consent = db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).one()
    assert consent.status == "final" and consent.data["state"] == "given"
    assert consent.data["kind"] == "transition_handover" and consent.data["scope"] == record["id"]
    assert consent.data["guardian"] == guardian.id and consent.data["evidence"]["typed_name"] == "Mor Hansen"
    assert consent.derived["channel"] == "parent_link" and consent.derived["guardian_name"] == guardian.name
    assert consent.derived["scope_version"] == record["version"]
    transition = db.get(Record, record["id"])
    assert transition.shared_with_unit_id == unit_named(db, "Dagplejen Syd").id
    assert transition.shared_version == record["version"]
    shared = _receiver_reads(app, record["id"])
    assert shared.status_code == 200
    assert shared.json()["data"]["professional_part"]["strengths"] == SHOWN

    # The description changes after the consent: the receiving unit keeps reading the version the
    # parent was shown, never the edit, until the parents consent to the new version.
    _edit(client, db, child, record, EDITED)
    after = _receiver_reads(app, record["id"])
    assert after.status_code == 200 and EDITED not in after.text
    assert after.json()["data"]["professional_part"]["strengths"] == SHOWN
    db.expire_all()
    assert db.get(Record, record["id"]).shared_version == record["version"]
    # The staff see the consent attributed to the parent, given through the link.
    shown = client.get(f"/records/{consent.id}")
    assert shown.status_code == 200 and guardian.name in shown.text and "via link" in shown.text
    handover = client.get(f"/records/{record['id']}")
    assert f"{guardian.name} (selv, via link)" in handover.text
    # The link is used.
    assert parent.get(link_path(invitation)).status_code == 410


def test_a_description_changed_while_the_parent_reads_is_shown_again(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = _final_transition(client, db, child)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    _edit(client, db, child, record, EDITED)
    again = _decide(parent, invitation, page, "given")
    assert again.status_code == 422 and "Teksten er ændret" in again.text
    assert EDITED in again.text and VERSION.search(again.text).group(1) == str(record["version"] + 1)
    db.expire_all()
    assert db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).all() == []
    assert db.get(Record, record["id"]).shared_with_unit_id is None
    # Deciding on the new version shown hands that one over.
    done = _decide(parent, invitation, again, "given")
    assert done.status_code == 200
    db.expire_all()
    assert db.get(Record, record["id"]).shared_version == record["version"] + 1


def test_a_refusal_is_recorded_and_nothing_is_handed_over(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = _final_transition(client, db, child)
    invitation, guardian = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    done = _decide(parent, invitation, page, "refused")
    assert done.status_code == 200 and "I har sagt nej" in done.text and "/p/withdraw/" not in done.text
    db.expire_all()
    consent = db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).one()
    assert consent.data["state"] == "refused" and consent.derived["channel"] == "parent_link"
    assert db.get(Record, record["id"]).shared_with_unit_id is None
    assert _receiver_reads(app, record["id"]).status_code == 404
    link = db.exec(select(ParentConsentLink)).one()
    assert link.state == "refused" and link.withdraw_token_hash is None
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "parent.consent")).all()
    assert len(events) == 1 and events[0].actor_id is None
    assert events[0].detail["guardian_id"] == guardian.id and events[0].detail["state"] == "refused"


def test_a_choice_and_a_typed_name_are_needed_and_what_was_typed_is_kept(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = _final_transition(client, db, child)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    missing = _decide(parent, invitation, page, "", name="Far <Jensen>")
    assert missing.status_code == 422
    assert (
        'href="#choice-given"' in missing.text
        and "Vælg, om I giver samtykke eller siger nej." in missing.text
    )
    assert 'value="Far &lt;Jensen&gt;"' in missing.text
    no_name = _decide(parent, invitation, page, "given", name="  ")
    assert no_name.status_code == 422 and 'href="#typed-name"' in no_name.text
    stale = parent.post(
        f"{link_path(invitation)}/consent",
        data={"choice": "given", "typed_name": "Mor", "version": str(record["version"]), "csrf_token": "x"},
    )
    assert stale.status_code == 422
    db.expire_all()
    assert db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).all() == []


def test_withdrawal_through_its_link_stops_a_later_handover(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    draft = transition_for(client, db, child, professional_part={"strengths": SHOWN})
    invitation, guardian = _consent_invitation(client, db, draft, child)
    parent, page = signed_in_parent(app, invitation)
    done = _decide(parent, invitation, page, "given")
    withdraw = httpx.URL(re.search(r'href="([^"]*/p/withdraw/[^"]+)"', done.text).group(1)).path
    db.expire_all()
    assert db.get(Record, draft["id"]).shared_with_unit_id is None  # a draft is not handed over yet

    stranger = parent_client(app)
    opened = stranger.get(withdraw)
    assert (
        opened.status_code == 200
        and "Træk samtykket tilbage" in opened.text
        and "Dagplejen Syd" in opened.text
    )
    assert child.name.split()[0] not in opened.text
    refused = stranger.post(withdraw, data={"csrf_token": "x"})
    assert refused.status_code == 403
    gone = stranger.post(withdraw, data={"csrf_token": csrf_of(opened.text)})
    assert gone.status_code == 200 and "Samtykket er trukket tilbage" in gone.text
    db.expire_all()
    decisions = db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).all()
    assert sorted(r.data["state"] for r in decisions) == ["given", "withdrawn"]
    withdrawn = next(r for r in decisions if r.data["state"] == "withdrawn")
    assert withdrawn.data["guardian"] == guardian.id and withdrawn.derived["channel"] == "parent_link"

    # The description is finished later: it is not handed over on the withdrawn consent.
    data = {**draft["data"], "professional_part": {"strengths": SHOWN}}
    final = put_record(
        client,
        "transition",
        child.id,
        data,
        status="final",
        base_version=draft["version"],
        record_id=draft["id"],
    )
    assert final.status_code == 200
    db.expire_all()
    assert db.get(Record, draft["id"]).shared_with_unit_id is None
    assert _receiver_reads(app, draft["id"]).status_code == 404
    # The link says it is done; withdrawing twice records nothing more.
    assert "Samtykket er trukket tilbage" in stranger.get(withdraw).text
    again = stranger.post(withdraw, data={"csrf_token": csrf_of(opened.text)})
    assert again.status_code == 200
    db.expire_all()
    assert (
        len(db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).all()) == 2
    )
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == invitation["id"]))]
    assert "parent.consent" in actions and actions.count("parent.consent_withdraw") == 1
    assert "parent.withdraw_read" in actions
    withdrawal = db.exec(select(AuditEvent).where(AuditEvent.action == "parent.consent_withdraw")).one()
    assert withdrawal.actor_id is None and withdrawal.detail["guardian_id"] == guardian.id


def test_withdrawal_stops_a_handover_already_made(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = _final_transition(client, db, child)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    done = _decide(parent, invitation, page, "given")
    assert _receiver_reads(app, record["id"]).status_code == 200
    withdraw = httpx.URL(re.search(r'href="([^"]*/p/withdraw/[^"]+)"', done.text).group(1)).path
    opened = parent_client(app)
    form = opened.get(withdraw)
    assert opened.post(withdraw, data={"csrf_token": csrf_of(form.text)}).status_code == 200
    assert _receiver_reads(app, record["id"]).status_code == 404
    db.expire_all()
    assert db.get(Record, record["id"]).shared_with_unit_id is None


def test_a_staff_decision_after_the_parents_closes_their_withdrawal_link(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = _final_transition(client, db, child)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    withdraw = httpx.URL(
        re.search(r'href="([^"]*/p/withdraw/[^"]+)"', _decide(parent, invitation, page, "given").text).group(
            1
        )
    ).path
    # A newer decision (a new invitation, refused) makes the old link's consent history.
    second, _ = _consent_invitation(client, db, record, child)
    parent2, page2 = signed_in_parent(app, second)
    assert _decide(parent2, second, page2, "refused").status_code == 200
    closed = parent_client(app).get(withdraw)
    assert (
        closed.status_code == 200
        and "gælder ikke længere" in closed.text
        and "<form" not in closed.text.split("</header>")[1]
    )


def test_unknown_withdrawal_links_and_other_parts_answer_404(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    assert parent_client(app).get("/p/withdraw/" + "A" * 43).status_code == 404
    assert parent_client(app).post("/p/withdraw/" + "A" * 43, data={"csrf_token": "x"}).status_code in (
        403,
        404,
    )
    # A link for the parents' part cannot decide a consent, nor confirm agreements.
    draft = transition_for(client, db, child)
    words = invite(client, draft["id"], guardians(db, child)[0].id).json()
    parent, page = signed_in_parent(app, words)
    token = csrf_of(page.text)
    path = link_path(words)
    data = {"choice": "given", "typed_name": "Mor", "version": "1", "csrf_token": token}
    assert parent.post(f"{path}/consent", data=data).status_code == 404
    assert parent.post(f"{path}/read", data={"version": "1", "csrf_token": token}).status_code == 404
    # A consent link cannot confirm agreements; without its session it shows the code form.
    record = _final_transition(client, db, child)
    consent_link, _ = _consent_invitation(client, db, record, child)
    parent2, page2 = signed_in_parent(app, consent_link)
    assert (
        parent2.post(f"{link_path(consent_link)}/read", data={"csrf_token": csrf_of(page2.text)}).status_code
        == 404
    )
    fresh = parent_client(app).post(f"{link_path(consent_link)}/consent", data=data)
    assert fresh.status_code == 422 and 'name="code"' in fresh.text
    db.expire_all()
    assert db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).all() == []


def test_a_meeting_consent_shows_purpose_and_participants(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    data = {
        "planned_on": record_date(),
        "purpose": "Tale om søvn og <sprog>",
        "participants": [{"name": "Pia Psykolog", "role": "external", "organisation": "PPR"}],
    }
    meeting = put_record(client, "dialogue_meeting", child.id, data, status="draft").json()
    guardian = guardians(db, child)[0]
    # The professional prepares the consent (what it covers) and invites the parent to it.
    prepared = put_record(
        client, "consent", child.id, {"kind": "meeting", "scope": meeting["id"]}, status="draft"
    ).json()
    invitation = invite(client, prepared["id"], guardian.id, "consent").json()
    parent, page = signed_in_parent(app, invitation)
    assert "Tale om søvn og &lt;sprog&gt;" in page.text and "Pia Psykolog" in page.text and "PPR" in page.text
    assert _decide(parent, invitation, page, "given").status_code == 200
    db.expire_all()
    consent = db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).one()
    assert consent.id == prepared["id"] and consent.status == "final" and consent.version == 2
    assert consent.data["kind"] == "meeting" and consent.data["scope"] == meeting["id"]
    assert consent.data["state"] == "given" and consent.data["guardian"] == guardian.id
    assert consent.derived["channel"] == "parent_link"
    shown = client.get(f"/records/{meeting['id']}")
    assert "Forældrene har givet samtykke til mødets formål og deltagere." in shown.text
    assert db.get(ParentInvitation, invitation["id"]).used_at is not None


def record_date() -> str:
    from datetime import timedelta

    from backend.domain.dates import today

    return (today() + timedelta(days=10)).isoformat()


def test_the_consent_and_withdrawal_pages_are_small_without_javascript(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    long_text = "Hun er glad for at synge, tegne og lege med klodser, og hun sover godt om natten. " * 12
    record = _final_transition(client, db, child, text=long_text)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    css_url = re.search(r'href="(/static/[^"]+parents\.css)"', page.text).group(1)
    css = parent.get(css_url).content
    done = _decide(parent, invitation, page, "given")
    withdraw = httpx.URL(re.search(r'href="([^"]*/p/withdraw/[^"]+)"', done.text).group(1)).path
    for html in (page.text, done.text, parent_client(app).get(withdraw).text):
        assert "<script" not in html
        weight = len(gzip.compress(html.encode())) + len(gzip.compress(css))
        assert weight <= 20_000, weight


def test_a_link_made_before_an_abuse_path_concern_offers_nothing_after_it(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    record = _final_transition(client, db, child)
    invitation, _ = _consent_invitation(client, db, record, child)
    parent, page = signed_in_parent(app, invitation)
    note = {"observed_on": today().isoformat(), "text": "Mærker på armen", "abuse_path": True}
    assert put_record(client, "concern_note", child.id, note).status_code == 201
    assert parent.get(link_path(invitation)).status_code == 404
    assert _decide(parent, invitation, page, "given").status_code == 404
    assert SHOWN not in parent_client(app).get(link_path(invitation)).text
    db.expire_all()
    assert db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).all() == []
    assert db.get(Record, record["id"]).shared_with_unit_id is None


def test_a_withdrawal_link_is_never_written_to_the_access_log() -> None:
    token = "q" * 43
    assert token not in redact_target(f"/p/withdraw/{token}")
    assert token not in redact_target(f"/p/withdraw/{token}?x=1")


def test_no_consent_is_asked_for_a_description_without_a_receiving_unit(client, app, demo, db) -> None:
    login(client, HEALTH_VISITOR)
    child = hv_child(db)
    draft = transition_for(client, db, child, to_unit_id=None)
    invitation, _ = _consent_invitation(client, db, draft, child)
    parent = parent_client(app)
    opened = parent.get(link_path(invitation))
    answered = parent.post(
        f"{link_path(invitation)}/code", data={"code": invitation["code"], "csrf_token": csrf_of(opened.text)}
    )
    assert answered.status_code == 404
    db.expire_all()
    assert db.exec(select(Record).where(Record.type == "consent", Record.child_id == child.id)).all() == []
