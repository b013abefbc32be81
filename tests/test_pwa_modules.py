"""The page script as ES modules (pwa/*.js) and what it shares with the classic service worker.

- net.js and outbox.js are "dual" scripts: they run as classic scripts (the worker's
  importScripts) and as ES modules (the page's `import`); net.js has the one classify.
- A CSRF refusal is recognised by status and code, never by the Danish text.
- Every module is served under one hash, precached by the worker and preloaded by the page.
"""

from __future__ import annotations

import json
import re
import subprocess

from backend.config import PROJECT_DIR
from backend.web.assets import IMMUTABLE

PWA = PROJECT_DIR / "pwa"
MODULES = sorted(path.name for path in PWA.glob("*.js"))
DUAL = ["net.js", "crypto.js", "codec.js", "outbox.js", "phone.js", "seal.js"]
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;"'\n(]*?(?:from\s*)?["'](\.[^"']+)["']""", re.MULTILINE)
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["'](\.[^"']+)["']\s*\)""")
#: Modules only some pages need, loaded by those pages' templates.
ON_DEMAND = {"forms.js", "drafts.js", "rows.js", "adbb.js", "dates.js", "signature.js", "push.js",
             "outbox-page.js", "download.js", "envelope.js"}  # fmt: skip


def node(script: str) -> object:
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=PWA,
    )
    return json.loads(result.stdout)


def classify(answers: list[dict]) -> list[str]:
    """Run net.js's classify as the service worker loads it: a classic script in a fresh realm."""
    source = json.dumps((PWA / "net.js").read_text(encoding="utf-8"))
    return node(
        "import vm from 'node:vm';"
        "const realm = vm.createContext({});"
        f"vm.runInContext({source}, realm);"
        f"const answers = {json.dumps(answers)};"
        "console.log(JSON.stringify(answers.map((a) => realm.OpsporNet.classify(a))));"
    )


def test_a_csrf_refusal_is_recognised_by_status_and_code_not_by_text() -> None:
    answers = [
        {"status": 403, "code": "csrf", "json": {"detail": "The security check failed."}},
        {"status": 403, "code": "csrf", "json": None},
        {"status": 403, "code": None, "json": {"detail": "Sikkerhedstjekket mislykkedes."}},
        {"status": 403, "code": None, "json": {"detail": "Du har ikke adgang til dette."}},
        {"status": 422, "code": "csrf", "json": None},
    ]
    assert classify(answers) == ["login", "login", "resolve", "resolve", "resolve"]


def test_the_shared_classify_gives_every_answer_its_meaning() -> None:
    statuses = [200, 201, 202, 401, 400, 404, 409, 413, 422, 0, 500, 502, 503, 429]
    meanings = classify([{"status": s, "code": None, "json": None} for s in statuses])
    assert dict(zip(statuses, meanings, strict=True)) == {
        200: "sent", 201: "sent", 202: "sent", 401: "login",
        400: "resolve", 404: "resolve", 409: "resolve", 413: "resolve", 422: "resolve",
        0: "retry", 500: "retry", 502: "retry", 503: "retry", 429: "retry",
    }  # fmt: skip


def test_no_client_code_reads_the_danish_csrf_text() -> None:
    sources = [PWA / name for name in MODULES] + [PROJECT_DIR / "service_worker" / "sw.js"]
    assert [path.name for path in sources if "Sikkerhedstjek" in path.read_text(encoding="utf-8")] == []


def test_the_dual_scripts_run_as_classic_scripts_and_as_modules() -> None:
    for name in DUAL:
        assert not IMPORT.search((PWA / name).read_text(encoding="utf-8")), name
    loaded = node(
        "import vm from 'node:vm'; import fs from 'node:fs';"
        "const realm = vm.createContext({});"
        f"for (const name of {json.dumps(DUAL)}) vm.runInContext(fs.readFileSync(name, 'utf8'), realm);"
        "const asModule = (name) =>"
        " 'data:text/javascript,' + encodeURIComponent(fs.readFileSync(name, 'utf8'));"
        "for (const name of " + json.dumps(DUAL) + ") await import(asModule(name));"
        "const asModules = typeof globalThis.OpsporStore.replay;"
        "console.log(JSON.stringify([typeof realm.OpsporNet.postForm, typeof realm.OpsporStore.replay,"
        " typeof realm.OpsporSeal.seal, asModules, typeof globalThis.OpsporSeal.open]));"
    )
    assert loaded == ["function", "function", "function", "function", "function"]


def imports_of(name: str, dynamic: bool = True) -> list[str]:
    source = (PWA / name).read_text(encoding="utf-8")
    found = IMPORT.findall(source) + (DYNAMIC_IMPORT.findall(source) if dynamic else [])
    return [spec.removeprefix("./") for spec in found]


