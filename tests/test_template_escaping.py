"""Escape by default: no text a user, an admin or an import chose reaches a page as markup.

The sweep renders every template under templates/ with a fuzzing object graph (every value,
attribute and dict key a hostile string, see tests/escaping_support.py) and parses the output
for injected elements and attributes. Macro files have each of their macros called with
hostile arguments. A new template is picked up by walking the folder, so it is covered (or
fails here) without anyone listing it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, Template
from jinja2.runtime import Macro
from markupsafe import Markup
from sqlmodel import select

from backend.config import PROJECT_DIR
from backend.domain.dates import today
from backend.records.models import KeptWrite
from backend.web import templating
from tests.escaping_support import HOSTILE, HOSTILE_PARTS, Fuzz, FuzzWith, injections
from tests.support import children_of_unit, login, moved_child, put_record, unit_named

TEMPLATES = PROJECT_DIR / "templates"
ALL_TEMPLATES = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


def _tolerant(real):
    """A filter that shows a fuzzed value as its text (the hostile string), real ones as before."""

    def apply(value: Any, *args: Any, **kwargs: Any) -> Any:
        return str(value) if isinstance(value, Fuzz) else real(value, *args, **kwargs)

    return apply


def _fuzz_env(gettext_callables: tuple | None = None) -> Environment:
    """The app's environment (loader, filters, globals, `_()`) with `Fuzz` for every missing
    value: a separate Environment, so nothing here changes the app's own."""
    app = templating.env
    fuzzed = Environment(
        loader=app.loader,
        autoescape=app.autoescape,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=Fuzz,
        cache_size=0,
    )
    fuzzed.filters.update(app.filters)
    fuzzed.globals.update(app.globals)  # the app's own `_`, `gettext` and `ngettext`
    fuzzed.newstyle_gettext = True  # type: ignore[attr-defined]
    if gettext_callables is not None:
        fuzzed.install_gettext_callables(*gettext_callables, newstyle=True)  # type: ignore[attr-defined]
        fuzzed.globals["_"] = fuzzed.globals["gettext"]  # the app's `_` is its gettext, not an alias
    for name in ("date", "datetime", "isodate", "age"):
        fuzzed.filters[name] = _tolerant(app.filters[name])
    fuzzed.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": str}
    # Helpers that compute from real records get fuzzed answers: what matters is their output.
    for name in ("value_at", "record_summary", "key_date", "menu_links"):
        fuzzed.globals[name] = Fuzz()
    return fuzzed


#: Template names chosen at run time (`{% include form_template %}`): one real name each.
INCLUDED = {
    "form_template": "records/forms/concern_note.html",
    "row_template": "records/rows/agreement.html",
    "show_template": "records/show/concern_note.html",
}


#: Contexts that take the other branches of templates whose `if`s compare with fixed values.
BRANCHES: dict[str, list[dict[str, Any]]] = {
    "tasks.html": [{"groups": [(Fuzz(), Fuzz(), Fuzz())]}],
    "conflict.html": [
        {"kept": FuzzWith(reason="conflict"), "differences": [(Fuzz(), Fuzz(), Fuzz())]},
        {"kept": FuzzWith(reason="conflict"), "differences": []},
    ],
    # The parents' own words (issue 15): shown only for the part the page asks for.
    "records/show/parents_words.html": [
        {
            "words_part": "transition_parents_part",
            "data": {
                "parents_words": [FuzzWith(part="transition_parents_part", answers={"about_child": Fuzz()})]
            },
        }
    ],
}


def _render_all(env, name: str) -> str:
    template: Template = env.get_template(name)
    cases = [{**INCLUDED, **case} for case in BRANCHES.get(name, [{}])]
    html = "".join(template.render(case) for case in cases)
    module = template.make_module(cases[0])
    for attribute in dir(module):
        macro = getattr(module, attribute)
        if attribute.startswith("_") or not isinstance(macro, Macro):
            continue
        html += str(macro(*[Fuzz() for _ in macro.arguments]))
    return html


@pytest.fixture(scope="module")
def fuzz_env():
    return _fuzz_env()


def test_the_sweep_walks_every_template() -> None:
    assert len(ALL_TEMPLATES) >= 90
    assert {"conflict.html", "macros/fields.html", "admin/child_new.html"} <= set(ALL_TEMPLATES)
    assert set(INCLUDED.values()) <= set(ALL_TEMPLATES)


@pytest.mark.parametrize("name", ALL_TEMPLATES)
def test_every_template_escapes_hostile_values_and_keys(fuzz_env, name: str) -> None:
    html = _render_all(fuzz_env, name)
    assert injections(html) == [], name
    if name not in TEMPLATES_WITHOUT_DATA:
        assert "&lt;meta http-equiv=" in html, f"{name} shows no fuzzed value: is it really rendered?"


#: Templates that print no value at all (checked: they still render and are parsed above).
TEMPLATES_WITHOUT_DATA: set[str] = set()


def test_the_sweep_finds_injections_when_gettext_trusts_its_result() -> None:
    """The sweep can fail: with the old `_()` (its result trusted as markup) it finds them."""
    fuzzed = _fuzz_env((lambda message: Markup(message), lambda s, p, n: Markup(s if n == 1 else p)))
    found = {name: injections(_render_all(fuzzed, name)) for name in ALL_TEMPLATES}
    assert found["conflict.html"], "conflict.html rendered keys through _()"
    assert found["macros/fields.html"] == [], "select/radios no longer pass labels through _()"


