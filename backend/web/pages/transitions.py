"""The print-friendly pages at `/records/{id}/print`: the transition description (A4, the parents'
copy) and the notification for the secure channel. One route, so neither shadows the other."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from backend.domain.dates import today
from backend.people.service import child_by_id, unit_names
from backend.records.access import visible_record
from backend.records.notifications import printable_notification
from backend.web.context import SignedIn
from backend.web.pages.record_forms import form_context
from backend.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/records/{record_id}/print")
def print_record(ctx: SignedIn, record_id: str) -> Response:
    notification = printable_notification(ctx.db, ctx.scope, ctx.audit, record_id, today())
    if notification is not None:
        return render(
            ctx.request,
            "records/notification_print.html",
            {"view": notification, "data": notification.record.data},
        )
    record = visible_record(ctx.db, ctx.scope, record_id, today())
    if record is None or record.type != "transition":
        raise HTTPException(404)
    child = child_by_id(ctx.db, record.child_id)
    ctx.audit.add("record.print", record.type, record.id, record.child_id, version=record.version)
    extra = form_context(record.type, ctx, child, record.unit_id, {})
    extra.pop("defaults", None)
    return render(
        ctx.request,
        "records/print/transition.html",
        {
            "record": record,
            "child": child,
            "data": record.data,
            "derived": record.derived,
            "from_unit": unit_names(ctx.db, {record.unit_id}).get(record.unit_id),
            **extra,
        },
    )
