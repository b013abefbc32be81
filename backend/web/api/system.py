"""`/healthz`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from backend.db import database_answers

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz() -> JSONResponse:
    if await run_in_threadpool(database_answers):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "detail": "Databasen svarer ikke."}, status_code=503)
