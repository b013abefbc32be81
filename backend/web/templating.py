"""Jinja2 pages and htmx fragments from the same templates, Danish via gettext."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from backend.config import PROJECT_DIR
from backend.domain.audit_labels import action_label
from backend.domain.dates import COPENHAGEN, age_in_months, today
from backend.domain.parents import FIELDS_OF_PART
from backend.i18n import DEFAULT_LANGUAGE, babel_locale, current_language, gettext, ngettext, page_texts
from backend.records.registry import KINDS, key_date, record_summary
from backend.records.types import get_path
from backend.web.assets import asset_url, preloaded_modules
from backend.web.menu import menu_links, start_tab

env = Environment(
    loader=FileSystemLoader(PROJECT_DIR / "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates change with a deploy (a restart), not while serving: no stat per render
)


def _template_gettext(message: str) -> Markup:
    """`_()` in templates: the translated text escaped, never trusted as markup.

    Jinja's newstyle gettext marks whatever `_()` returns as safe markup (and then escapes
    only the `%(name)s` values), so data that reached `_()` would be injected as HTML.
    Translations never carry markup; escaping the message itself makes `_(data)` harmless.
    """
    return escape(gettext(str(message)))


def _template_ngettext(singular: str, plural: str, n: int) -> Markup:
    return escape(ngettext(str(singular), str(plural), n))


def _labels(table: dict[Any, str]) -> dict[Any, str]:
    """A fixed table of Danish labels (`N_()` texts) translated, for option lists."""
    return {key: gettext(label) for key, label in table.items()}


def _newstyle_gettext(message: str, /, **variables: Any) -> Markup:
    """`_()` and `gettext()` in templates, as Jinja's newstyle gettext calls them (the text is
    always a format string: `%%` is a percent sign, the values are escaped) — without its two
    extra calls through the template context per text (two thirds of the child page's calls).
    A text without a value or a percent sign is its own formatting: markupsafe's formatting
    machinery is skipped for it (most texts of a page)."""
    text = _template_gettext(message)
    return text % variables if variables or "%" in text else text


def _newstyle_ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
    variables.setdefault("num", num)
    return _template_ngettext(singular, plural, num) % variables


env.install_gettext_callables(_template_gettext, _template_ngettext, newstyle=True)  # type: ignore[attr-defined]
env.globals.update(_=_newstyle_gettext, gettext=_newstyle_gettext, ngettext=_newstyle_ngettext)
env.filters["labels"] = _labels


def _date(value: date | None, fmt: str = "d. MMM y") -> str:
    return format_date(value, fmt, locale=babel_locale(current_language.get())) if value else ""


def _datetime(value: datetime | None, fmt: str | None = None) -> str:
    """A moment in Copenhagen time, the Danish way: "7. dec. 2026 kl. 01.47". A time without a
    zone (a `datetime-local` field, e.g. when a parent decided) is already Copenhagen time."""
    if not value:
        return ""
    language = current_language.get()
    if fmt is None:
        fmt = "d. MMM y 'kl.' HH.mm" if language == "da" else "d MMM y, HH:mm"
    return format_datetime(value, fmt, tzinfo=COPENHAGEN, locale=babel_locale(language))


def _wall_clock(value: object) -> str:
    """A local time as typed (ISO text or a naive datetime), shown like `_datetime`."""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COPENHAGEN)
    return _datetime(moment)


def age_text(birth_date: date, on: date | None = None) -> str:
    months = age_in_months(birth_date, on or today())
    if months < 0:
        return gettext("ikke født")
    if months < 24:
        return ngettext("%(num)s måned", "%(num)s måneder", months) % {"num": months}
    years, rest = divmod(months, 12)
    text = ngettext("%(num)s år", "%(num)s år", years) % {"num": years}
    return text + (" " + ngettext("og %(num)s md.", "og %(num)s mdr.", rest) % {"num": rest} if rest else "")


def field_id(name: str) -> str:
    """An element id for a field name: `data.items.eye_contact` → `f-data-items-eye_contact`."""
    return "f-" + str(name).replace(".", "-")


def _iso_date(value: str | None, fmt: str = "d. MMM y") -> str:
    return _date(date.fromisoformat(value), fmt) if value else ""


def _iso_datetime(value: object) -> str:
    if isinstance(value, datetime):
        return _datetime(value)
    try:
        return _datetime(datetime.fromisoformat(str(value))) if value else ""
    except ValueError:
        return str(value)  # not a time: shown as it is (escaped like any value)


env.filters["date"] = _date
env.filters["isodatetime"] = _iso_datetime
env.filters["isodate"] = _iso_date
env.filters["field_id"] = field_id
env.globals["value_at"] = get_path
env.globals["record_summary"] = record_summary
env.globals["key_date"] = key_date
env.globals["schema_version"] = lambda record_type: (
    KINDS[record_type].schema_version if record_type in KINDS else 1
)
env.filters["datetime"] = _datetime
env.filters["wallclock"] = _wall_clock
env.filters["age"] = age_text
env.globals["asset_url"] = asset_url
env.globals["preloaded_modules"] = preloaded_modules
env.globals["menu_links"] = menu_links
env.globals["page_texts"] = page_texts


def _audit_action(action: str) -> str | None:
    """An audit action code's label in the page's language (None for a code without one)."""
    label = action_label(str(action))
    return gettext(label) if label else None


env.globals["audit_action"] = _audit_action
env.globals["start_tab"] = start_tab
env.globals["parents_fields"] = FIELDS_OF_PART


def translated_messages(errors: dict[str, Any]) -> dict[str, Any]:
    """A form's error messages in the page's language: each is one of the fixed Danish texts
    marked `N_()` in the rules (a message with a value written in stays Danish). The result is
    plain text, escaped where shown like any value."""
    return {field: gettext(text) if isinstance(text, str) else text for field, text in errors.items()}


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page; for htmx requests, `fragment` (when given) instead of the whole page."""
    ctx = getattr(request.state, "ctx", None)
    current_language.set(ctx.language if ctx else DEFAULT_LANGUAGE)
    values: dict[str, Any] = {
        "request": request,
        "ctx": ctx,
        "user": ctx.user if ctx else None,
        "csrf_token": ctx.csrf_token() if ctx else "",
        "language": current_language.get(),
        "today": today(),
        "is_htmx": bool(request.headers.get("HX-Request")),
    }
    values.update(context or {})
    if values["language"] != DEFAULT_LANGUAGE and isinstance(values.get("errors"), dict):
        values["errors"] = translated_messages(values["errors"])
    fragment = values.get("fragment")
    name = fragment if fragment and values["is_htmx"] else template
    html = env.get_template(name).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if ctx is not None and ctx.user is not None:
        # The service worker keeps a signed-in page only in that user's offline cache, and
        # deletes a child's pages from the device when the child leaves the user's scope.
        response.headers["X-Opspor-User"] = ctx.user.id
        child = values.get("child")
        if child is not None and getattr(child, "id", None):
            response.headers["X-Opspor-Child"] = child.id
    return response
