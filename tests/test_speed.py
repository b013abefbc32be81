"""Per-request waste removed (issue 21): Babel's locale data is loaded once, not per formatted
date; templates are compiled once and not looked up on disk per render."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime

import babel.localedata
import pytest

from backend.i18n import current_language
from backend.web.templating import _date, _datetime, env


def test_formatting_dates_does_not_load_locale_data_again(monkeypatch) -> None:
    loads: list[str] = []
    real_load = babel.localedata.load

    def counting_load(name: str, merge_inherited: bool = True):
        loads.append(name)
        return real_load(name, merge_inherited)

    for language in ("da", "en"):
        token = current_language.set(language)
        try:
            _date(date(2026, 1, 5))  # the first use may load the language's data
            _datetime(datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
            monkeypatch.setattr(babel.localedata, "load", counting_load)
            # Babel's own cache holds the data weakly: one collection drops it unless we keep it
            # (one, not one per day: a collection in a worker late in the suite takes seconds).
            gc.collect()
            for day in range(1, 29):
                assert _date(date(2026, 2, day)).startswith(f"{day}. ")
                _datetime(datetime(2026, 2, day, 8, 0, tzinfo=UTC))
            monkeypatch.setattr(babel.localedata, "load", real_load)
        finally:
            current_language.reset(token)
    assert loads == []


def test_dates_are_still_formatted_in_the_reader_s_language() -> None:
    for language, month in (("da", "feb."), ("en", "Feb")):
        token = current_language.set(language)
        try:
            assert _date(date(2026, 2, 3)) == f"3. {month} 2026"
        finally:
            current_language.reset(token)


def test_templates_are_not_checked_on_disk_for_every_render() -> None:
    assert env.auto_reload is False
    assert env.get_template("child.html") is env.get_template("child.html")


def test_a_server_process_keeps_its_startup_objects_away_from_the_collector(app_env) -> None:
    """`opspor serve` builds each worker's app with `create_server_app`: the objects made while
    starting are frozen (a full collection under load no longer walks some 300,000 of them) and
    the collector runs less often than Python's default of every 700 new objects."""
    from backend.app import create_server_app

    thresholds = gc.get_threshold()
    try:
        create_server_app()
        assert gc.get_freeze_count() > 50_000
        assert gc.get_threshold()[0] >= 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_opspor_serve_builds_the_server_app(app_env, monkeypatch) -> None:
    import uvicorn

    from backend import cli

    seen: dict[str, object] = {}

    class Config:
        def __init__(self, app, **kwargs) -> None:
            seen["app"], seen["factory"] = app, kwargs.get("factory")

    class Server:
        def __init__(self, config) -> None:
            pass

        def run(self) -> None:
            seen["ran"] = True

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # restored afterwards (serve sets it)
    monkeypatch.setattr(uvicorn, "Config", Config)
    monkeypatch.setattr(uvicorn, "Server", Server)
    assert cli.main(["serve", "--workers", "1"]) == 0
    assert seen == {"app": "backend.app:create_server_app", "factory": True, "ran": True}


