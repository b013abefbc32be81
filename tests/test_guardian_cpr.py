"""A guardian's CPR number, kept by the admin (issue 15): a parent's MitID sign-in on an invitation
is matched to it. Typed in the child's form, checked, stored as ten digits, never shown back and
never in the audit log; it can be replaced or removed."""

from __future__ import annotations

from sqlmodel import select

from backend.people.models import Guardian
from tests.admin_support import all_audit_text
from tests.support import child_aged, login

GUARDIAN_CPR = "0101904321"


def _form(child, guardian, **guardian_fields) -> dict:
    form = {
        "name": child.name,
        "birth_date": child.birth_date.isoformat(),
        "reason": "Forælderen vil kunne logge ind med MitID",
        "guardian-0-id": guardian.id,
        "guardian-0-name": guardian.name,
        "guardian-0-relation": guardian.relation,
        "guardian-0-phone": guardian.phone,
        "guardian-0-email": guardian.email,
    }
    return form | {f"guardian-0-{key}": value for key, value in guardian_fields.items()}


def _first_guardian(db, child) -> Guardian:
    db.expire_all()
    return db.exec(select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.name)).first()


def test_the_admin_records_replaces_and_removes_a_guardians_cpr_number(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 1, 12)
    guardian = _first_guardian(db, child)
    form = client.get(f"/admin/children/{child.id}/edit").text
    assert 'name="guardian-0-cpr"' in form and 'autocomplete="off"' in form
    saved = client.post(f"/admin/children/{child.id}", data=_form(child, guardian, cpr="010190-4321"))
    assert saved.status_code == 303, saved.text[:500]
    assert _first_guardian(db, child).cpr == GUARDIAN_CPR
    again = client.get(f"/admin/children/{child.id}/edit").text
    assert GUARDIAN_CPR not in again and "010190" not in again
    assert "Der er registreret et CPR-nummer" in again and 'name="guardian-0-remove_cpr"' in again
    assert "CPR-nummer registreret" in client.get(f"/admin/children/{child.id}").text
    # Saved again without typing it: the recorded number stays.
    kept = client.post(
        f"/admin/children/{child.id}", data=_form(child, guardian, has_cpr="1", phone="11 22 33 44")
    )
    assert kept.status_code == 303 and _first_guardian(db, child).cpr == GUARDIAN_CPR
    removed = client.post(f"/admin/children/{child.id}", data=_form(child, guardian, remove_cpr="on"))
    assert removed.status_code == 303 and _first_guardian(db, child).cpr is None
    assert GUARDIAN_CPR not in all_audit_text(db)


def test_a_wrong_cpr_number_is_named_and_linked_and_not_shown_back(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_aged(db, "Sundhedsplejen Nord", 1, 12)
    guardian = _first_guardian(db, child)
    refused = client.post(f"/admin/children/{child.id}", data=_form(child, guardian, cpr="3213909999"))
    assert refused.status_code == 422
    assert '<a href="#f-guardian-0-cpr">CPR-nummerets dato findes ikke.</a>' in refused.text
    assert 'id="f-guardian-0-cpr-error"' in refused.text and "3213909999" not in refused.text
    assert guardian.name in refused.text  # what was typed stays
    assert _first_guardian(db, child).cpr is None
