"""Admin page: requests for actions on an admin's account, approved or rejected by a second admin."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

from backend.admin import duties
from backend.admin.base import ROLE_LABELS, AdminError
from backend.auth.policy import is_id
from backend.domain.admin_duties import ACTIONS
from backend.notify.email import send_after_response
from backend.web.pages.admin_common import Admin, done_message
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/approvals")
def approvals_page(ctx: Admin) -> Response:
    return _page(ctx)


def _page(ctx: Admin, error: str = "", status: int = 200) -> Response:
    views = duties.pending_for(ctx, ctx.user.municipality_id)
    return render(
        ctx.request,
        "admin/approvals.html",
        {
            "pending": views,
            "actions": ACTIONS,
            "role_labels": ROLE_LABELS,
            "error": error,
            "done": done_message(ctx.request),
        },
        status_code=status,
    )


def _approval(ctx: Admin, approval_id: str):
    approval = (
        duties.approval_of(ctx.db, ctx.user.municipality_id, approval_id) if is_id(approval_id) else None
    )
    if approval is None:
        raise HTTPException(404)
    return approval


@router.post("/admin/approvals/{approval_id}/approve")
def approve(ctx: Admin, approval_id: str) -> Response:
    approval = _approval(ctx, approval_id)
    try:
        duties.approve_all_or_nothing(ctx, ctx.settings, approval)
    except AdminError as error:  # e.g. the last active admin: nothing was changed
        return _page(ctx, error.message, 422)
    response = RedirectResponse("/admin/approvals?ok=approved", status_code=303)
    return send_after_response(ctx.db, ctx.settings, response)


@router.post("/admin/approvals/{approval_id}/reject")
def reject(ctx: Admin, approval_id: str) -> Response:
    approval = _approval(ctx, approval_id)
    try:
        duties.reject(ctx, ctx.settings, approval)
    except AdminError as error:
        return _page(ctx, error.message, 422)
    response = RedirectResponse("/admin/approvals?ok=rejected", status_code=303)
    return send_after_response(ctx.db, ctx.settings, response)
