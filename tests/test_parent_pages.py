"""The parents' pages behind a link (issue 15): the code, the lock after five wrong codes,
expiry, revocation, reuse after submit, a session scoped to one link, the parents' words on the
record attributed to the guardian, Arabic right to left, audit events and the page weight."""

import gzip
import re
from datetime import timedelta

from sqlmodel import select

from backend.audit import AuditEvent
from backend.db import utcnow
from backend.domain.dates import today
from backend.parents.models import ParentInvitation
from backend.records.models import Record
from tests.parents_support import (
    csrf_of,
    hv_child,
    invited,
    link_path,
    parent_client,
    signed_in_parent,
    type_code,
)
from tests.support import put_record

WRONG = "000000"


def _wrong(code: str) -> str:
    return WRONG if code != WRONG else "111111"


def test_the_right_code_opens_the_parents_part_and_nothing_about_anyone_else(client, app, demo, db) -> None:
    record, invitation, guardian = invited(client, db)
    parent = parent_client(app)
    first = parent.get(link_path(invitation))
    assert first.status_code == 200 and 'name="code"' in first.text
    assert hv_child(db).name.split()[0] not in first.text  # nothing about the child before the code
    parent, page = signed_in_parent(app, invitation)
    child = hv_child(db)
    assert "Om vores barn" in page.text and child.name.split()[0] in page.text
    assert child.name not in page.text or child.name.split()[0] == child.name  # first name only
    assert (child.cpr or "no-cpr") not in page.text and "usermenu" not in page.text
    assert "<script" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # The session cookie belongs to this link only.
    cookie = next(c for c in parent.cookies.jar if c.name == "opspor_parent")
    assert cookie.path == link_path(invitation)
    assert parent.get(link_path(invitation)).status_code == 200


def test_the_parents_words_are_saved_attributed_and_the_link_is_used(client, app, demo, db) -> None:
    record, invitation, guardian = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    path = link_path(invitation)
    answers = {"about_child": "Hun elsker <b>at tegne</b>", "child_thoughts": "Glæder sig til legepladsen"}
    sent = parent.post(path, data={**answers, "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 200 and "Tak for jeres svar" in sent.text
    db.expire_all()
    stored = db.get(Record, record["id"])
    words = stored.data["parents_words"]
    assert (
        len(words) == 1
        and words[0]["guardian_id"] == guardian.id
        and words[0]["guardian_name"] == guardian.name
    )
    assert words[0]["answers"] == answers and stored.version == record["version"] + 1
    # Reuse after submit: the link is used, with the parents' session or without.
    assert parent.get(path).status_code == 410
    assert parent.post(path, data={**answers, "csrf_token": "x"}).status_code == 410
    assert parent_client(app).get(path).status_code == 410
    assert (
        parent_client(app)
        .post(f"{path}/code", data={"code": invitation["code"], "csrf_token": "x"})
        .status_code
        == 410
    )
    # The health visitor sees the parents' words on the record, attributed.
    shown = client.get(f"/records/{record['id']}")
    assert shown.status_code == 200
    assert "Hun elsker &lt;b&gt;at tegne&lt;/b&gt;" in shown.text and guardian.name in shown.text
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == invitation["id"]))]
    assert actions[:1] == ["parent_invitation.create"]
    assert {"parent.signin", "parent.read", "parent.submit"} <= set(actions)
    submit = db.exec(select(AuditEvent).where(AuditEvent.action == "parent.submit")).one()
    assert submit.actor_id is None and submit.detail["guardian_id"] == guardian.id
    assert "at tegne" not in str(submit.detail) and invitation["code"] not in str(submit.detail)


