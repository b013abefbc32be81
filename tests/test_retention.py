"""The retention job with frozen time: what expires is gone, what is on legal hold stays, and
every deletion is audited; the audit log is pruned on its own schedule; the command line."""

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from backend.admin.retention import run_retention_job
from backend.audit import AuditEvent
from backend.domain.dates import today
from backend.domain.retention import add_years
from backend.people.models import Caseload, Child, Guardian, Placement
from backend.records.models import KeptWrite, Record, RecordVersion, Task
from tests.admin_support import events, new_client, on_day
from tests.support import PROJECT_DIR, TEST_HASHING, adbb_data, children_of_unit, login, put_record


def _note(text: str) -> dict:
    return {"observed_on": today().isoformat(), "text": text}


def _count(db, model, *where) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def _setup(client, db):
    """Child A (leaves the municipality) and child B (legal hold), each with records."""
    hv_children = [c for c in children_of_unit(db, "Sundhedsplejen Nord")]
    a, b = hv_children[2], hv_children[3]
    login(client, "demo-sundhedsplejerske")
    screening = put_record(client, "adbb", a.id, adbb_data(today().isoformat(), 7)).json()
    note_a = put_record(client, "concern_note", a.id, _note("Uro ved aflevering")).json()
    second = put_record(
        client,
        "concern_note",
        a.id,
        {**_note("Mere uro"), "text": "Rettet"},
        record_id=note_a["id"],
        base_version=1,
    )
    assert second.status_code == 200
    stale = put_record(
        client, "concern_note", a.id, _note("Min udgave"), record_id=note_a["id"], base_version=1
    )
    assert stale.status_code == 409  # a conflict copy is kept
    note_b = put_record(client, "concern_note", b.id, _note("Tilbageholdt")).json()
    admin = new_client(client.app, "demo-admin")
    assert (
        admin.post(
            f"/admin/children/{a.id}/leave", data={"leaves_on": (today() + timedelta(days=1)).isoformat()}
        ).status_code
        == 303
    )
    assert (
        admin.post(
            f"/admin/children/{b.id}/leave", data={"leaves_on": (today() + timedelta(days=1)).isoformat()}
        ).status_code
        == 303
    )
    assert (
        admin.post(
            f"/admin/children/{b.id}/legal-hold", data={"hold": "on", "hold_reason": "Verserende klagesag"}
        ).status_code
        == 303
    )
    db.expunge_all()  # plain objects: the ids and names stay readable after the rows are deleted
    return a, b, screening["id"], note_a["id"], note_b["id"]


def test_expired_records_go_held_children_stay_and_every_deletion_is_audited(client, db, demo) -> None:
    a, b, screening_id, note_a_id, note_b_id = _setup(client, db)
    children_before = _count(db, Child)
    assert _count(db, KeptWrite, KeptWrite.child_id == a.id) == 1

    # Five years after A turns 7: concern notes (7 + 5) have expired, the ADBB screening (7 + 10) not.
    first_run = add_years(a.birth_date, 12) + timedelta(days=1)
    with on_day(first_run):
        admin = new_client(client.app, "demo-admin")
        preview = admin.get("/admin/retention").text
        assert (
            "Bekymringsnotat" in preview and a.name in preview and b.name not in preview.split("Retligt")[0]
        )
        result = run_retention_job()
    assert result.counts["records"] == 1 and result.counts["kept_writes"] == 1
    assert _count(db, Record, Record.id == note_a_id) == 0
    assert _count(db, RecordVersion, RecordVersion.record_id == note_a_id) == 0
    assert _count(db, KeptWrite, KeptWrite.child_id == a.id) == 0
    assert _count(db, Record, Record.id == screening_id) == 1
    assert _count(db, Record, Record.id == note_b_id) == 1  # legal hold
    [deleted] = events(db, "retention.record_deleted")
    assert (deleted.object_id, deleted.child_id, deleted.detail["versions"]) == (note_a_id, a.id, 2)
    assert events(db, "retention.kept_write_deleted")[0].child_id == a.id
    assert _count(db, Child) == children_before  # A still has a record

    # Ten years after A turns 7 the screening goes too — and with it A's master data.
    second_run = add_years(a.birth_date, 17) + timedelta(days=1)
    with on_day(second_run):
        result = run_retention_job()
    assert result.counts["records"] >= 1 and result.counts["children"] >= 1
    assert _count(db, Record, Record.child_id == a.id) == 0
    assert _count(db, Task, Task.child_id == a.id) == 0
    assert _count(db, Child, Child.id == a.id) == 0
    for model in (Guardian, Placement, Caseload):
        assert _count(db, model, model.child_id == a.id) == 0
    deleted_children = events(db, "retention.child_deleted")
    assert a.id in {e.child_id for e in deleted_children}
    assert b.id not in {e.child_id for e in deleted_children}
    # B is untouched: record, guardians and placements, and its audit trail.
    assert _count(db, Record, Record.id == note_b_id) == 1
    assert _count(db, Child, Child.id == b.id) == 1 and _count(db, Guardian, Guardian.child_id == b.id) > 0
    assert _count(db, AuditEvent, AuditEvent.child_id == b.id, AuditEvent.action == "record.create") == 1
    # The audit log kept its own schedule: A's old events are gone, the pruning itself is logged.
    assert _count(db, AuditEvent, AuditEvent.child_id == a.id, AuditEvent.action == "record.create") == 0
    assert events(db, "retention.audit_pruned")[0].detail["count"] > 0
    # Children still placed in the municipality are never deleted.
    assert _count(db, Child) == children_before - 1


