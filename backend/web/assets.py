"""Static assets under content-hashed URLs, served with long cache lifetimes.

`asset_url("app.css")` gives `/static/<hash>/app.css`; the hash changes whenever the file does,
so browsers may cache the URL forever. Files come from `static/` and `pwa/`.

The page script is a set of ES modules in `pwa/` that import each other by relative URL
(`import "./net.js"`). They all share one hash, made from every one of them, so a module's
relative imports resolve to the same release (`/static/<hash>/net.js`) and a change to any module
changes every module's URL.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.config import PROJECT_DIR

MODULE_DIR = PROJECT_DIR / "pwa"
ASSET_DIRS = (PROJECT_DIR / "static", MODULE_DIR)
IMMUTABLE = "public, max-age=31536000, immutable"

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


@dataclass(frozen=True)
class Asset:
    path: Path
    digest: str
    media_type: str


def _module_paths() -> list[Path]:
    return sorted(path for path in MODULE_DIR.glob("*.js") if path.is_file())


def _modules_digest() -> str:
    digest = hashlib.sha256()
    for path in _module_paths():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@lru_cache
def assets() -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    modules = set(_module_paths())
    modules_digest = _modules_digest()
    for directory in ASSET_DIRS:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                name = path.relative_to(directory).as_posix()
                if path in modules:
                    digest = modules_digest
                else:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
                media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                found[name] = Asset(path=path, digest=digest, media_type=media_type)
    return found


def asset_url(name: str) -> str:
    return f"/static/{assets()[name].digest}/{name}"


#: A static import or re-export of a sibling module (`import "./net.js"`, `... from "./ui.js"`);
#: dynamic `import("./x.js")` is not one: those modules load only on the pages that need them.
STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\s[^;"'\n]*?["']\./([\w.-]+\.js)["']""", re.MULTILINE)
ENTRY_MODULE = "app.js"


@lru_cache
def preloaded_modules() -> list[str]:
    """The modules every page loads: the entry module's static imports, for modulepreload links."""
    seen: list[str] = []
    todo = [ENTRY_MODULE]
    while todo:
        name = todo.pop(0)
        if name in seen or not (MODULE_DIR / name).is_file():
            continue
        seen.append(name)
        todo.extend(STATIC_IMPORT.findall((MODULE_DIR / name).read_text(encoding="utf-8")))
    return [asset_url(name) for name in sorted(seen) if name != ENTRY_MODULE]


def asset_urls() -> list[str]:
    return [asset_url(name) for name in assets()]


async def serve_asset(request: Request) -> Response:
    name, digest = request.path_params["name"], request.path_params["digest"]
    asset = assets().get(name)
    if asset is None:
        return Response("Findes ikke.", status_code=404, media_type="text/plain; charset=utf-8")
    cache = IMMUTABLE if digest == asset.digest else "no-cache"
    media_type = asset.media_type
    if media_type.startswith("text/") or media_type.endswith(("javascript", "json", "svg+xml")):
        media_type += "; charset=utf-8"
    return Response(asset.path.read_bytes(), media_type=media_type, headers={"Cache-Control": cache})


asset_route = Route("/static/{digest}/{name:path}", serve_asset, methods=["GET", "HEAD"])
