"""Danish first, English second: the source texts are Danish; English comes from the catalogue."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from backend.config import PROJECT_DIR
from backend.i18n import LOCALE_DIR, translations
from tests.support import child_aged, login

#: What `make messages` extracts (babel.cfg): the server's Python and templates, the page script.
METHOD_MAP = [("backend/**.py", "python"), ("templates/**.html", "jinja2"), ("pwa/**.js", "javascript")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _source_messages() -> dict[str, str]:
    """Every marked source text (a plural by its singular), with the file it first appears in."""
    messages: dict[str, str] = {}
    for file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_DIR), method_map=METHOD_MAP, options_map=OPTIONS
    ):
        messages.setdefault(message if isinstance(message, str) else message[0], file)
    return messages


def _english_catalogue() -> dict[str, object]:
    """Every entry of every English .po file: msgid (singular) → its translation(s)."""
    entries: dict[str, object] = {}
    for po_path in sorted((LOCALE_DIR / "en").glob("*.po")):
        with po_path.open("rb") as po_file:
            for message in read_po(po_file, locale="en"):
                if message.id:
                    entries[message.id if isinstance(message.id, str) else message.id[0]] = message.string
    return entries


def test_every_english_translation_belongs_to_a_current_source_text() -> None:
    stale = set(_english_catalogue()) - set(_source_messages())
    assert stale == set()


def test_every_source_text_has_an_english_translation() -> None:
    """Python (`_`, `N_`, `gettext`), templates and pwa/*.js (`_`): none falls back to Danish."""
    english = _english_catalogue()

    def translated(value: object) -> bool:
        return bool(value) and (isinstance(value, str) or all(value))  # type: ignore[union-attr]

    missing = {m: f for m, f in _source_messages().items() if not translated(english.get(m))}
    assert missing == {}


#: A string literal or a comment in a script (comments are skipped, literals checked).
_JS_TOKEN = re.compile(
    r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""", re.S
)
_DANISH = re.compile(
    r"[æøåÆØÅ]|\b(?:og|ikke|er|til|på|af|med|kan|skal|venter|gemt|sendt|kladde|barnet|registrering\w*|"
    r"fortryd|ret|slet|fjern|forstået|opdatér|log ud)\b",
    re.IGNORECASE,
)


def danish_literals(source: str) -> list[str]:
    """String literals in a script that read as Danish UI text and are not a `_("…")` source text."""
    found = []
    for token in _JS_TOKEN.finditer(source):
        text = token.group(0)
        if text.startswith("/"):
            continue
        marked = re.search(r"\b_\(\s*$", source[max(0, token.start() - 20) : token.start()])
        body = re.sub(r"\$\{[^}]*\}", " ", text[1:-1])
        address = body.lstrip().startswith(("/", "#")) or "=" in body  # a URL or a selector, not text
        if not marked and not address and _DANISH.search(body):
            found.append(text)
    return found


def test_page_script_texts_go_through_the_catalogue() -> None:
    """A Danish text written straight into pwa/*.js would stay Danish under lang="en"."""
    unmarked = {
        path.name: danish_literals(path.read_text(encoding="utf-8"))
        for path in sorted(Path(PROJECT_DIR, "pwa").glob("*.js"))
    }
    assert {name: texts for name, texts in unmarked.items() if texts} == {}


def test_the_danish_scan_catches_unmarked_texts() -> None:
    assert danish_literals('el.textContent = "Gemt på telefonen";') == ['"Gemt på telefonen"']
    assert danish_literals("text = `${n} venter`;") == ["`${n} venter`"]
    assert danish_literals('button.textContent = "Fortryd";') == ['"Fortryd"']
    assert danish_literals('el.textContent = _("Gemt på telefonen");') == []
    assert danish_literals('el.className = "button secondary"; // gemt på telefonen') == []
    assert danish_literals("location.href = `/records/${id}?gemt=1`;") == []


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


def test_an_english_page_carries_the_page_script_texts_and_a_danish_one_does_not(client, demo) -> None:
    login(client, "demo-paedagog")
    assert 'id="opspor-texts"' not in client.get("/").text
    client.post("/me/language", data={"language": "en", "next": "/"})
    page = client.get("/").text
    assert 'id="opspor-texts"' in page
    texts = page.split('id="opspor-texts">', 1)[1].split("</script>", 1)[0]
    assert '"Venter p\\u00e5 net": "Waiting for a connection"' in texts or "Waiting for a connection" in texts


def test_an_english_form_names_its_fields_and_errors_in_english(client, demo, db) -> None:
    """The ADBB form under lang="en": field and item labels, buttons and the validation messages."""
    login(client, "demo-sundhedsplejerske")
    client.post("/me/language", data={"language": "en", "next": "/"})
    child = child_aged(db, "Sundhedsplejen Nord", 3, 12)
    page = client.get(f"/forms/adbb?child={child.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    record_id = re.search(r'action="/records/([0-9a-f-]{36})"', page).group(1)
    for english in (
        "Date of the screening",
        "Eye contact",
        "Nothing unusual",
        "Finish and save",
        "Save draft",
    ):
        assert english in page, english
    fields = {"csrf_token": token, "type": "adbb", "child_id": child.id, "status": "final"}
    response = client.post(f"/records/{record_id}", data=fields, headers={"accept": "text/html"})
    assert response.status_code == 422
    assert "Occasion must be filled in." in response.text
    assert "Score for eye contact must be filled in." in response.text
    assert "skal udfyldes" not in response.text.lower()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_languages_po_files_are_one_catalogue_translating_as_the_files_did(language) -> None:
    """Every text is one lookup in one merged catalogue (no chain of one fallback per .po file,
    which cost ~9 µs per English text on every page), and each translates as before: a text in
    two files takes the later file's translation, plural forms included."""
    import gettext
    from io import BytesIO

    from babel.messages.mofile import write_mo

    chained: gettext.NullTranslations = gettext.NullTranslations()
    ids = set()
    for po_path in sorted((LOCALE_DIR / language).glob("*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        ids |= {message.id for message in catalog if message.id}
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = gettext.GNUTranslations(buffer)
        part.add_fallback(chained)
        chained = part
    merged = translations(language)
    assert merged._fallback is None  # type: ignore[attr-defined]
    assert len(ids) > 100
    for message_id in ids:
        if isinstance(message_id, tuple):
            for n in (0, 1, 2, 3, 11, 100):
                assert merged.ngettext(*message_id[:2], n) == chained.ngettext(*message_id[:2], n)
        else:
            assert merged.gettext(message_id) == chained.gettext(message_id), message_id
