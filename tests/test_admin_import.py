"""CSV import: a dry run that reports every bad row with its line and a Danish reason, nothing
imported while any row is bad, and an idempotent import (the same file twice changes nothing)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from backend.domain.dates import today
from backend.people.models import Child, Guardian, Placement
from tests.admin_support import child_with_cpr, events
from tests.support import login, unit_named

HEADER = [
    "navn",
    "fødselsdato",
    "cpr",
    "enhed",
    "stue",
    "startdato",
    "forælder1_navn",
    "forælder1_relation",
    "forælder1_telefon",
    "forælder1_email",
]


def _birth(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def _cpr(birth_iso: str, tail: str) -> str:
    year, month, day = birth_iso.split("-")
    return f"{day}{month}{year[2:]}{tail}"


def good_rows() -> list[list[str]]:
    b1, b2, b3 = _birth(40), _birth(400), _birth(900)
    return [
        [
            "Sigrid Ågård",
            b1,
            _cpr(b1, "4011")[:6] + "-" + _cpr(b1, "4011")[6:],
            "Sundhedsplejen Nord",
            "",
            b1,
            "Søs Ågård",
            "mor",
            "20 30 40 50",
            "soes@example.com",
        ],
        ["Bjørn Æbelø", b2, _cpr(b2, "4012"), "Dagplejen Syd", "", _birth(100), "Ib Æbelø", "far", "", ""],
        ["Øjvind Ørum", b3, "", "Børnehuset Solsikken", "Børnehaven Regnbuen", _birth(30), "", "", "", ""],
    ]


def csv_bytes(rows: list[list[str]], sep: str = ";", encoding: str = "utf-8-sig", header=None) -> bytes:
    lines = [sep.join(header or HEADER)] + [sep.join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def dry_run(client, content: bytes, name: str = "boern.csv"):
    return client.post("/admin/import", files={"file": (name, content, "text/csv")})


def run(client, response):
    batch = re.search(r'action="/admin/import/([0-9a-f-]{36})/run"', response.text)
    assert batch, "no import button"
    return client.post(f"/admin/import/{batch.group(1)}/run")


def _count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(
    ("sep", "encoding"),
    [(";", "utf-8-sig"), (";", "utf-8"), (",", "utf-8"), (";", "cp1252"), (";", "latin-1"), ("\t", "utf-16")],
)
def test_a_good_file_is_imported_in_any_common_shape(client, db, demo, sep: str, encoding: str) -> None:
    login(client, "demo-admin")
    children_before = _count(db, Child)
    checked = dry_run(client, csv_bytes(good_rows(), sep, encoding))
    assert checked.status_code == 200, checked.text
    assert "3 nye børn" in checked.text and "0 linjer med fejl" in checked.text
    assert _count(db, Child) == children_before  # a dry run stores nothing
    done = run(client, checked)
    assert done.status_code == 303
    assert _count(db, Child) == children_before + 3
    sigrid = db.exec(select(Child).where(Child.name == "Sigrid Ågård")).one()
    assert sigrid.cpr and len(sigrid.cpr) == 10
    assert db.exec(select(Guardian).where(Guardian.child_id == sigrid.id)).one().email == "soes@example.com"
    oejvind = db.exec(select(Child).where(Child.name == "Øjvind Ørum")).one()
    placement = db.exec(select(Placement).where(Placement.child_id == oejvind.id)).one()
    assert placement.unit_id == unit_named(db, "Børnehuset Solsikken").id and placement.room_id
    assert len(events(db, "import.run")) == 1


def test_the_same_file_twice_changes_nothing(client, db, demo) -> None:
    login(client, "demo-admin")
    content = csv_bytes(good_rows())
    assert run(client, dry_run(client, content)).status_code == 303
    counts = (_count(db, Child), _count(db, Guardian), _count(db, Placement))
    created = len(events(db, "child.create"))
    again = dry_run(client, content)
    assert "3 børn uændrede" in again.text and "0 nye børn" in again.text
    assert run(client, again).status_code == 303
    assert (_count(db, Child), _count(db, Guardian), _count(db, Placement)) == counts
    assert len(events(db, "child.create")) == created
    assert events(db, "child.update") == []


def test_an_existing_child_is_matched_by_cpr_and_moved_on_the_files_start_date(client, db, demo) -> None:
    login(client, "demo-admin")
    child = child_with_cpr(db)
    starts = (today() + timedelta(days=14)).isoformat()
    row = [
        child.name,
        child.birth_date.isoformat(),
        child.cpr,
        "Børnehuset Solsikken",
        "",
        starts,
        "",
        "",
        "",
        "",
    ]
    checked = dry_run(client, csv_bytes([row]))
    assert "1 barn opdateres" in checked.text and "flytter til Børnehuset Solsikken" in checked.text
    assert run(client, checked).status_code == 303
    db.expire_all()
    spans = db.exec(
        select(Placement).where(Placement.child_id == child.id).order_by(Placement.starts_on)
    ).all()
    assert spans[-1].unit_id == unit_named(db, "Børnehuset Solsikken").id
    assert spans[-2].ends_on.isoformat() == starts
    assert "1 barn uændret" in dry_run(client, csv_bytes([row])).text


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(client, db, demo) -> None:
    login(client, "demo-admin")
    good = good_rows()
    b = _birth(300)
    rows = [
        good[0],
        good[0][:2] + ["", "Sundhedsplejen Nord", "", good[0][5], "", "", "", ""],  # line 3: same child again
        ["Ida Umulig", "31-02-2025", "", "Dagplejen Syd", "", _birth(10), "", "", "", ""],  # line 4
        ["Ukendt Enhed", b, "", "Vuggestuen Månen", "", b, "", "", "", ""],  # line 5
        ["Forkert Cpr", b, "12345", "Dagplejen Syd", "", b, "", "", "", ""],  # line 6
        ["Andet Cpr", b, "010101-4444", "Dagplejen Syd", "", b, "", "", "", ""],  # line 7
        ["", b, "", "Dagplejen Syd", "", b, "", "", "", ""],  # line 8
        ["For Tidlig", b, "", "Dagplejen Syd", "", _birth(400), "", "", "", ""],  # line 9
        ["Ukendt Stue", b, "", "Børnehuset Solsikken", "Stue Blå", b, "", "", "", ""],  # line 10
        ["Dårlig Mail", b, "", "Dagplejen Syd", "", b, "Mor", "mor", "", "ikke-en-mail"],  # line 11
    ]
    before = (_count(db, Child), _count(db, Placement), _count(db, Guardian))
    checked = dry_run(client, csv_bytes(rows))
    assert checked.status_code == 422
    text = checked.text
    expected = {
        3: "står allerede på linje 2",
        4: "Datoen &#39;31-02-2025&#39; findes ikke",
        5: "Enheden &#39;Vuggestuen Månen&#39; findes ikke",
        6: "CPR-nummeret skal have formen",
        7: "passer ikke med fødselsdatoen",
        8: "Barnets navn mangler",
        9: "Startdatoen ligger før fødselsdatoen",
        10: "Stuen &#39;Stue Blå&#39; findes ikke",
        11: "e-mailadressen &#39;ikke-en-mail&#39; er ikke gyldig",
    }
    for line, reason in expected.items():
        assert re.search(rf"Linje {line}\b[^<]*:[^<]*{re.escape(reason)}", text), (line, reason)
    assert "Linje 2 " not in text and "Intet er importeret" in text
    assert "/run" not in text  # no import button while any line is bad
    assert (_count(db, Child), _count(db, Placement), _count(db, Guardian)) == before


def test_a_bad_batch_cannot_be_forced_through(client, db, demo) -> None:
    from backend.people.models import ImportBatch

    login(client, "demo-admin")
    rows = good_rows() + [["Ida Umulig", "31-02-2025", "", "Dagplejen Syd", "", _birth(10), "", "", "", ""]]
    dry_run(client, csv_bytes(rows))
    batch = db.exec(select(ImportBatch)).one()
    before = _count(db, Child)
    forced = client.post(f"/admin/import/{batch.id}/run")
    assert forced.status_code == 422 and "Linje 5" in forced.text
    assert _count(db, Child) == before


def test_missing_columns_empty_files_and_no_file_are_clear(client, db, demo) -> None:
    login(client, "demo-admin")
    missing = dry_run(client, csv_bytes([["Alma", "Dagplejen Syd"]], header=["navn", "enhed"]))
    assert (
        missing.status_code == 422
        and "Linje 1: kolonnerne &#39;fødselsdato&#39;, &#39;startdato&#39; mangler" in missing.text
    )
    assert "Filen er tom." in dry_run(client, b"").text
    assert "ingen børn under kolonnenavnene" in dry_run(client, csv_bytes([])).text
    nothing = client.post("/admin/import", data={"x": "1"})
    assert nothing.status_code == 422 and "Vælg en CSV-fil" in nothing.text
    binary = dry_run(client, bytes(range(256)) * 10)
    assert binary.status_code == 422


def test_a_child_with_the_same_name_and_birth_date_in_another_unit_needs_a_cpr(client, db, demo) -> None:
    from tests.support import children_of_unit

    login(client, "demo-admin")
    existing = next(c for c in children_of_unit(db, "Sundhedsplejen Nord") if c.cpr is None)
    row = [
        existing.name,
        existing.birth_date.isoformat(),
        "",
        "Børnehuset Solsikken",
        "",
        today().isoformat(),
        "",
        "",
        "",
        "",
    ]
    checked = dry_run(client, csv_bytes([row]))
    assert checked.status_code == 422
    assert "findes allerede i en anden enhed. Tilføj CPR-nummeret i filen" in checked.text
    row[3] = "Sundhedsplejen Nord"
    row[5] = db.exec(select(Placement.starts_on).where(Placement.child_id == existing.id)).one().isoformat()
    same_unit = dry_run(client, csv_bytes([row]))
    assert same_unit.status_code == 200, same_unit.text  # matched by name, birth date and unit


def test_imports_are_audited_without_cpr(client, db, demo) -> None:
    from tests.admin_support import all_audit_text

    login(client, "demo-admin")
    rows = good_rows()
    run(client, dry_run(client, csv_bytes(rows)))
    text = all_audit_text(db)
    assert rows[1][2] not in text and rows[0][2] not in text
    assert len(events(db, "import.dry_run")) == 1


def test_control_characters_in_a_file_are_not_a_server_error(client, db, demo) -> None:
    login(client, "demo-admin")
    rows = good_rows()
    rows[0][0] = "Sigrid\x00 Ågård"
    rows[0][6] = "Søs\x07 Ågård"
    checked = dry_run(client, csv_bytes(rows), name="b\x00rn.csv")
    assert checked.status_code == 200, checked.text
    assert run(client, checked).status_code == 303
    assert db.exec(select(Child).where(Child.name == "Sigrid Ågård")).one()
