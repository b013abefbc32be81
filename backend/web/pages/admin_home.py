"""The admin's start page: everything the municipal administrator keeps, one tap away."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import select

from backend.auth.saml import idp_certificate_status
from backend.domain.dates import today
from backend.people.models import Child, Unit, User
from backend.web.pages.admin_common import Admin
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_home(ctx: Admin) -> Response:
    municipality_id = ctx.user.municipality_id

    def count(model) -> int:
        query = select(func.count()).select_from(model).where(model.municipality_id == municipality_id)
        return int(ctx.db.exec(query).one())

    held = ctx.db.exec(
        select(func.count())
        .select_from(Child)
        .where(Child.municipality_id == municipality_id, Child.legal_hold.is_(True))
    ).one()
    return render(
        ctx.request,
        "admin/home.html",
        {
            "units": count(Unit),
            "users": count(User),
            "children": count(Child),
            "held": int(held),
            "on": today(),
            "saml_certificate": idp_certificate_status(ctx.settings),
        },
    )
