"""The web app manifest and the service worker, served from the site root (scope `/`)."""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter
from fastapi.responses import Response

from backend.config import PROJECT_DIR, get_settings
from backend.web.assets import asset_url, asset_urls

router = APIRouter(include_in_schema=False)

SERVICE_WORKER = PROJECT_DIR / "service_worker" / "sw.js"
MANIFEST = PROJECT_DIR / "pwa" / "manifest.json"


@router.get("/manifest.webmanifest")
def manifest() -> Response:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for icon in data.get("icons", []):
        icon["src"] = asset_url(icon["src"])
    return Response(
        json.dumps(data, ensure_ascii=False),
        media_type="application/manifest+json; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def release() -> str:
    """The release the service worker caches under: changes with any asset or OPSPOR_RELEASE."""
    digest = hashlib.sha256(" ".join(sorted(asset_urls())).encode())
    digest.update(get_settings().release.encode())
    return digest.hexdigest()[:12]


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, with the current asset URLs written in (its version changes with them)."""
    source = SERVICE_WORKER.read_text(encoding="utf-8")
    body = (
        source.replace("__ASSET_URLS__", json.dumps(sorted(asset_urls())))
        .replace("__NET_URL__", asset_url("net.js"))
        .replace("__CRYPTO_URL__", asset_url("crypto.js"))
        .replace("__CODEC_URL__", asset_url("codec.js"))
        .replace("__OUTBOX_URL__", asset_url("outbox.js"))
        .replace("__PHONE_URL__", asset_url("phone.js"))
        .replace("__SEAL_URL__", asset_url("seal.js"))
        .replace("__RELEASE__", release())
    )
    return Response(
        body,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
