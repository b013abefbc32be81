"""A record type's form page: the form's own context (options, the child's context) around
the values, shared by the records pages and the conflict pages."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from backend.i18n import current_language
from backend.people.models import Child
from backend.records.labels import named_errors
from backend.records.models import Record
from backend.records.registry import kind
from backend.web.context import SignedIn
from backend.web.pages.record_forms import form_context
from backend.web.templating import render


def form_page(
    ctx: SignedIn,
    record_type: str,
    child: Child | None,
    unit_id: str,
    record_id: str,
    values: dict[str, Any],
    *,
    base_version: int | None,
    errors: dict | None = None,
    status_code: int = 200,
    query: dict | None = None,
    record: Record | None = None,
    conflict_id: str | None = None,
) -> Response:
    current_language.set(ctx.language)  # the error messages below are written in the user's language
    extra = form_context(record_type, ctx, child, unit_id, query or {})
    defaults = extra.pop("defaults", {})
    data = values.setdefault("data", {})
    for key, value in defaults.items():
        if value is not None and data.get(key) is None:
            data[key] = value
    return render(
        ctx.request,
        "records/form.html",
        {
            "record_type": record_type,
            "child": child,
            "unit_id": unit_id,
            "record_id": record_id,
            "values": values,
            "errors": named_errors(errors or {}, record_type),
            "base_version": base_version,
            "record": record,
            "conflict_id": conflict_id,
            "form_template": kind(record_type).form_template,
            "bool_fields": kind(record_type).bool_fields,
            **extra,
        },
        status_code=status_code,
    )
