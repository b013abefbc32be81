"""Retention for the admin: the periods per record type, a preview of what the daily job would
delete today, the children on legal hold, and running the job now (`backend/admin/retention.py`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from backend.admin.retention import (
    RetentionFormError,
    parse_retention_form,
    retention_preview,
    run_retention_now,
    save_retention_settings,
)
from backend.domain.dates import today
from backend.domain.settings import RetentionSettings
from backend.records.registry import LABELS
from backend.web.pages.admin_common import Admin, Fields, done_message
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/retention")
def retention_page(ctx: Admin) -> Response:
    return _page(ctx)


def _page(ctx: Admin, values: dict | None = None, errors: dict | None = None, status: int = 200) -> Response:
    preview = retention_preview(ctx, today())
    return render(
        ctx.request,
        "admin/retention.html",
        {
            "plan": preview.plan,
            "names": preview.names,
            "audit_count": preview.audit_count,
            "settings": preview.settings,
            "values": values or _values(preview.settings),
            "errors": errors or {},
            "type_labels": LABELS,
            "done": done_message(ctx.request),
            "limit": 200,
        },
        status_code=status,
    )


def _values(settings: RetentionSettings) -> dict[str, str]:
    values = {
        "kept_write_days": str(settings.kept_write_days),
        "closed_task_days": str(settings.closed_task_days),
        "audit_years": str(settings.audit_years),
        "child-until_age": str(settings.child.until_age),
        "child-years_after": str(settings.child.years_after),
    }
    for kind, rule in settings.records.items():
        values[f"records-{kind}-until_age"] = str(rule.until_age)
        values[f"records-{kind}-years_after"] = str(rule.years_after)
    return values


@router.post("/admin/retention/settings")
def save_settings(ctx: Admin, fields: Fields) -> Response:
    try:
        retention = parse_retention_form(fields, LABELS)
    except RetentionFormError as error:
        return _page(ctx, {k: v for k, v in fields.items() if k != "csrf_token"}, error.errors, 422)
    save_retention_settings(ctx, retention)
    return RedirectResponse("/admin/retention?ok=settings_saved", status_code=303)


@router.post("/admin/retention/run")
def run_now(ctx: Admin) -> Response:
    run_retention_now(ctx)
    return RedirectResponse("/admin/retention?ok=retention_ran", status_code=303)
