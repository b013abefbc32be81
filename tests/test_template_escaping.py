"""Escape by default: no text a user, an admin or an import chose reaches a page as markup.

The sweep renders every template under templates/ with a fuzzing object graph (every value,
attribute and dict key a hostile string, see tests/escaping_support.py) and parses the output
for injected elements and attributes. Macro files have each of their macros called with
hostile arguments. A new template is picked up by walking the folder, so it is covered (or
fails here) without anyone listing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, Template
from jinja2.runtime import Macro
from markupsafe import Markup

from backend.config import PROJECT_DIR
from backend.web import templating
from tests.escaping_support import HOSTILE, Fuzz, FuzzWith, injections

TEMPLATES = PROJECT_DIR / "templates"
ALL_TEMPLATES = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))


def _tolerant(real):  # noqa: ANN001, ANN202
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
}


def _render_all(env, name: str) -> str:  # noqa: ANN001
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
def fuzz_env():  # noqa: ANN201
    return _fuzz_env()


def test_the_sweep_walks_every_template() -> None:
    assert len(ALL_TEMPLATES) >= 90
    assert {"conflict.html", "macros/fields.html", "admin/child_new.html"} <= set(ALL_TEMPLATES)
    assert set(INCLUDED.values()) <= set(ALL_TEMPLATES)


@pytest.mark.parametrize("name", ALL_TEMPLATES)
def test_every_template_escapes_hostile_values_and_keys(fuzz_env, name: str) -> None:  # noqa: ANN001
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
    assert ALL_TEMPLATES == sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
