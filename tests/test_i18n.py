"""Danish first, English second: the source texts are Danish; English comes from the catalogue."""

from babel.messages.extract import extract_from_dir

from backend.config import PROJECT_DIR
from backend.i18n import translations
from tests.support import login


def _source_messages() -> set[str]:
    method_map = [("backend/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_DIR), method_map=method_map, options_map=options
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def test_every_english_translation_belongs_to_a_current_source_text() -> None:
    english = translations("en")
    catalogue = set(english._catalog) - {""}  # type: ignore[attr-defined]
    stale = {m for m in catalogue if isinstance(m, str)} - _source_messages()
    assert stale == set()


def test_the_core_screens_are_translated_to_english() -> None:
    core = [
        "Log ind",
        "Brugernavn",
        "Adgangskode",
        "I dag",
        "Børn",
        "Opgaver",
        "Mine børn",
        "Log ud",
        "Forældre og værger",
        "Indskrivning",
        "Søg efter et barn",
    ]
    english = translations("en")
    untranslated = [m for m in core if english.gettext(m) == m]
    assert untranslated == []


def test_a_user_can_switch_to_english_and_back(client, demo) -> None:
    login(client, "demo-paedagog")
    assert "<h1>I dag" in client.get("/").text
    client.post("/me/language", data={"language": "en", "next": "/"})
    page = client.get("/").text
    assert "<h1>Today" in page and 'lang="en"' in page
    client.post("/me/language", data={"language": "da", "next": "/"})
    assert "<h1>I dag" in client.get("/").text
