"""Issue 17, problem 12: a new or imported child reaches a professional's "Mine børn" — "Nyt
barn" and the CSV import name a responsible professional — and a child without one is flagged
to the administrator (a count per unit linking to the caseload screen) and to the leader."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from backend.admin.caseloads import unassigned_children
from backend.domain.dates import today
from backend.people.models import Caseload, Child
from tests.admin_support import events, new_client
from tests.support import login, unit_named, user_named
from tests.test_admin_import import dry_run, run

HV = "Sundhedsplejen Nord"


def _register(client, db, **overrides):
    form = {
        "name": "Bodil Ansvarsen",
        "birth_date": (today() - timedelta(days=60)).isoformat(),
        "unit_id": unit_named(db, HV).id,
        "starts_on": (today() - timedelta(days=50)).isoformat(),
        "guardian-0-name": "",
    }
    form.update(overrides)
    return client.post("/admin/children", data=form)


def test_nyt_barn_offers_and_stores_a_responsible_professional(client, db, demo) -> None:
    login(client, "demo-admin")
    hv = user_named(db, "demo-sundhedsplejerske")
    form = client.get("/admin/children/new").text
    assert 'name="responsible_id"' in form and f'value="{hv.id}"' in form
    assert _register(client, db, responsible_id=hv.id).status_code == 303
    child = db.exec(select(Child).where(Child.name == "Bodil Ansvarsen")).one()
    entry = db.exec(select(Caseload).where(Caseload.child_id == child.id)).one()
    assert (entry.user_id, entry.unit_id) == (hv.id, unit_named(db, HV).id)
    assert [e.child_id for e in events(db, "caseload.assign")] == [child.id]
    assert "Bodil Ansvarsen" in new_client(client.app, "demo-sundhedsplejerske").get("/").text


def test_a_responsible_professional_outside_the_unit_is_refused_by_name(client, db, demo) -> None:
    login(client, "demo-admin")
    pedagogue = user_named(db, "demo-paedagog")  # works in Børnehuset Solsikken, not in the district
    response = _register(client, db, responsible_id=pedagogue.id, name="Bo Forkert")
    assert response.status_code == 422
    assert 'href="#f-responsible_id"' in response.text or 'href="#responsible_id"' in response.text
    assert "Vælg en ansvarlig fagperson, der arbejder med børn i den valgte enhed" in response.text
    assert 'value="Bo Forkert"' in response.text  # what was typed stays
    assert db.exec(select(Child).where(Child.name == "Bo Forkert")).first() is None


def test_the_csv_import_names_the_responsible_professional(client, db, demo) -> None:
    login(client, "demo-admin")
    birth = (today() - timedelta(days=40)).isoformat()
    header = "navn;fødselsdato;enhed;startdato;ansvarlig"
    good = f"{header}\r\nIda Importsen;{birth};{HV};{birth};demo-sundhedsplejerske\r\n".encode()
    checked = dry_run(client, good)
    assert "ansvarlig:" in checked.text and "0 linjer med fejl" in checked.text
    assert run(client, checked).status_code == 303
    child = db.exec(select(Child).where(Child.name == "Ida Importsen")).one()
    entry = db.exec(select(Caseload).where(Caseload.child_id == child.id)).one()
    assert entry.user_id == user_named(db, "demo-sundhedsplejerske").id
    # The same file again changes nothing; an unknown or out-of-unit professional is a line error.
    again = dry_run(client, good)
    assert "0 nye børn" in again.text and "ansvarlig:" not in again.text
    bad = f"{header}\r\nOle Ukendt;{birth};{HV};{birth};demo-paedagog\r\n".encode()
    refused = dry_run(client, bad)
    assert "1 linje med fejl" in refused.text or "1 linjer med fejl" in refused.text
    assert "er ikke en fagperson i Sundhedsplejen Nord" in refused.text


def test_children_without_a_responsible_professional_are_flagged(client, db, demo) -> None:
    login(client, "demo-admin")
    before = unassigned_children(db, user_named(db, "demo-admin").municipality_id, today())
    assert _register(client, db, name="Uden Ansvarlig").status_code == 303
    unit = unit_named(db, HV)
    expected = len(before.get(unit.id, [])) + 1
    home = re.sub(r"\s+", " ", client.get("/admin").text)
    assert 'id="unassigned"' in home
    assert re.search(
        rf'href="/admin/caseloads\?unit={unit.id}"><span class="list-title">{HV}</span> '
        rf'<span class="list-meta">{expected} (barn|børn) uden ansvarlig</span>',
        home,
    ), home[home.find('id="unassigned"') : home.find('id="unassigned"') + 1500]
    leader = new_client(client.app, "demo-leder")
    overview = re.sub(r"\s+", " ", leader.get(f"/leader/overview?unit={unit.id}").text)
    assert f'<a href="#h-unassigned"><strong>{expected}</strong>' in overview
    assert "Uden Ansvarlig" in overview
    listed = [e.child_id for e in events(db, "overview.child_listed")]
    child = db.exec(select(Child).where(Child.name == "Uden Ansvarlig")).one()
    assert child.id in listed
