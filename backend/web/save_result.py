"""The contract's JSON answer for a record save, shared by `PUT /api/records/{id}` and the
record forms' JSON mode (so neither router imports the other)."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from backend.records.service import SaveResult
from backend.records.views import record_json, user_names
from backend.sync.batch import kept_for
from backend.web.context import SignedIn
from backend.web.errors import error_json


def result_response(ctx: SignedIn, result: SaveResult) -> JSONResponse:
    """The contract's answer for a save, shared by the JSON API and the forms' JSON mode."""
    if result.status in (200, 201):
        record = result.record
        names = user_names(ctx.db, {record.author_id, record.updated_by_id})
        return JSONResponse(record_json(record, names), status_code=result.status)
    if result.status == 409:
        record = result.record
        names = user_names(ctx.db, {record.author_id, record.updated_by_id})
        return JSONResponse(
            {
                "detail": result.detail,
                "errors": [],
                "current": record_json(record, names),
                "conflict_id": result.kept.id if result.kept else None,
            },
            status_code=409,
        )
    if result.status == 202:
        return JSONResponse(
            {
                "detail": result.detail,
                "errors": [],
                "kept": True,
                "kept_id": result.kept.id if result.kept else None,
                "kept_for": kept_for(ctx.db, result.kept.unit_id if result.kept else None),
            },
            status_code=202,
        )
    return error_json(result.status, result.detail or None, result.errors)
