"""Audit events: every read of a child's data, in one INSERT per request, viewable by the admin."""

from sqlalchemy import event
from sqlmodel import select

from backend.audit import AuditEvent
from backend.db import get_engine
from tests.support import children_of_unit, login, user_named


def test_reading_a_child_writes_an_audit_event(client, demo, db) -> None:
    login(client, "demo-sundhedsplejerske")
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    client.get(f"/children/{child.id}", headers={"X-Opspor-Device": "device-123"})  # ignored (L-6)
    events = db.exec(
        select(AuditEvent).where(AuditEvent.child_id == child.id, AuditEvent.action == "child.read")
    ).all()
    assert len(events) == 1
    assert events[0].actor_id == user_named(db, "demo-sundhedsplejerske").id
    assert events[0].device_id == client.cookies.get("opspor_device") != "device-123"
    assert events[0].session_ref
    assert events[0].ip


def test_listing_children_audits_each_child_in_a_single_insert(client, demo, db) -> None:
    login(client, "demo-leder")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT"):
            statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        listed = client.get("/api/children").json()
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert len(listed) >= 40
    assert len(statements) == 1
    listed_events = db.exec(select(AuditEvent).where(AuditEvent.action == "child.list")).all()
    assert {e.child_id for e in listed_events} == {c["id"] for c in listed}


def test_sign_in_and_failures_are_audited(client, demo, db) -> None:
    client.post("/api/session", json={"username": "demo-leder", "password": "forkert"})
    login(client, "demo-leder")
    client.delete("/api/session")
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions[:3] == ["signin.failure", "signin.success", "signout"]


def test_admin_sees_the_audit_log_filtered_by_child(client, demo, db) -> None:
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    login(client, "demo-sundhedsplejerske")
    client.get(f"/api/children/{child.id}")
    login(client, "demo-admin")
    page = client.get(f"/admin/audit?child_id={child.id}")
    assert page.status_code == 200
    assert "child.read" in page.text and "demo-sundhedsplejerske" in page.text
    assert child.name not in page.text


def test_only_the_admin_sees_the_audit_log(client, demo) -> None:
    login(client, "demo-leder")
    assert client.get("/admin/audit", headers={"accept": "text/html"}).status_code == 403


def test_the_audit_log_shows_human_labels_in_the_admins_language(client, demo, db) -> None:
    child = children_of_unit(db, "Sundhedsplejen Nord")[0]
    login(client, "demo-sundhedsplejerske")
    client.get(f"/api/children/{child.id}")
    login(client, "demo-admin")
    page = client.get(f"/admin/audit?child_id={child.id}").text
    assert "Læste et barns side" in page and "<code>child.read</code>" in page
    client.post("/me/language", data={"language": "en", "next": "/admin"})
    assert "Read a child&#39;s page" in client.get(f"/admin/audit?child_id={child.id}").text


def test_every_audit_action_written_by_the_code_has_a_label() -> None:
    import re

    from backend.config import PROJECT_DIR
    from backend.domain.audit_labels import action_label

    codes = set()
    for path in (PROJECT_DIR / "backend").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'audit\.add\(\s*(?:action=)?"([a-z_]+(?:\.[a-z_]+)?)"', source))
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
    assert len(codes) > 60
    assert {code for code in codes if action_label(code) is None} == set()
    for kind in ("oidc", "saml"):
        for event_name in ("failure", "no_access", "user_created", "roles_changed", "logout_redirect"):
            assert action_label(f"{kind}.{event_name}"), (kind, event_name)
    assert action_label("record.kept_moved") and action_label("no.such_code") is None
