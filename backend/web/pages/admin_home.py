"""The admin's start page: everything the municipal administrator keeps, one tap away."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from backend.admin.organisation import municipality_counts
from backend.auth.saml import idp_certificate_status
from backend.domain.dates import today
from backend.web.pages.admin_common import Admin
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_home(ctx: Admin) -> Response:
    counts = municipality_counts(ctx.db, ctx.user.municipality_id, today())
    return render(
        ctx.request,
        "admin/home.html",
        {
            **counts,
            "on": today(),
            "saml_certificate": idp_certificate_status(ctx.settings),
        },
    )