def test_pages_are_not_compressed_at_the_slowest_gzip_level(client, demo) -> None:
    """Level 9 costs several times the CPU of a middle level for a few per cent of size; the
    gzip header's XFL byte says 2 for the slowest level, 4 for the fastest, else 0."""
    from tests.support import login

    login(client, "demo-sundhedsplejerske")
    with client.stream("GET", "/children", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers.get("content-encoding") == "gzip"
        raw = b"".join(response.iter_raw())
    assert raw[:2] == b"\x1f\x8b"
    assert raw[8] == 0


def test_routes_are_the_app_s_own_not_included_router_wrappers(app) -> None:
    """FastAPI wraps an included router in a lazy wrapper that every request walks route by
    route (a match walked twice): ~0.5 ms per request over the app's ~170 routes. The app takes
    the routers' routes themselves, in their order, so a request tries each route once."""
    from starlette.routing import Route

    assert all(isinstance(route, Route) for route in app.router.routes)
    paths = [route.path for route in app.router.routes]
    assert paths.index("/api/children/{child_id}") < paths.index("/children/{child_id}")
    assert paths[-1] == "/static/{digest}/{name:path}"


def test_a_translated_text_costs_one_call_and_renders_as_jinja_s_newstyle_gettext(monkeypatch) -> None:
    """`_()` is called directly, not through Jinja's alias and wrapper (three calls through the
    template context per text, two thirds of the child page's); the result is the same: the
    text escaped, `%%` a percent sign, the values escaped, `num` given to ngettext."""
    import jinja2.runtime
    from jinja2 import Environment
    from jinja2.ext import _gettext_alias

    from backend.web.templating import _template_gettext, _template_ngettext

    source = (
        '{{ _("Barn") }}|{{ _("<b>%(name)s</b> 100%%", name=who) }}|{{ _("Helt 100%% <i>") }}|'
        "{{ gettext(who) }}|"
        '{{ ngettext("%(num)s måned", "%(num)s måneder", n) }}|'
        "{% trans count=n %}{{ count }} barn{% pluralize %}{{ count }} børn{% endtrans %}|"
        "{% trans %}Hej {{ who }}{% endtrans %}"
    )
    jinja_s = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    jinja_s.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)  # type: ignore[attr-defined]
    assert jinja_s.globals["_"] is _gettext_alias
    values = {"who": "<script>x</script>", "n": 3}
    rendered = {}
    for language in ("da", "en"):
        token = current_language.set(language)
        try:
            rendered[language] = jinja_s.from_string(source).render(values)
            assert env.from_string(source).render(values) == rendered[language]
        finally:
            current_language.reset(token)
    assert rendered["da"] == (
        "Barn|&lt;b&gt;&lt;script&gt;x&lt;/script&gt;&lt;/b&gt; 100%|Helt 100% &lt;i&gt;|"
        "&lt;script&gt;x&lt;/script&gt;|"
        "3 måneder|3 børn|Hej &lt;script&gt;x&lt;/script&gt;"
    )
    assert rendered["en"].startswith("Child|") and "3 months" in rendered["en"]

    calls: list[object] = []
    real_call = jinja2.runtime.Context.call

    def counting_call(self, obj, *args, **kwargs):
        calls.append(obj)
        return real_call(self, obj, *args, **kwargs)

    monkeypatch.setattr(jinja2.runtime.Context, "call", counting_call)
    env.from_string('{{ _("Barn") }}{{ _("Barn") }}').render()
    assert len(calls) == 2


def test_the_busiest_routes_leave_fastapi_no_dependency_to_solve(app) -> None:
    """`@one_thread` routes read the CSRF token themselves (the check itself is `get_ctx`'s, in
    the worker): FastAPI solves no dependency for them, only their path and body."""
    busiest = {
        ("GET", "/"),
        ("GET", "/children"),
        ("GET", "/children/{child_id}"),
        ("GET", "/api/children/{child_id}"),
        ("PUT", "/api/records/{record_id}"),
    }
    found = {
        (method, route.path): route.dependant.dependencies
        for route in app.router.routes
        for method in getattr(route, "methods", ()) or ()
        if (method, getattr(route, "path", "")) in busiest
    }
    assert set(found) == busiest
    assert all(dependencies == [] for dependencies in found.values()), found


def test_municipal_settings_are_validated_once_per_stored_value_and_shared_frozen() -> None:
    """Every signed-in request reads its municipality's settings: the same stored value gives the
    same validated (frozen) settings, a changed value new ones, an invalid value still an error."""
    from pydantic import ValidationError

    from backend.domain.settings import load_settings

    labels = {"thriving": "Trivsel", "extra_attention": "Særlig opmærksomhed", "concern": "Bekymring"}
    stored = {"lock_minutes": 7, "position_labels": labels}
    first = load_settings(stored)
    assert load_settings(dict(reversed(list(stored.items())))) is first
    assert first.lock_minutes == 7 and load_settings({**stored, "lock_minutes": 8}).lock_minutes == 8
    assert load_settings(None) is load_settings({})
    with pytest.raises(ValidationError):
        first.lock_minutes = 9  # shared between requests: nobody may change it
    with pytest.raises(ValidationError):
        first.retention.audit_years = 1
    with pytest.raises(ValidationError):
        load_settings({"lock_minutes": 0})
