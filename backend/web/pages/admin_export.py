"""The right of access for the admin: a child's data as a printable Danish document or JSON.

Records held back for manual review (internal working notes, abuse-path notes) are listed; the
admin may include some of them, with a written reason (audited). Inclusions are posted, so the
reason never ends up in a URL.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from backend.admin import export as admin_export
from backend.admin.base import clean_line
from backend.admin.export import Inclusion
from backend.db import utcnow
from backend.domain import adbb, consent, wellbeing
from backend.domain.cpr import redact_cpr
from backend.i18n import N_
from backend.records.labels import UNKNOWN_FIELD, flatten, label_for
from backend.web.context import RequestContext
from backend.web.forms import Form
from backend.web.pages.admin_common import Admin
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


def export_child(ctx: RequestContext, child_id: str, inclusion: Inclusion, output: str) -> dict:
    """The audited export of a child of the admin's municipality (404 for any other child)."""
    data = admin_export.export_child(ctx, child_id, inclusion, output, utcnow())
    if data is None:
        raise HTTPException(404)
    return data


DERIVED_LABELS = {
    "total": N_("Total"),
    "cutoff": N_("Grænse"),
    "above_cutoff": N_("Over grænsen"),
    "age_months": N_("Alder i måneder"),
    "consider_notification": N_("Overvej underretning"),
    "follow_up_due_on": N_("Opfølgning senest"),
    "receipt_due_on": N_("Kvittering senest"),
    "scored_items": N_("Scorede punkter"),
}


_POSITIONS = {
    "thriving": N_("Trivsel"),
    "extra_attention": N_("Ekstra opmærksomhed"),
    "concern": N_("Bekymring"),
}

#: Stored keys shown as words, by the field they belong to (the last part of its path).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "occasion": adbb.OCCASIONS,
    "action": adbb.ACTIONS,
    "decision": wellbeing.DECISIONS,
    "overall": _POSITIONS,
    "context": _POSITIONS,
    "latest_position": _POSITIONS,
    **{area: _POSITIONS for area in wellbeing.AREAS},
    "kind": {"individual": "Individuel vurdering", "joint": N_("Fælles vurdering"), **consent.KINDS},
    "state": consent.STATES,
}


def derived_label(path: str) -> str:
    return DERIVED_LABELS.get(path, UNKNOWN_FIELD)


def display_value(value: object, path: str = "") -> str:
    """A stored value as the document shows it."""
    from backend.i18n import gettext as _

    labels = VALUE_LABELS.get(path.rsplit(".", 1)[-1], {})
    if isinstance(value, str) and value in labels:
        return _(labels[value])
    if isinstance(value, bool):
        return _("ja") if value else _("nej")
    if isinstance(value, str) and value.startswith("data:image/"):
        return _("[underskrift gemt som billede]")
    return str(value)


@router.get("/admin/export/children/{child_id}")
def export_page(ctx: Admin, child_id: str) -> Response:
    data = export_child(ctx, child_id, Inclusion(frozenset(), ""), "html")
    return _document(ctx, data)


def _document(ctx: Admin, data: dict, error: str = "", status: int = 200) -> Response:
    return render(
        ctx.request,
        "admin/export.html",
        {
            "export": data,
            "rows": flatten,
            "label_for": label_for,
            "show": display_value,
            "derived_label": derived_label,
            "error": error,
        },
        status_code=status,
    )


@router.post("/admin/export/children/{child_id}")
def export_with_inclusions(ctx: Admin, child_id: str, form: Form) -> Response:
    fields = form.fields()
    chosen = frozenset(value[:36] for value in form.getlist("include"))
    reason = redact_cpr(clean_line(fields.get("reason", ""), 1000))
    output = "json" if fields.get("format") == "json" else "html"
    if chosen and len(reason) < 3:
        data = export_child(ctx, child_id, Inclusion(frozenset(), ""), output)
        return _document(
            ctx, data, N_("Skriv en begrundelse for at tage noter med, der ellers holdes tilbage."), 422
        )
    data = export_child(ctx, child_id, Inclusion(chosen, reason), output)
    if output == "json":
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            media_type="application/json; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="indsigt.json"'},
        )
    return _document(ctx, data)
