"""ADBB certification (issue 16): only a certified health visitor finalises an ADBB screening."""

import re

from sqlmodel import func, select

from backend.domain.dates import today
from backend.people.models import AdbbCertification
from backend.records.models import Record
from tests.support import ADBB_ITEMS, adbb_data, add_user, child_aged, login, put_record, user_named

HV_UNIT = "Sundhedsplejen Nord"


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_demo_health_visitor_is_certified(demo, db) -> None:
    hv = user_named(db, "demo-sundhedsplejerske")
    assert db.get(AdbbCertification, hv.id) is not None


def test_an_uncertified_health_visitor_keeps_a_draft_but_cannot_finalise_through_the_api(
    client, demo, db
) -> None:
    add_user(db, "ny-sundhedsplejerske", "health_visitor", HV_UNIT)
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "ny-sundhedsplejerske")
    draft = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 3), status="draft")
    assert draft.status_code == 201
    final = put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 3))
    assert final.status_code == 422
    errors = final.json()["errors"]
    assert any(e["field"] == "status" and "certificeret i ADBB" in e["message"] for e in errors)
    assert db.exec(select(func.count()).select_from(Record).where(Record.status == "final")).one() == 0


def test_an_uncertified_health_visitor_sees_a_clear_message_on_the_form(client, demo, db) -> None:
    add_user(db, "ny-sundhedsplejerske", "health_visitor", HV_UNIT)
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "ny-sundhedsplejerske")
    page = client.get(f"/forms/adbb?child={child.id}").text
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    fields = {
        "csrf_token": _csrf(page),
        "type": "adbb",
        "child_id": child.id,
        "status": "final",
        "data.screened_on": today().isoformat(),
        "data.occasion": "second",
        "data.action": "none",
        "data.present": "Mor",
        **{f"data.items.{k}": "0" for k in ADBB_ITEMS},
    }
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 422
    assert "certificeret i ADBB" in response.text
    assert 'value="Mor"' in response.text  # what was typed is kept
    assert db.exec(select(func.count()).select_from(Record)).one() == 0


def test_the_admin_records_a_certification_and_then_the_health_visitor_can_finalise(client, demo, db) -> None:
    newcomer = add_user(db, "ny-sundhedsplejerske", "health_visitor", HV_UNIT)
    child = child_aged(db, HV_UNIT, 3, 12)
    login(client, "demo-admin")
    page = client.get("/admin/certifications")
    assert page.status_code == 200 and "Ikke certificeret" in page.text
    future = client.post(
        "/admin/certifications",
        data={"csrf_token": _csrf(page.text), "user_id": newcomer.id, "certified_on": "2999-01-01"},
    )
    assert future.status_code == 422 and "fremtiden" in future.text
    not_hv = client.post(
        "/admin/certifications",
        data={
            "csrf_token": _csrf(page.text),
            "user_id": user_named(db, "demo-paedagog").id,
            "certified_on": "2024-03-01",
        },
    )
    assert not_hv.status_code == 422 and "Kun sundhedsplejersker" in not_hv.text
    done = client.post(
        "/admin/certifications",
        data={"csrf_token": _csrf(page.text), "user_id": newcomer.id, "certified_on": "2024-03-01"},
    )
    assert done.status_code == 303
    db.expire_all()
    assert db.get(AdbbCertification, newcomer.id).certified_on.isoformat() == "2024-03-01"

    login(client, "ny-sundhedsplejerske")
    assert put_record(client, "adbb", child.id, adbb_data(today().isoformat(), 3)).status_code == 201


def test_only_the_admin_reaches_the_certification_screen(client, demo) -> None:
    login(client, "demo-leder")
    assert client.get("/admin/certifications").status_code in (403, 404)