def test_template_gettext_escapes_the_message_itself() -> None:
    page = templating.env.from_string(
        '<p>{{ _(x) }}</p><p>{{ _("Til afklaring") }}</p><p>{{ _("Gemt %(when)s", when=x) }}</p>'
        "<p>{{ ngettext(x, x, 2) }}</p>"
    ).render(x=HOSTILE)
    assert injections(page) == []
    assert page.count("&lt;meta http-equiv=") == 3 and "<p>Til afklaring</p>" in page


def test_translations_carry_no_markup() -> None:
    """`_()` escapes what it returns, so a translation with a tag would show the tag as text."""
    from backend.i18n import translations

    catalogue = translations("en")._catalog  # type: ignore[attr-defined]
    with_tags = [
        (m, t) for m, t in catalogue.items() if m and any(ch in str(t) for ch in "<>") and "„<5“" not in m
    ]
    assert with_tags == []


def test_unknown_field_keys_get_a_neutral_label_never_the_key() -> None:
    from backend.records.labels import label_for

    assert label_for("data.items.eye_contact") != "items.eye_contact"
    assert label_for(f"data.{HOSTILE}") == "Ukendt felt"
    assert label_for("data.no_such_field") == "Ukendt felt"
    assert label_for("agreements.0.what") == "Aftaler"


def test_the_template_folder_is_walked_not_listed(tmp_path: Path) -> None:
    """A new template is covered by being there: the list comes from the folder."""
    assert sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")) == ALL_TEMPLATES


# --- End to end: the real routes, the real database, the leader's and professionals' pages ----


def _kept_for_leader(db, child, data: dict) -> KeptWrite:
    """A kept write stored as the old code stored it: `data` exactly as the client sent it."""
    from tests.support import user_named

    kept = KeptWrite(
        reason="out_of_scope",
        record_id=str(uuid.uuid4()),
        record_type="concern_note",
        child_id=child.id,
        unit_id=unit_named(db, "Sundhedsplejen Nord").id,
        author_id=user_named(db, "demo-sundhedsplejerske").id,
        body={"type": "concern_note", "child_id": child.id, "status": "final", "data": data},
        body_hash=uuid.uuid4().hex,
    )
    db.add(kept)
    db.commit()
    return kept


def test_h1_a_kept_write_with_a_key_its_type_does_not_know_is_refused(client, demo, db) -> None:
    child = moved_child(db)
    on = today().isoformat()
    login(client, "demo-sundhedsplejerske")
    # The audit's proof: a professional writes about a child who left, with a key that is markup.
    refused = put_record(client, "concern_note", child.id, {"observed_on": on, "text": "x", HOSTILE: "y"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Nogle felter er ikke udfyldt rigtigt."
    assert db.exec(select(KeptWrite)).all() == []


def test_h1_hostile_kept_writes_are_text_on_the_leaders_page(client, demo, db) -> None:
    child = moved_child(db)
    on = today().isoformat()
    login(client, "demo-sundhedsplejerske")
    # Hostile values in known fields are kept, and shown as text.
    kept = put_record(client, "concern_note", child.id, {"observed_on": on, "text": HOSTILE})
    assert kept.status_code == 202
    # A write kept before this fix, with the hostile key stored, is shown safely as well.
    legacy = _kept_for_leader(db, child, {"observed_on": on, HOSTILE: HOSTILE, f"text.{HOSTILE}": "z"})
    login(client, "demo-leder")
    assert injections(client.get("/conflicts").text) == []
    for kept_id in (kept.json()["kept_id"], legacy.id):
        page = client.get(f"/conflicts/{kept_id}")
        assert page.status_code == 200
        assert injections(page.text) == [], kept_id
        assert "&lt;meta http-equiv=" in page.text
    assert "Ukendt felt" in client.get(f"/conflicts/{legacy.id}").text


def test_m1_unit_room_guardian_and_position_names_are_text_on_the_forms(client, demo, db) -> None:
    from backend.people.models import Guardian, Municipality, Room

    meta, form, img = HOSTILE_PARTS[0], HOSTILE_PARTS[1], HOSTILE_PARTS[2]
    receiving = unit_named(db, "Børnehuset Solsikken")
    receiving.name = f"Solsikken {meta}"
    db.add(receiving)
    db.add(Room(unit_id=receiving.id, name=f"Stue {form}"))
    child = next(c for c in children_of_unit(db, "Dagplejen Syd") if c.id != moved_child(db).id)
    guardian = db.exec(select(Guardian).where(Guardian.child_id == child.id)).first()
    guardian.name = f"Mor {img}"
    db.add(guardian)
    municipality = db.exec(select(Municipality)).one()
    municipality.settings = {
        **(municipality.settings or {}),
        "position_labels": {"thriving": f"Godt {img}", "extra_attention": f"Undren {meta}", "concern": "Uro"},
    }
    db.add(municipality)
    db.commit()

    login(client, "demo-dagplejepaedagog")
    pages = {
        "transition": client.get(f"/forms/transition?child={child.id}"),
        "consent": client.get(f"/forms/consent?child={child.id}&kind=transition_handover"),
        "wellbeing": client.get(f"/forms/wellbeing?child={child.id}"),
    }
    login(client, "demo-admin")
    pages["admin child"] = client.get("/admin/children/new")
    shown = {
        "transition": ["Solsikken &lt;meta", "Godt &#34;&gt;&lt;img"],
        "consent": ["Mor &#34;&gt;&lt;img"],
        "admin child": ["Solsikken &lt;meta", "Stue &lt;form action="],
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert injections(page.text) == [], name
        for text in shown.get(name, []):
            assert text in page.text, (name, text)
