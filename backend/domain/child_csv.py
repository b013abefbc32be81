"""Reading a municipal CSV export of children, guardians and placements (no database here).

The file: one row per child, a header row naming the columns (Danish or English, any case,
æøå or ae/oe/aa), separated by `;` (what a Danish spreadsheet writes), `,` or a tab, in UTF-8
(with or without BOM), UTF-16 with BOM, or Latin-1/Windows-1252. Columns:

| column (Danish / English)                     | required | example                 |
|-----------------------------------------------|----------|-------------------------|
| `navn` / `name`                               | yes      | Alma Nielsen            |
| `fødselsdato` / `birth_date`                  | yes      | 2025-03-14 or 14-03-2025 |
| `cpr`                                         | no       | 140325-4123, 1403254123 |
| `enhed` / `unit`                              | yes      | Dagplejen Syd           |
| `stue` / `room`                               | no       | Vuggestuen Mariehønen   |
| `startdato` / `starts_on`                     | yes      | 2026-01-05              |
| `slutdato` / `ends_on`                        | no       | 2026-08-01              |
| `forælder1_navn` / `guardian1_name`           | no       | Maria Nielsen           |
| `forælder1_relation` / `guardian1_relation`   | no       | mor                     |
| `forælder1_telefon` / `guardian1_phone`       | no       | 20 30 40 50             |
| `forælder1_email` / `guardian1_email`         | no       | maria@example.com       |
| … `forælder2_…` up to `forælder4_…`           | no       |                         |

Dates are `ÅÅÅÅ-MM-DD`, `DD-MM-ÅÅÅÅ`, `DD.MM.ÅÅÅÅ` or `DD/MM/ÅÅÅÅ`. CPR numbers may carry a hyphen,
space or dot, and may have lost their leading zero in a spreadsheet (9 digits): such a number is
accepted only when it then matches the birth date. Every problem is reported with its line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from backend.domain.contact import birth_date_problem, email_is_valid
from backend.domain.cpr import CprError, check_cpr_matches_birth_date, normalise_cpr
from backend.domain.messages import N_
from backend.domain.numbers import is_digits

MAX_ROWS = 5000
MAX_GUARDIANS = 4

REQUIRED = ("name", "birth_date", "unit", "starts_on")
GUARDIAN_FIELDS = ("name", "relation", "phone", "email")

#: Header aliases (after normalising: lower case, æøå → ae/oe/aa, spaces and hyphens → `_`).
ALIASES: dict[str, str] = {
    "navn": "name",
    "barn": "name",
    "barnets_navn": "name",
    "name": "name",
    "foedselsdato": "birth_date",
    "fodselsdato": "birth_date",
    "birth_date": "birth_date",
    "birthdate": "birth_date",
    "cpr": "cpr",
    "cpr_nr": "cpr",
    "cprnr": "cpr",
    "cpr_nummer": "cpr",
    "enhed": "unit",
    "unit": "unit",
    "dagtilbud": "unit",
    "stue": "room",
    "room": "room",
    "gruppe": "room",
    "startdato": "starts_on",
    "start": "starts_on",
    "starts_on": "starts_on",
    "indskrevet": "starts_on",
    "slutdato": "ends_on",
    "slut": "ends_on",
    "ends_on": "ends_on",
    "udskrevet": "ends_on",
}
_GUARDIAN_WORDS = {
    "navn": "name",
    "relation": "relation",
    "telefon": "phone",
    "tlf": "phone",
    "email": "email",
}
_GUARDIAN_WORDS.update({field: field for field in GUARDIAN_FIELDS})
_GUARDIAN_HEADER = re.compile(r"^(?:foraelder|forelder|vaerge|guardian|parent)_?(\d)_?([a-z]+)$")

COLUMN_NAMES_DA = {
    "name": "navn",
    "birth_date": "fødselsdato",
    "unit": "enhed",
    "starts_on": "startdato",
}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DANISH = re.compile(r"^(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})$")


class CsvFileError(ValueError):
    """The file as a whole cannot be read (Danish message, with line 1 when about the header)."""


@dataclass
class GuardianRow:
    name: str
    relation: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class ChildRow:
    line: int
    name: str = ""
    birth_date: date | None = None
    cpr: str | None = None
    unit: str = ""
    room: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    guardians: list[GuardianRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    encoding: str
    delimiter: str
    rows: list[ChildRow]
    ignored_columns: list[str]


def decode(raw: bytes) -> tuple[str, str]:
    """The text of the file and the encoding it was read in."""
    if raw.startswith(codecs.BOM_UTF8):
        return _strict(raw[len(codecs.BOM_UTF8) :], "utf-8"), "UTF-8 (BOM)"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(raw, "utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


def _strict(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise CsvFileError(
            f"Filen kunne ikke læses som {encoding.upper()}. Gem den igen som UTF-8."
        ) from None


def sniff_delimiter(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


def normalise_header(name: str) -> str:
    text = name.strip().strip("\ufeff").lower()
    for old, new in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e")):
        text = text.replace(old, new)
    text = re.sub(r"[\s\-.]+", "_", text)
    return text.strip("_")


def map_header(header: list[str]) -> tuple[dict[int, tuple[str, int | None]], list[str]]:
    """Column index → (field, guardian number or None); and the columns that are ignored."""
    mapping: dict[int, tuple[str, int | None]] = {}
    ignored: list[str] = []
    for index, raw_name in enumerate(header):
        key = normalise_header(raw_name)
        if key in ALIASES:
            mapping[index] = (ALIASES[key], None)
            continue
        match = _GUARDIAN_HEADER.match(key)
        if match and match.group(2) in _GUARDIAN_WORDS and 1 <= int(match.group(1)) <= MAX_GUARDIANS:
            mapping[index] = (_GUARDIAN_WORDS[match.group(2)], int(match.group(1)))
            continue
        if raw_name.strip():
            ignored.append(raw_name.strip())
    return mapping, ignored


def parse_date(text: str) -> date:
    value = text.strip()
    if match := _ISO.match(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DANISH.match(value):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise ValueError(f"Datoen '{value}' har ikke et kendt format (brug ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ).")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"Datoen '{value}' findes ikke.") from None


def parse_cpr(text: str, birth_date: date | None) -> str:
    """Ten CPR digits, checked against the birth date; a 9-digit number gets its lost leading zero."""
    raw = text.strip().strip("'\"")
    digits = re.sub(r"[\s\-–.]", "", raw)
    if is_digits(digits) and len(digits) == 9:
        digits = "0" + digits
    cpr = normalise_cpr(digits)
    if birth_date is not None:
        check_cpr_matches_birth_date(cpr, birth_date)
    return cpr


def parse_file(raw: bytes, today: date) -> ParsedFile:
    """Every row of the file, each with its errors (an empty list when the row is good)."""
    text, encoding = decode(raw)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CsvFileError(N_("Filen er tom."))
    first_line = text.splitlines()[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        raise CsvFileError(f"Linje 1: kolonnenavnene kunne ikke læses ({error}).") from None
    mapping, ignored = map_header(header)
    present = {name for name, number in mapping.values() if number is None}
    missing = [COLUMN_NAMES_DA[name] for name in REQUIRED if name not in present]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        raise CsvFileError(
            f"Linje 1: kolonnen {names} mangler."
            if len(missing) == 1
            else f"Linje 1: kolonnerne {names} mangler."
        )
    rows = _read_rows(reader, mapping, len(header), today)
    return ParsedFile(encoding=encoding, delimiter=delimiter, rows=rows, ignored_columns=ignored)


def _read_rows(reader, mapping: dict, width: int, today: date) -> list[ChildRow]:
    rows: list[ChildRow] = []
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rows.append(ChildRow(line=start, errors=[f"Linjen kunne ikke læses ({error})."]))
            break
        line = start
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            rows.append(ChildRow(line=line, errors=[f"Filen har mere end {MAX_ROWS} børn. Del den op."]))
            break
        rows.append(parse_row(line, cells, mapping, width, today))
    return rows


def parse_row(line: int, cells: list[str], mapping: dict, width: int, today: date) -> ChildRow:
    row = ChildRow(line=line)
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        row.errors.append(
            N_("Linjen har flere felter end der er kolonner (forkert skilletegn eller citationstegn?).")
        )
    values: dict[str, str] = {}
    guardians: dict[int, dict[str, str]] = {}
    for index, (name, number) in mapping.items():
        cell = _printable(cells[index]) if index < len(cells) else ""
        if number is None:
            values[name] = cell
        elif cell:
            guardians.setdefault(number, {})[name] = cell
    row.name = " ".join(values.get("name", "").split())[:200]
    row.unit = values.get("unit", "").strip()
    row.room = values.get("room", "").strip()
    if not row.name:
        row.errors.append("Barnets navn mangler.")
    row.birth_date = _date_field(row, values.get("birth_date", ""), N_("Fødselsdatoen"), required=True)
    row.starts_on = _date_field(row, values.get("starts_on", ""), N_("Startdatoen"), required=True)
    row.ends_on = _date_field(row, values.get("ends_on", ""), N_("Slutdatoen"), required=False)
    if not row.unit:
        row.errors.append("Enheden mangler.")
    _check_dates(row, today)
    if values.get("cpr", "").strip():
        try:
            row.cpr = parse_cpr(values["cpr"], row.birth_date)
        except CprError as error:
            row.errors.append(str(error))
    row.guardians = _guardians(row, guardians)
    return row


def _printable(cell: str) -> str:
    """A cell without control characters (a NUL byte cannot be stored, a tab is a space)."""
    return "".join(ch if ch.isprintable() else " " for ch in cell).strip()


def _date_field(row: ChildRow, text: str, label: str, *, required: bool) -> date | None:
    if not text.strip():
        if required:
            row.errors.append(f"{label} mangler.")
        return None
    try:
        return parse_date(text)
    except ValueError as error:
        row.errors.append(f"{label}: {error}")
        return None


def _check_dates(row: ChildRow, today: date) -> None:
    problem = birth_date_problem(row.birth_date, today) if row.birth_date else None
    if problem:
        row.errors.append(problem)
    if row.birth_date and row.starts_on and row.starts_on < row.birth_date:
        row.errors.append(N_("Startdatoen ligger før fødselsdatoen."))
    if row.starts_on and row.ends_on and row.ends_on <= row.starts_on:
        row.errors.append(N_("Slutdatoen skal ligge efter startdatoen."))


def _guardians(row: ChildRow, found: dict[int, dict[str, str]]) -> list[GuardianRow]:
    guardians = []
    for number in sorted(found):
        values = found[number]
        if not values.get("name"):
            row.errors.append(f"Forælder {number} har kontaktoplysninger, men intet navn.")
            continue
        email = values.get("email", "")
        if email and not email_is_valid(email):
            row.errors.append(f"Forælder {number}: e-mailadressen '{email}' er ikke gyldig.")
        guardians.append(
            GuardianRow(
                name=" ".join(values["name"].split())[:200],
                relation=values.get("relation", "")[:50],
                phone=values.get("phone", "")[:40],
                email=email[:320],
            )
        )
    return guardians
