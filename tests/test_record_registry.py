"""One record-kind registry (issue 13): every kind declares all it is in one module of
`backend/records/kinds/`, and no other module keeps a table of kinds.

Checked on the source with `ast` (not grep) and on the registry itself.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
import types
import typing
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

import backend.records.kinds as kinds_package
from backend.domain.settings import DEFAULT_RECORD_RETENTION
from backend.people.models import Role
from backend.records.kind import RecordKind
from backend.records.labels import UNKNOWN_FIELD, label_for
from backend.records.models import Record
from backend.records.registry import KINDS, LABELS, RECORD_TYPES, key_date, kind, record_summary
from backend.records.rules import RecordRules
from backend.records.types import Part

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"
TEMPLATES = ROOT / "templates"
#: The kinds as the contract names them (contract.md), in the order the pages offer them.
CONTRACT_KINDS = (
    "adbb",
    "wellbeing",
    "dialogue_meeting",
    "reflection",
    "transition",
    "concern_note",
    "notification",
    "consent",
    "action_paths",  # the three action paths (issue 16): a new kind beside the contract's
)
#: Where kinds may be named side by side: the kinds themselves and the registry.
REGISTRY_FILES = {BACKEND / "records" / "registry.py"}
REGISTRY_DIRS = {BACKEND / "records" / "kinds"}
#: Tables of kinds allowed outside the registry, each with the reason, and checked to agree.
#: The domain's default retention per kind: `backend/domain/` is pure and below the services,
#: so it cannot read the registry (a municipality's own values are settings, edited per kind).
ALLOWED_TABLES = {("backend/domain/settings.py", "DEFAULT_RECORD_RETENTION")}
#: Enough kinds named in one literal or comparison chain to be a table of kinds.
TABLE_SIZE = 3


def _field_type(schema: type[BaseModel], path: str) -> typing.Any:
    """The annotation at a dotted path in a schema (`*` steps into a list's rows)."""
    current: typing.Any = schema
    for part in path.split("."):
        current = _unwrap(current)
        if part == "*":
            assert typing.get_origin(current) is list, path
            current = typing.get_args(current)[0]
            continue
        assert isinstance(current, type) and issubclass(current, BaseModel), path
        assert part in current.model_fields, f"{schema.__name__} has no field {path}"
        current = current.model_fields[part].annotation
    return _unwrap(current)


def _unwrap(annotation: typing.Any) -> typing.Any:
    """`X | None` → X; `Annotated[X, …]` → X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def test_the_registry_holds_exactly_the_contracts_kinds_in_order() -> None:
    assert RECORD_TYPES == CONTRACT_KINDS
    assert list(LABELS) == list(CONTRACT_KINDS)


def test_every_kind_module_declares_its_kind_and_every_declared_kind_is_registered() -> None:
    declared = {}
    for info in pkgutil.iter_modules(kinds_package.__path__):
        module = importlib.import_module(f"{kinds_package.__name__}.{info.name}")
        entry = getattr(module, "KIND", None)
        if entry is not None:
            assert isinstance(entry, RecordKind)
            assert info.name == entry.key, "a kind's module is named after its key"
            declared[entry.key] = entry
    assert declared == KINDS


@pytest.mark.parametrize("key", CONTRACT_KINDS)
def test_every_kind_is_complete(key: str) -> None:
    entry = kind(key)
    assert entry.key == key
    assert entry.label.strip() and LABELS[key] == entry.label
    assert issubclass(entry.schema, Part)
    entry.schema.model_validate({})  # a new draft is empty
    assert isinstance(entry.rules, RecordRules)
    assert entry.required_for_final, "a final record must say something"
    for path in entry.required_for_final:
        _field_type(entry.schema, path)
    assert entry.writers and entry.writers <= {role.value for role in Role} - {"admin"}
    assert callable(entry.form_context) and callable(entry.summary) and callable(entry.review_reason)
    assert (TEMPLATES / entry.form_template).is_file(), entry.form_template
    assert (TEMPLATES / entry.show_template).is_file(), entry.show_template
    for path in entry.bool_fields:
        assert _field_type(entry.schema, path) is bool, path
    if entry.key_date is not None:
        assert _field_type(entry.schema, entry.key_date) in (date, datetime)
    assert entry.schema_version >= 1
    assert set(entry.upgrades) == set(range(1, entry.schema_version)), "one upgrade per old version"
    assert key in DEFAULT_RECORD_RETENTION


def _leaf_paths(schema: type[BaseModel], prefix: str = "") -> list[str]:
    """Every field path a record of the schema can store (a list's rows count as the list)."""
    paths = []
    for name, info in schema.model_fields.items():
        annotation = _unwrap(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths.extend(_leaf_paths(annotation, f"{prefix}{name}."))
        else:
            paths.append(f"{prefix}{name}")
    return paths


@pytest.mark.parametrize("key", CONTRACT_KINDS)
def test_every_field_of_every_kind_has_its_own_label(key: str) -> None:
    entry = kind(key)
    unlabelled = [p for p in _leaf_paths(entry.schema) if label_for(f"data.{p}", key) == UNKNOWN_FIELD]
    assert unlabelled == []
    assert set(entry.field_labels) <= {*_leaf_paths(entry.schema)} | set(entry.schema.model_fields)


def test_the_same_field_name_is_labelled_by_its_kind() -> None:
    assert label_for("data.kind", "consent") == "Samtykket gælder"
    assert label_for("data.kind", "wellbeing") == "Vurdering"
    assert label_for("data.summary", "notification") == "Resumé"
    assert label_for("data.summary", "wellbeing") == "Fælles beskrivelse"
    assert label_for("data.no_such_field", "adbb") == UNKNOWN_FIELD


def test_the_allowed_tables_agree_with_the_registry() -> None:
    assert tuple(DEFAULT_RECORD_RETENTION) == RECORD_TYPES


def test_a_kinds_schema_upgrades_run_one_version_at_a_time() -> None:
    def rename(data: dict) -> dict:
        data = dict(data)
        data["observed_on"] = data.pop("seen_on", None)
        return data

    def add_flag(data: dict) -> dict:
        return {**data, "abuse_path": bool(data.get("abuse_path"))}

    newer = dataclasses.replace(kind("concern_note"), schema_version=3, upgrades={1: rename, 2: add_flag})
    upgraded = newer.upgrade({"seen_on": "2026-01-02", "text": "x"}, 1)
    assert upgraded == {"observed_on": "2026-01-02", "text": "x", "abuse_path": False}
    newer.schema.model_validate(upgraded)
    assert newer.upgrade({"text": "y"}, 3) == {"text": "y"}
    assert kind("concern_note").upgrade({"text": "z"}, 1) == {"text": "z"}


def test_views_read_the_kind_for_the_key_date_and_summary() -> None:
    note = Record(type="concern_note", unit_id="u", author_id="a", updated_by_id="a")
    note.data, note.derived = {"observed_on": "2026-03-04", "text": "Græder meget " * 20}, {}
    assert key_date(note) == "2026-03-04"
    assert record_summary(note).endswith("…") and len(record_summary(note)) == 121
    unknown = Record(type="made_up", unit_id="u", author_id="a", updated_by_id="a")
    unknown.data, unknown.derived = {"observed_on": "2026-03-04"}, {}
    assert key_date(unknown) is None and record_summary(unknown) == ""


# --- No other table of kinds ------------------------------------------------------------------


def _kind_names(nodes: list[ast.expr]) -> set[str]:
    return {n.value for n in nodes if isinstance(n, ast.Constant) and n.value in CONTRACT_KINDS}


def _assigned_name(tree: ast.Module, target: ast.AST) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is target:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return ",".join(t.id for t in targets if isinstance(t, ast.Name))
    return ""


def kind_tables(source: str) -> list[tuple[int, str, frozenset[str]]]:
    """Literals and comparison chains in a module that name several kinds side by side:
    dicts keyed by kinds, sets/lists/tuples of kinds, and `if x.type == "…"` chains."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        names: set[str] = set()
        if isinstance(node, ast.Dict):
            names = _kind_names([k for k in node.keys if k is not None])
        elif isinstance(node, ast.Set | ast.List | ast.Tuple):
            names = _kind_names(node.elts)
        if len(names) >= TABLE_SIZE:
            found.append((node.lineno, _assigned_name(tree, node), frozenset(names)))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        compared = set()
        for node in ast.walk(function):
            left = node.left if isinstance(node, ast.Compare) else None
            if isinstance(left, ast.Attribute) and left.attr in ("type", "record_type"):
                for right in node.comparators:
                    elts = right.elts if isinstance(right, ast.Tuple | ast.Set | ast.List) else [right]
                    compared |= _kind_names(elts)
        if len(compared) >= TABLE_SIZE:
            found.append((function.lineno, function.name, frozenset(compared)))
    return found


def test_the_table_finder_finds_the_old_tables() -> None:
    old = """
BOOL_FIELDS = {"concern_note": ["abuse_path"], "reflection": ["anonymous"], "dialogue_meeting": []}
def record_summary(record):
    if record.type == "adbb":
        return "a"
    if record.type in ("dialogue_meeting", "reflection"):
        return "b"
    return ""
"""
    assert {name for _line, name, _kinds in kind_tables(old)} == {"BOOL_FIELDS", "record_summary"}
    assert kind_tables("LABELS = {key: entry.label for key, entry in KINDS.items()}") == []


def test_no_table_of_kinds_outside_the_registry() -> None:
    tables = []
    for path in sorted(BACKEND.rglob("*.py")):
        if path in REGISTRY_FILES or any(folder in path.parents for folder in REGISTRY_DIRS):
            continue
        if "migrations" in path.parts or path.name == "demo.py" or "demo_loaders" in path.parts:
            continue  # history and made-up demo data, not knowledge of kinds
        relative = path.relative_to(ROOT).as_posix()
        for line, name, names in kind_tables(path.read_text(encoding="utf-8")):
            if (relative, name) not in ALLOWED_TABLES:
                tables.append(f"{relative}:{line} {name} {sorted(names)}")
    assert tables == []
