"""The house rules, checked on the source (with `ast`, not grep).

- backend/web/ parses, calls one service function and renders: no query (`select(...)`) and no
  call on a database session (`.add(`, `.delete(`, `.exec(`, `.execute(`, `.get(` …).
- The import graph of backend/ (module-level and function-level imports) has no cycles and
  follows the layering the README describes: domain ← services ← web ← app/cli.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"

# Calls on a database session that read or write rows.
SESSION_METHODS = {
    "add",
    "add_all",
    "delete",
    "exec",
    "execute",
    "get",
    "scalar",
    "scalars",
    "merge",
    "flush",
    "refresh",
    "query",
    "begin_nested",
}
QUERY_BUILDERS = {"select", "insert", "update", "delete", "func", "and_", "or_", "text"}

# Modules of backend/web/ that still run queries themselves: each is named, and the list only
# shrinks (a module that no longer needs its entry makes the test fail until it is removed).
# The last two, record kinds' form contexts, moved into backend/records/kinds/ with the one
# record-kind registry (issue 13): none is left.
QUERIES_LEFT_IN_WEB: set[str] = set()


def _is_session(node: ast.expr) -> bool:
    """`db`, `session`, `ctx.db`, `self.db`: the names a database session goes by here."""
    if isinstance(node, ast.Name):
        return node.id in {"db", "session", "database"}
    if isinstance(node, ast.Attribute):
        return node.attr == "db"
    return False


def query_sites(source: str) -> list[str]:
    """Every query or session call in one module's source, as `line: what`."""
    tree = ast.parse(source)
    builders: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
            "sqlmodel",
            "sqlalchemy",
        }:
            builders |= {alias.asname or alias.name for alias in node.names if alias.name in QUERY_BUILDERS}
    sites = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in builders:
            sites.append(f"{node.lineno}: {func.id}(")
        elif isinstance(func, ast.Attribute) and func.attr in SESSION_METHODS and _is_session(func.value):
            sites.append(f"{node.lineno}: {ast.unparse(func)}(")
    return sorted(sites, key=lambda site: int(site.split(":")[0]))


def test_the_query_finder_finds_what_it_looks_for() -> None:
    source = (
        "from sqlmodel import select\n"
        "def page(ctx, db):\n"
        "    ctx.db.exec(select(A)).all()\n"
        "    db.add(a)\n"
        "    ctx.db.delete(a)\n"
        "    ctx.db.get(A, 1)\n"
        "    with ctx.db.begin_nested():\n"
        "        pass\n"
        "    ctx.audit.add('x')\n"
        "    fields.get('x')\n"
        "    seen.add(1)\n"
    )
    assert query_sites(source) == [
        "3: ctx.db.exec(",
        "3: select(",
        "4: db.add(",
        "5: ctx.db.delete(",
        "6: ctx.db.get(",
        "7: ctx.db.begin_nested(",
    ]


def _web_modules() -> dict[str, list[str]]:
    found = {}
    for path in sorted((BACKEND / "web").rglob("*.py")):
        found[path.relative_to(ROOT).as_posix()] = query_sites(path.read_text(encoding="utf-8"))
    return found


def test_no_queries_or_session_calls_in_the_web_layer() -> None:
    modules = _web_modules()
    offending = {name: sites for name, sites in modules.items() if sites and name not in QUERIES_LEFT_IN_WEB}
    assert not offending, f"queries in backend/web/ (move them into a service): {offending}"


def test_the_list_of_modules_left_only_shrinks() -> None:
    modules = _web_modules()
    clean = sorted(name for name in QUERIES_LEFT_IN_WEB if not modules.get(name))
    assert not clean, f"no queries left in these: remove them from QUERIES_LEFT_IN_WEB: {clean}"


# --- the import graph -------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in BACKEND.rglob("*.py")
        if "migrations" not in path.relative_to(BACKEND).parts
    }


def import_graph() -> dict[str, set[str]]:
    """backend module → the backend modules it imports, at module level or inside functions."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target.startswith("backend") and target != name and target != "backend":
                    edges.add(target)
        graph[name] = edges
    return graph


def layer(module: str) -> int:
    """0 domain, 1 services (and the shared base: config, db, models, audit, i18n), 2 web,
    3 app/cli (and `backend.startup`, which they call to connect the services)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top == "domain":
        return 0
    if top == "web":
        return 2
    if top in {"app", "cli", "startup"}:
        return 3
    return 1


LAYER_NAMES = ["domain", "services", "web", "app/cli"]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# Cycles left, each named; the list only shrinks. The record kinds' knot (records/rules.py
# importing records/kinds to register every type's rules) went with the one record-kind registry
# (issue 13); records/handover.py and records/kinds/consent.py both read the parents' decisions
# from records/consents.py instead of from each other. None is left.
CYCLES_LEFT: list[set[str]] = []


