"""The parents' pages in Danish, English and Arabic from one catalogue (issue 15): a text on a
parent page without its English or Arabic translation fails here."""

import pytest
from babel.messages.extract import extract_from_file

from backend.config import PROJECT_DIR
from backend.i18n import translations

PARENT_TEMPLATES = sorted((PROJECT_DIR / "templates" / "parents").glob("*.html"))
#: Python modules whose messages (`N_`) are shown on the parent pages.
PARENT_RULES = [
    PROJECT_DIR / "backend" / "domain" / "parents.py",
    PROJECT_DIR / "backend" / "domain" / "parent_consent.py",
    PROJECT_DIR / "backend" / "parents" / "citizen.py",
]


def parent_messages() -> list[str | tuple[str, str]]:
    found: list[str | tuple[str, str]] = []
    for path in PARENT_TEMPLATES:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2", str(path), options={"extensions": "jinja2.ext.i18n"}
        ):
            found.append(message if isinstance(message, str) else tuple(message[:2]))
    for path in PARENT_RULES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"N_": None}
        ):
            found.append(message)
    return found


def test_the_parent_pages_are_found() -> None:
    messages = parent_messages()
    assert len(PARENT_TEMPLATES) >= 7 and "Skriv koden" in messages and "Om vores barn" in messages


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_text_on_the_parent_pages_is_translated(language: str) -> None:
    catalogue = translations(language)
    missing = []
    for message in parent_messages():
        if isinstance(message, tuple):
            if any(catalogue.ngettext(*message, n) in message for n in (1, 2, 5)):
                missing.append(message[0])
        elif catalogue.gettext(message) == message:
            missing.append(message)
    assert missing == []


def test_every_arabic_translation_belongs_to_a_parent_page_text() -> None:
    arabic = translations("ar")
    catalogue = {m if isinstance(m, str) else m[0] for m in arabic._catalog} - {""}  # type: ignore[attr-defined]
    known = {m if isinstance(m, str) else m[0] for m in parent_messages()}
    assert catalogue - known == set()
