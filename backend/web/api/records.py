"""`PUT /api/records/{record_id}`, `GET /api/records/{record_id}` and `GET /api/tasks`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import JSONResponse

from backend.domain.dates import today
from backend.notify.email import send_after_response
from backend.records.access import visible_record, visible_versions
from backend.records.service import save_record
from backend.records.tasks import open_tasks_for
from backend.records.views import record_json, user_names, version_json
from backend.web.context import SignedIn
from backend.web.one_thread import one_thread
from backend.web.save_result import result_response

router = APIRouter(prefix="/api", tags=["records"])

WRITE_EXAMPLE = {
    "type": "concern_note",
    "child_id": "…",
    "base_version": None,
    "status": "final",
    "data": {"observed_on": "2026-11-23", "text": "…"},
}


@router.put(
    "/records/{record_id}", status_code=200, responses={201: {}, 202: {}, 403: {}, 404: {}, 409: {}, 422: {}}
)
@one_thread()
def put_record(
    ctx: SignedIn, record_id: str, body: Any = Body(..., examples=[WRITE_EXAMPLE])
) -> JSONResponse:
    """Create or update a record; `record_id` is the client's UUID. Replays are idempotent."""
    response = result_response(ctx, save_record(ctx, record_id, body))
    return send_after_response(ctx.db, ctx.settings, response)


@router.get("/records/{record_id}", responses={404: {}})
def get_record(ctx: SignedIn, record_id: str) -> dict:
    """One record with all its versions (newest first)."""
    record = visible_record(ctx.db, ctx.scope, record_id, today())
    if record is None:
        raise HTTPException(404)
    versions = visible_versions(ctx.db, record)
    names = user_names(ctx.db, {record.author_id, record.updated_by_id, *(v.author_id for v in versions)})
    ctx.audit.add("record.read", record.type, record.id, record.child_id)
    return {**record_json(record, names), "versions": [version_json(v, names) for v in versions]}


@router.get("/tasks")
def list_tasks(ctx: SignedIn) -> list[dict]:
    """The caller's open tasks, soonest first."""
    views = open_tasks_for(ctx.db, ctx.scope, today())
    for view in views:
        if view.task.child_id:
            ctx.audit.add("task.list", "task", view.task.id, view.task.child_id)
    return [
        {
            "id": v.task.id,
            "kind": v.task.kind,
            "child_id": v.task.child_id,
            "title": v.title,
            "due_on": v.task.due_on.isoformat(),
            "record_id": v.task.record_id,
            "url": v.url,
        }
        for v in views
    ]