def test_no_import_cycles_in_backend() -> None:
    found = [set(component) for component in cycles(import_graph())]
    new = [component for component in found if not any(component <= left for left in CYCLES_LEFT)]
    assert not new, f"import cycles: {new}"
    gone = [left for left in CYCLES_LEFT if not any(component & left for component in found)]
    assert not gone, f"these cycles are gone: remove them from CYCLES_LEFT: {gone}"


def is_demo(module: str) -> bool:
    """The demo-data loaders live next to their services but are a layer of their own above them:
    they use every service to build the demo municipality, and only the cli and tests use them."""
    return any(part in {"demo", "demo_loaders"} for part in module.split(".")[1:])


def _package(module: str) -> str:
    if is_demo(module):
        return "backend.demo"
    parts = module.split(".")
    return ".".join(parts[:2])


def test_only_the_cli_and_other_demo_loaders_use_the_demo_loaders() -> None:
    users = {m for m, targets in import_graph().items() if any(is_demo(t) for t in targets)}
    assert {m for m in users if not is_demo(m)} <= {"backend.cli"}


def test_no_import_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        graph.setdefault(_package(module), set()).update(
            _package(t) for t in targets if _package(t) != _package(module)
        )
    found = cycles(graph)
    assert not found, f"import cycles between packages: {found}"


def upward_imports() -> list[str]:
    wrong = []
    for module, targets in sorted(import_graph().items()):
        for target in sorted(targets):
            if layer(target) > layer(module):
                wrong.append(
                    f"{module} ({LAYER_NAMES[layer(module)]}) → {target} ({LAYER_NAMES[layer(target)]})"
                )
    return wrong


def test_layering_domain_services_web_app() -> None:
    """domain imports only domain; services never import web/app/cli; web never imports app/cli."""
    assert upward_imports() == []


def test_domain_imports_nothing_else_from_backend() -> None:
    graph = import_graph()
    outside = {m: sorted(t for t in ts if layer(t) != 0) for m, ts in graph.items() if layer(m) == 0}
    assert not {m: ts for m, ts in outside.items() if ts}


def test_the_import_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    # backend/app.py imports its routers inside create_app(); the graph must see them.
    assert any(target.startswith("backend.web") for target in graph["backend.app"])
    assert layer("backend.domain.cpr") == 0 and layer("backend.records.service") == 1
    assert layer("backend.web.pages.records") == 2 and layer("backend.cli") == 3


@pytest.mark.parametrize("module", ["backend.web", "backend.records", "backend.domain"])
def test_packages_are_in_the_graph(module: str) -> None:
    assert module in import_graph()


def test_services_are_connected_explicitly_at_start_not_by_importing() -> None:
    """Importing every service registers no e-mail hook, sign-out hook or foreign job;
    `connect_services()` (called by create_app and the cli) does."""
    import subprocess
    import sys

    script = (
        "import backend.records.kinds, backend.admin.retention, backend.reminders.push\n"
        "from backend.notify import email\n"
        "from backend.auth import signin\n"
        "from backend.reminders import scheduler\n"
        "from backend.auth import provisioning\n"
        "assert email.GIVE_UP_HOOKS == {}, 'registered by import'\n"
        "assert signin.SIGN_OUT_HOOKS == [] == provisioning.ROLES_REMOVED_HOOKS, 'registered by import'\n"
        "assert not {'email', 'retention'} & set(scheduler.PERIODIC_JOBS), 'jobs registered by import'\n"
        "from backend.startup import connect_services\n"
        "connect_services(); connect_services()\n"
        "from backend.records.kinds.reflection import email_gave_up\n"
        "from backend.reminders.push import forget_device_subscriptions\n"
        "assert email.GIVE_UP_HOOKS == {'reflection': email_gave_up}\n"
        "assert signin.SIGN_OUT_HOOKS == [forget_device_subscriptions]\n"
        "from backend.records.tasks import release_tasks_of_removed_roles\n"
        "assert provisioning.ROLES_REMOVED_HOOKS == [release_tasks_of_removed_roles]\n"
        "assert {'email', 'retention'} <= set(scheduler.PERIODIC_JOBS)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_create_app_connects_the_services() -> None:
    import subprocess
    import sys

    script = (
        "from backend.app import create_app\n"
        "from backend.notify import email\n"
        "from backend.auth import signin\n"
        "create_app()\n"
        "assert 'reflection' in email.GIVE_UP_HOOKS and signin.SIGN_OUT_HOOKS\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_api_and_page_routers_do_not_import_each_other() -> None:
    """What a JSON route and a page share lives in a service or in a web module of its own
    (e.g. backend/web/save_result.py), never in the other router."""
    wrong = [
        f"{module} → {target}"
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if (module.startswith("backend.web.api.") and target.startswith("backend.web.pages"))
        or (module.startswith("backend.web.pages.") and target.startswith("backend.web.api"))
    ]
    assert wrong == []
