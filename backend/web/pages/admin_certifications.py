"""Admin page: which health visitors are certified in ADBB, and when (issue 16)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from backend.admin import certification
from backend.admin.base import AdminError
from backend.web.pages.admin_common import Admin, Fields, done_message
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/certifications")
def certifications_page(ctx: Admin) -> Response:
    return _page(ctx)


def _page(ctx: Admin, errors: dict | None = None, values: dict | None = None, status: int = 200) -> Response:
    rows = certification.certification_overview(ctx)
    return render(
        ctx.request,
        "admin/certifications.html",
        {
            "rows": rows,
            "health_visitors": {row.user.id: row.user.display_name for row in rows},
            "errors": errors or {},
            "values": values or {},
            "done": done_message(ctx.request),
        },
        status_code=status,
    )


@router.post("/admin/certifications")
def record_certification(ctx: Admin, fields: Fields) -> Response:
    try:
        certification.record_certification(ctx, fields)
    except AdminError as error:
        return _page(ctx, {error.field or "certified_on": error.message}, fields, 422)
    return RedirectResponse("/admin/certifications?ok=certified", status_code=303)


@router.post("/admin/certifications/remove")
def remove_certification(ctx: Admin, fields: Fields) -> Response:
    try:
        certification.remove_certification(ctx, fields)
    except AdminError as error:
        return _page(ctx, {error.field or "user_id": error.message}, fields, 422)
    return RedirectResponse("/admin/certifications?ok=certification_removed", status_code=303)
