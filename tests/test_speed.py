"""Per-request waste removed (issue 21): Babel's locale data is loaded once, not per formatted
date; templates are compiled once and not looked up on disk per render."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime

import babel.localedata

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
            for day in range(1, 29):
                gc.collect()  # Babel's own cache holds the data weakly
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
