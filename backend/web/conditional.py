"""`If-None-Match` for the pages a device keeps offline: a route that lists `Conditional` in
its dependencies answers `304 Not Modified` when the device's copy is current, before any
rendering, and otherwise sends the page with its `ETag` (`backend/sync/versions.py`). A request
without `If-None-Match` costs nothing extra."""

from __future__ import annotations

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from backend.sync.versions import not_modified
from backend.web.context import SignedIn


async def check_page_version(ctx: SignedIn) -> None:
    """On the event loop for an ordinary visit (no thread-pool trip); the version queries of a
    conditional request run in the thread pool."""
    if "if-none-match" in ctx.request.headers:
        await run_in_threadpool(_check_version, ctx)


def _check_version(ctx: SignedIn) -> None:
    request = ctx.request
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    etag = not_modified(ctx, url, request.headers.get("if-none-match"))
    if etag:
        request.state.etag = etag


Conditional = Depends(check_page_version)
