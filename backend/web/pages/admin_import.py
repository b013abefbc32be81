"""CSV import for the admin: upload → dry run (every bad line with its reason) → import."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from backend.admin import importer
from backend.admin.importer import import_batch_of
from backend.domain.child_csv import MAX_ROWS
from backend.domain.dates import today
from backend.i18n import N_
from backend.web.pages.admin_common import Admin, done_message
from backend.web.templating import render

router = APIRouter(include_in_schema=False)
MAX_FILE_BYTES = 900_000
SEPARATORS = {";": N_("semikolon"), ",": N_("komma"), "\t": N_("tabulator")}


@router.get("/admin/import")
def import_page(ctx: Admin) -> Response:
    return _page(ctx)


def _page(ctx: Admin, report=None, batch=None, error: str = "", status: int = 200) -> Response:
    return render(
        ctx.request,
        "admin/import.html",
        {
            "report": report,
            "batch": batch,
            "error": error,
            "actions": importer.ACTIONS,
            "max_rows": MAX_ROWS,
            "separators": SEPARATORS,
            "done": done_message(ctx.request),
        },
        status_code=status,
    )


async def _uploaded(request: Request) -> tuple[str, bytes] | None:
    try:
        form = await request.form(max_files=1, max_part_size=MAX_FILE_BYTES)
    except Exception:
        return None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return None
    raw = await upload.read(MAX_FILE_BYTES + 1)
    return (upload.filename or "")[:200], raw


@router.post("/admin/import")
async def dry_run(ctx: Admin, request: Request) -> Response:
    uploaded = await _uploaded(request)
    if uploaded is None:
        return _page(ctx, error=N_("Vælg en CSV-fil at indlæse."), status=422)
    filename, raw = uploaded
    if len(raw) > MAX_FILE_BYTES:
        return _page(ctx, error=N_("Filen er for stor. Del den op i flere filer."), status=422)
    report = importer.plan_import(ctx.db, ctx.user.municipality_id, raw, today())
    if report.file_error:
        ctx.audit.add("import.dry_run", "import_batch", None, file_error=True)
        return _page(ctx, report=report, status=422)
    batch = importer.store_batch(ctx, ctx.user.municipality_id, filename, raw, report)
    return _page(ctx, report=report, batch=batch, status=200 if report.ok else 422)


@router.post("/admin/import/{batch_id}/run")
def run_import(ctx: Admin, batch_id: str) -> Response:
    batch = importer.open_batch(ctx.db, ctx.user.municipality_id, batch_id[:36])
    if batch is None:
        raise HTTPException(404, N_("Filen er allerede importeret eller for gammel. Indlæs den igen."))
    report = importer.run_batch(ctx, batch, today())
    if not report.ok:
        return _page(ctx, report=report, batch=batch, status=422)
    return RedirectResponse(f"/admin/import/{batch.id}?ok=imported", status_code=303)


@router.get("/admin/import/{batch_id}")
def import_result(ctx: Admin, batch_id: str) -> Response:
    batch = import_batch_of(ctx.db, ctx.user.municipality_id, batch_id)
    if batch is None:
        raise HTTPException(404)
    return render(ctx.request, "admin/import_done.html", {"batch": batch, "done": done_message(ctx.request)})