def test_an_empty_form_is_refused_keeping_nothing_lost(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    too_long = "x" * 5001
    sent = parent.post(
        link_path(invitation),
        data={"about_child": "  ", "what_helps": too_long, "csrf_token": csrf_of(page.text)},
    )
    assert sent.status_code == 422
    assert 'href="#f-what_helps"' in sent.text and "Teksten er for lang" in sent.text
    assert too_long in sent.text
    sent = parent.post(link_path(invitation), data={"csrf_token": csrf_of(page.text)})
    assert sent.status_code == 422 and 'href="#f-about_child"' in sent.text


def test_five_wrong_codes_lock_the_link(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent, path = parent_client(app), link_path(invitation)
    for left in (4, 3, 2, 1):
        response = type_code(parent, path, _wrong(invitation["code"]))
        assert response.status_code == 422 and f"{left} gang" in response.text
    assert type_code(parent, path, _wrong(invitation["code"])).status_code == 410
    locked = parent_client(app).get(path)
    assert locked.status_code == 410 and "låst" in locked.text
    assert (
        parent_client(app)
        .post(f"{path}/code", data={"code": invitation["code"], "csrf_token": "x"})
        .status_code
        == 410
    )
    db.expire_all()
    assert db.get(ParentInvitation, invitation["id"]).wrong_codes == 5


def test_an_expired_link_is_gone(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    stored = db.get(ParentInvitation, invitation["id"])
    stored.expires_at = utcnow() - timedelta(minutes=1)
    db.add(stored)
    db.commit()
    response = parent_client(app).get(link_path(invitation))
    assert response.status_code == 410 and "udløbet" in response.text


def test_a_revoked_link_is_gone_even_for_an_open_session(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    assert client.delete(f"/api/parent-invitations/{invitation['id']}").status_code == 204
    assert parent.get(link_path(invitation)).status_code == 410
    sent = parent.post(link_path(invitation), data={"about_child": "x", "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 410 and "trukket tilbage" in sent.text


def test_unknown_links_and_urls_outside_the_link_are_not_found(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent, _page = signed_in_parent(app, invitation)
    path = link_path(invitation)
    assert parent.get("/p/" + "A" * 43).status_code == 404
    assert parent.get(path + "/other").status_code == 404
    assert parent.get("/children").status_code in (303, 307, 401)  # the staff app: sign-in, never data
    assert parent.get(f"/records/{invitation['record_id']}").status_code in (303, 307, 401)


def test_a_session_for_one_link_opens_no_other(client, app, demo, db) -> None:
    _, first, _ = invited(client, db)
    _, second, _ = invited(client, db, child=hv_child(db, 1))
    parent, page = signed_in_parent(app, first)
    other = link_path(second)
    assert 'name="code"' in parent.get(other).text  # the code form, never the other task
    sent = parent.post(other, data={"about_child": "x", "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 422 and 'name="code"' in sent.text
    # Naming the other record or child under this link finds nothing.
    mine = link_path(first)
    for target in (second["record_id"], f"records/{second['record_id']}", f"children/{hv_child(db, 1).id}"):
        assert parent.get(f"{mine}/{target}").status_code == 404
        assert parent.post(f"{mine}/{target}", data={"csrf_token": csrf_of(page.text)}).status_code == 404
    db.expire_all()
    assert "parents_words" not in db.get(Record, second["record_id"]).data


def test_the_code_form_needs_its_csrf_token(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent = parent_client(app)
    parent.get(link_path(invitation))
    response = parent.post(link_path(invitation) + "/code", data={"code": invitation["code"]})
    assert response.status_code == 403 and "opspor_parent" not in response.headers.get("set-cookie", "")
    response = parent.post(
        link_path(invitation) + "/code", data={"code": invitation["code"], "csrf_token": "x"}
    )
    assert response.status_code == 422 and "opspor_parent" not in response.headers.get("set-cookie", "")
    assert "Formularen var for gammel" in response.text


def test_the_language_is_chosen_by_the_parent_and_remembered_on_the_link(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    path = link_path(invitation)
    switched = parent.post(f"{path}/language", data={"language": "ar", "csrf_token": csrf_of(page.text)})
    assert switched.status_code == 303
    arabic = parent.get(path)
    assert 'lang="ar" dir="rtl"' in arabic.text and "عن طفلنا" in arabic.text
    fresh = parent_client(app).get(path)  # another browser: the link remembers the language
    assert 'lang="ar"' in fresh.text
    refused = parent.post(f"{path}/language", data={"language": "xx", "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 404


def test_the_meeting_preparation_is_stored_on_the_dialogue_meeting(client, app, demo, db) -> None:
    record, invitation, guardian = invited(client, db, part="meeting_preparation")
    parent, page = signed_in_parent(app, invitation)
    assert "Før dialogmødet" in page.text
    answers = {"everyday_life": "Glad om morgenen", "topics": "Søvn", "participants": "Mormor"}
    sent = parent.post(link_path(invitation), data={**answers, "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 200
    db.expire_all()
    words = db.get(Record, record["id"]).data["parents_words"]
    assert words[0]["part"] == "meeting_preparation" and words[0]["answers"] == answers


def test_parent_pages_are_small_without_javascript(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    css_url = re.search(r'href="(/static/[^"]+parents\.css)"', page.text).group(1)
    css = parent.get(css_url)
    for html in (parent.get(link_path(invitation)).text, parent_client(app).get(link_path(invitation)).text):
        assert "<script" not in html
        weight = len(gzip.compress(html.encode())) + len(gzip.compress(css.content))
        assert weight <= 20_000, weight


def test_the_link_is_never_written_to_the_access_log() -> None:
    from backend.web.logging import redact_target

    token = "q" * 43
    for target in (f"/p/{token}", f"/p/{token}/code", f"/p/{token}/language?x=1"):
        assert token not in redact_target(target)


def test_every_parent_action_is_audited_with_the_guardian(client, app, demo, db) -> None:
    _, invitation, guardian = invited(client, db)
    parent, path = parent_client(app), link_path(invitation)
    type_code(parent, path, _wrong(invitation["code"]))
    page = type_code(parent, path, invitation["code"])
    parent.post(f"{path}/language", data={"language": "en", "csrf_token": csrf_of(page.text)})
    db.expire_all()
    found = db.exec(
        select(AuditEvent).where(
            AuditEvent.object_id == invitation["id"], AuditEvent.action.startswith("parent.")
        )
    ).all()
    assert [e.action for e in found] == [
        "parent.code_wrong",
        "parent.signin",
        "parent.read",
        "parent.language",
    ]
    assert all(e.detail["guardian_id"] == guardian.id and e.actor_id is None and e.at for e in found)
    assert found[-1].detail["language"] == "en"


def test_what_was_typed_survives_a_session_that_ran_out(client, app, demo, db) -> None:
    _, invitation, _ = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    stored = db.get(ParentInvitation, invitation["id"])
    stored.session_expires_at = utcnow() - timedelta(minutes=1)
    db.add(stored)
    db.commit()
    path = link_path(invitation)
    typed = {"about_child": 'En lang tekst om "Ida" <3', "what_helps": "Ro"}
    late = parent.post(path, data={**typed, "csrf_token": csrf_of(page.text)})
    assert late.status_code == 422 and 'name="code"' in late.text
    again = parent.post(
        f"{path}/code", data={**typed, "code": invitation["code"], "csrf_token": csrf_of(late.text)}
    )
    assert again.status_code == 200
    assert "En lang tekst om &#34;Ida&#34; &lt;3</textarea>" in again.text and ">Ro</textarea>" in again.text
    db.expire_all()
    assert "parents_words" not in db.get(Record, invitation["record_id"]).data


def test_nothing_is_offered_to_parents_while_the_concern_is_on_the_abuse_path(client, app, demo, db) -> None:
    record, invitation, _ = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    note = {"observed_on": today().isoformat(), "text": "Mærker på armen", "abuse_path": True}
    assert put_record(client, "concern_note", record["child_id"], note).status_code == 201
    path = link_path(invitation)
    held = parent.get(path)
    assert held.status_code == 404 and held.text == parent_client(app).get("/p/" + "B" * 43).text
    sent = parent.post(path, data={"about_child": "x", "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 404
    code = {"code": invitation["code"], "csrf_token": "x"}
    assert parent_client(app).post(f"{path}/code", data=code).status_code == 404
    assert "Sat i bero" in client.get(f"/records/{record['id']}/parents").text
    db.expire_all()
    assert "parents_words" not in db.get(Record, record["id"]).data


def test_two_submits_at_once_use_the_link_once(client, app, demo, db) -> None:
    """The invitation's row is locked while the answers are checked: the second waits, then
    finds the link used."""
    import threading

    from backend.audit import AuditTrail
    from backend.db import new_session
    from backend.parents.link import send_answers

    _, invitation, _ = invited(client, db)
    parent, page = signed_in_parent(app, invitation)
    token = link_path(invitation).removeprefix("/p/")
    session_value = next(c.value for c in parent.cookies.jar if c.name == "opspor_parent")
    csrf = csrf_of(page.text)
    start, results = threading.Barrier(2), []

    def submit(text: str) -> None:
        with new_session() as session:
            start.wait()
            try:
                result = send_answers(
                    session, AuditTrail(), token, session_value, csrf, {"about_child": text}
                )
                session.commit()
                results.append(result.status if not result.submitted else "sent")
            except Exception as error:  # a lock timeout or serialisation failure counts as refused
                session.rollback()
                results.append(type(error).__name__)

    threads = [threading.Thread(target=submit, args=(text,)) for text in ("første", "anden")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count("sent") == 1, results
    db.expire_all()
    assert len(db.get(Record, invitation["record_id"]).data["parents_words"]) == 1
