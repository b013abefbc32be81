"""Things defined once (issue 13): the unit kinds with one set of labels, one ADBB screening
value object. Checked on the source with `ast`, and on the pages that show the labels."""

from __future__ import annotations

import ast
from pathlib import Path

from backend.domain.units import UNIT_KIND_LABELS, UnitKind
from tests.support import login

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"
UNIT_KINDS = {kind.value for kind in UnitKind}


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(BACKEND.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def unit_kind_tables(tree: ast.Module) -> list[int]:
    """Literals naming every unit kind: a dict keyed by them, or a set/list/tuple of them."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            names = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            names |= {k.attr for k in node.keys if isinstance(k, ast.Attribute)}
        elif isinstance(node, ast.Set | ast.List | ast.Tuple):
            names = {e.value for e in node.elts if isinstance(e, ast.Constant)}
        else:
            continue
        if names >= UNIT_KINDS:
            lines.append(node.lineno)
    return lines


def screening_classes(tree: ast.Module) -> list[str]:
    """Value objects (dataclasses) holding a screening: an occasion and the day it was done.
    (A record kind's pydantic schema, `AdbbData`, is the stored record, not a value object.)"""
    found = []
    for node in ast.walk(tree):
        decorators = [ast.unparse(d) for d in node.decorator_list] if isinstance(node, ast.ClassDef) else []
        if any(d.startswith(("dataclass", "dataclasses.dataclass")) for d in decorators):
            fields = {
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            }
            if {"occasion", "screened_on"} <= fields:
                found.append(node.name)
    return found


def test_the_finders_find_the_old_copies() -> None:
    old = """
LABELS = {"health_visiting": "Sundhedspleje", "childminding": "Dagpleje", "institution": "Institutioner"}
KINDS = ("health_visiting", "childminding", "institution")
@dataclass(frozen=True)
class ScreeningDone:
    occasion: str
    screened_on: date
"""
    tree = ast.parse(old)
    assert unit_kind_tables(tree) == [2, 3]
    schema = "class AdbbData(Part):\n    occasion: str\n    screened_on: date"
    assert screening_classes(ast.parse(schema)) == []
    assert screening_classes(tree) == ["ScreeningDone"]


def test_the_unit_kinds_are_defined_once() -> None:
    copies = [f"{name}:{line}" for name, tree in _sources() for line in unit_kind_tables(tree)]
    assert copies == ["backend/domain/units.py:17"]


def test_one_screening_value_object() -> None:
    classes = [f"{name}:{cls}" for name, tree in _sources() for cls in screening_classes(tree)]
    assert classes == ["backend/domain/adbb.py:Screening"]


def test_the_admin_and_the_settings_pages_use_the_same_labels(client, demo) -> None:
    login(client, "demo-admin")
    units, settings = client.get("/admin/units").text, client.get("/admin/settings").text
    for label in UNIT_KIND_LABELS.values():
        assert label in units and label in settings, label
    assert "Institutioner" not in settings


# --- One admin check ----------------------------------------------------------------------------

#: Where `scope.is_admin` may decide access in backend/web/: the one dependency, and the JSON
#: export (it answers 404, not 403, so the API does not say which children exist).
ADMIN_CHECKS_ALLOWED = {"backend/web/context.py", "backend/web/api/export.py"}


def admin_checks(tree: ast.Module) -> list[int]:
    """`if not ….is_admin:` tests (a page deciding for itself who is an admin)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.UnaryOp)
        and isinstance(node.test.op, ast.Not)
        and isinstance(node.test.operand, ast.Attribute)
        and node.test.operand.attr == "is_admin"
    ]


def test_the_admin_check_is_the_one_dependency() -> None:
    old = "def page(ctx):\n    if not ctx.scope.is_admin:\n        raise Forbidden\n"
    assert admin_checks(ast.parse(old)) == [2]
    checks = [
        f"{name}:{line}"
        for name, tree in _sources()
        if name.startswith("backend/web/") and name not in ADMIN_CHECKS_ALLOWED
        for line in admin_checks(tree)
    ]
    assert checks == []


ADMIN_ONLY = [
    "/admin/settings",
    "/admin/second-factor",
    "/admin/reports",
    "/admin/audit",
    "/api/reports/municipality.csv",
    "/admin/units",
]


def test_every_admin_page_refuses_others_with_403(client, demo) -> None:
    login(client, "demo-leder")
    assert [client.get(url).status_code for url in ADMIN_ONLY] == [403] * len(ADMIN_ONLY)


# --- One way to read a form ---------------------------------------------------------------------

#: Where a page may call `request.form()` itself: the one reader, the CSRF check (it reads only
#: the token, before any route), and the CSV import (an uploaded file, with its own size limits).
FORM_READERS_ALLOWED = {"backend/web/forms.py", "backend/web/context.py", "backend/web/pages/admin_import.py"}


def form_reads(tree: ast.Module) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "form"
    ]


def test_pages_read_forms_one_way() -> None:
    assert form_reads(ast.parse("async def f(request):\n    return await request.form()")) == [2]
    reads = [
        f"{name}:{line}"
        for name, tree in _sources()
        if name.startswith("backend/web/") and name not in FORM_READERS_ALLOWED
        for line in form_reads(tree)
    ]
    assert reads == []


def test_the_form_model_gives_pairs_lists_and_first_values() -> None:
    from backend.web.forms import FIELD_MAX, SubmittedForm

    form = SubmittedForm(items=[("include", "a"), ("reason", "x" * (FIELD_MAX + 5)), ("include", "b")])
    assert form.getlist("include") == ["a", "b"]
    assert form.fields() == {"include": "a", "reason": "x" * FIELD_MAX}
