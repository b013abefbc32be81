"""The municipal settings page for the admin (domain §8): validated, typed values kept on
error, every change audited. Settings other areas add to the model are kept as stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from backend.admin import municipal_settings
from backend.domain.settings import LABEL_PRESETS, POSITIONS
from backend.domain.settings_form import parse_settings_form, settings_to_form
from backend.domain.units import UNIT_KIND_LABELS
from backend.web.context import Admin
from backend.web.forms import SubmittedForm, submitted_form
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(ctx: Admin, form: dict[str, str], errors: dict[str, str], status_code: int = 200) -> Response:
    return render(
        ctx.request,
        "admin/settings.html",
        {
            "form": form,
            "errors": errors,
            "presets": LABEL_PRESETS,
            "position_keys": POSITIONS,
            "unit_kinds": UNIT_KIND_LABELS,
            "saved": ctx.request.query_params.get("gemt"),
        },
        status_code=status_code,
    )


@router.get("/admin/settings")
def settings_page(ctx: Admin) -> Response:
    return _page(ctx, settings_to_form(municipal_settings.read_settings(ctx)), {})


@router.post("/admin/settings")
def save_settings(ctx: Admin, submitted: Annotated[SubmittedForm, Depends(submitted_form)]) -> Response:
    form = {name: value[:200] for name, value in submitted.items if name != "csrf_token"}
    settings, errors = parse_settings_form(form)
    if settings is None:
        return _page(ctx, form, errors, status_code=422)
    changed = municipal_settings.save_settings(ctx, settings)
    return RedirectResponse(f"/admin/settings?gemt={'1' if changed else '0'}", status_code=303)