def test_every_module_is_reachable_from_an_entry_and_every_import_exists() -> None:
    seen, todo = set(), ["app.js", "forms.js", "push.js", "outbox-page.js", "download.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for target in imports_of(name):
            assert target in MODULES, (name, target)
            todo.append(target)
    assert seen == set(MODULES)
    assert len(MODULES) >= 10 and max(len((PWA / n).read_text().splitlines()) for n in MODULES) < 250


def test_modules_share_one_hash_so_relative_imports_resolve_to_the_same_release(client) -> None:
    page = client.get("/login").text
    entry = re.search(r'<script type="module" src="(/static/([0-9a-f]+)/app\.js)"></script>', page)
    assert entry, "the page loads app.js as an ES module"
    directory = entry.group(1).rsplit("/", 1)[0]
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    assert all(url.startswith(directory + "/") for url in preloaded)
    preloaded_names = {url.rsplit("/", 1)[1] for url in preloaded}
    every_page = set(MODULES) - ON_DEMAND - {"app.js"}
    assert preloaded_names == every_page  # all the entry's static imports, none of the on-demand ones
    for name in every_page:  # ... and indeed no page-specific module is imported statically
        assert not set(imports_of(name, dynamic=False)) & ON_DEMAND, name
    assert set(imports_of("app.js", dynamic=False)) & ON_DEMAND == set()
    # The page modules are entries of the templates that need them.
    templates = {
        "records/form.html": "forms.js",
        "reminders.html": "push.js",
        "outbox.html": "outbox-page.js",
        "today.html": "download.js",
    }
    for template, module in templates.items():
        source = (PROJECT_DIR / "templates" / template).read_text(encoding="utf-8")
        assert f"""<script type="module" src="{{{{ asset_url('{module}') }}}}"></script>""" in source
    form_modules = {"drafts.js", "rows.js", "adbb.js", "signature.js", "envelope.js"}
    assert form_modules <= set(imports_of("forms.js", dynamic=False))
    assert 'outbox.js" defer' not in page and "<script>" not in page
    for name in MODULES:
        answer = client.get(f"{directory}/{name}")
        assert answer.status_code == 200 and answer.headers["cache-control"] == IMMUTABLE, name
        assert answer.headers["content-type"].startswith("text/javascript")


def test_the_service_worker_precaches_every_module_and_imports_the_dual_scripts(client) -> None:
    worker = client.get("/sw.js").text
    precached = json.loads(re.search(r"const ASSETS = (\[.*?\]);", worker).group(1))
    module_urls = [url for url in precached if url.rsplit("/", 1)[1] in MODULES and url.endswith(".js")]
    assert sorted(url.rsplit("/", 1)[1] for url in module_urls) == MODULES
    assert len({url.rsplit("/", 1)[0] for url in module_urls}) == 1
    directory = module_urls[0].rsplit("/", 1)[0]
    dual = ", ".join(f'"{directory}/{name}"' for name in DUAL)
    assert f"importScripts({dual});" in worker


def test_the_phone_builds_the_same_body_from_a_form_as_the_server() -> None:
    """pwa/envelope.js mirrors backend/records/forms.py: the queued JSON envelope (issue 14) means
    what the form post would have meant: paths, lists, empty rows dropped, repeated names, the
    kind's checkbox fields true/false."""
    from backend.records.forms import form_to_body, unflatten

    pairs = [
        ("csrf_token", "x"), ("type", "dialogue_meeting"), ("child_id", "c-1"), ("status", "final"),
        ("base_version", "3"), ("data.held_on", "2026-12-07"), ("data.note", ""),
        ("data.items.eye_contact", "1"), ("data.agreements.0.what", "Læse"), ("data.agreements.0.done", "on"),
        ("data.agreements.1.what", ""), ("data.agreements.1.key", "k"), ("data.agreements.2.what", "Sove"),
        ("data.topics", "a"), ("data.topics", "b"), ("data.abuse_path", "on"),
    ]  # fmt: skip
    bools = ["agreements.*.done", "anonymous", "abuse_path"]
    server = form_to_body(unflatten(pairs), bools)
    phone = node(
        "import { envelopeOf } from './envelope.js';"
        f"const form = {{ dataset: {{ schema: '2', boolFields: {json.dumps(','.join(bools))} }} }};"
        f"const body = new URLSearchParams({json.dumps(pairs)}).toString();"
        "console.log(JSON.stringify(envelopeOf(form, 'r-1', body)));"
    )
    assert phone == {
        "id": "r-1",
        "schema": 2,
        "type": server["type"],
        "child_id": server["child_id"],
        "base_version": server["base_version"],
        "status": server["status"],
        "data": server["data"],
    }
    assert phone["data"]["agreements"] == [{"what": "Læse", "done": True}, {"what": "Sove", "done": False}]
