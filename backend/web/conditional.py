"""`If-None-Match` for the pages a device keeps offline: a route that lists `Conditional` in
its dependencies answers `304 Not Modified` when the device's copy is current, before any
rendering, and otherwise sends the page with its `ETag` (`backend/sync/versions.py`). A request
without `If-None-Match` costs nothing extra."""

from __future__ import annotations

from fastapi import Depends

from backend.sync.versions import not_modified
from backend.web.context import SignedIn


def check_page_version(ctx: SignedIn) -> None:
    request = ctx.request
    if "if-none-match" not in request.headers:
        return  # an ordinary visit: no version queries (the manifest gives a device its ETags)
    url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    etag = not_modified(ctx, url, request.headers.get("if-none-match"))
    if etag:
        request.state.etag = etag


Conditional = Depends(check_page_version)