def test_nothing_is_deleted_in_a_dry_run(client, db, demo) -> None:
    a, _b, _s, note_a_id, _nb = _setup(client, db)
    with on_day(add_years(a.birth_date, 12) + timedelta(days=1)):
        result = run_retention_job(dry_run=True)
    assert result.dry_run and result.counts["records"] == 1
    assert _count(db, Record, Record.id == note_a_id) == 1
    assert events(db, "retention.record_deleted") == []


def test_nothing_expires_today(client, db, demo_full) -> None:
    before = _count(db, Record)
    result = run_retention_job()
    assert result.counts["records"] == 0 and result.counts["children"] == 0
    assert _count(db, Record) == before
    assert len(events(db, "retention.run")) == 1


def test_the_admin_changes_retention_periods_and_bad_values_are_refused(client, db, demo) -> None:
    login(client, "demo-admin")
    page = client.get("/admin/retention")
    assert page.status_code == 200
    import re

    values = dict(re.findall(r'name="([a-z_-]+)" inputmode="numeric" value="(\d+)"', page.text))
    values.update(
        dict(
            re.findall(
                r'id="f-(kept_write_days|closed_task_days|audit_years)" name="[a-z_]+" '
                r'type="text" value="(\d+)"',
                page.text,
            )
        )
    )
    assert values["records-adbb-years_after"] == "10"
    values["records-adbb-years_after"] = "12"
    assert client.post("/admin/retention/settings", data=values).status_code == 303
    from backend.domain.settings import load_settings
    from backend.people.models import Municipality

    db.expire_all()
    municipality = db.exec(select(Municipality)).one()
    assert load_settings(municipality.settings).retention.rule_for("adbb").years_after == 12
    values["records-adbb-years_after"] = "tolv"
    values["audit_years"] = "0"
    refused = client.post("/admin/retention/settings", data=values)
    assert refused.status_code == 422
    assert "Skal være et helt tal." in refused.text
    values["records-adbb-years_after"] = "99"
    refused = client.post("/admin/retention/settings", data=values)
    assert refused.status_code == 422 and "Tallet er for stort." in refused.text


def test_retention_run_command(db_url, demo) -> None:
    env = {"OPSPOR_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin", "OPSPOR_SECRET_KEY": "x", **TEST_HASHING}
    command = [sys.executable, "-m", "backend.cli", "retention", "run"]
    dry = subprocess.run(
        [*command, "--dry-run"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr
    assert "Prøvekørsel – intet er slettet" in dry.stdout and "registreringer: 0" in dry.stdout
    real = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, env=env, timeout=120)
    assert real.returncode == 0 and "Sletning kørt" in real.stdout
