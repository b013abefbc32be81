"""The offline manifest with a version per page (delta download, `sync/versions.py`)."""

from __future__ import annotations

from datetime import date

from backend.records.offline import OfflineContext, offline_manifest
from backend.sync.versions import VersionContext, manifest_etags


def offline_manifest_with_versions(ctx: OfflineContext, on: date) -> tuple[list[str], int, dict[str, str]]:
    """`records.offline.offline_manifest` and the ETag of each page about a child: a device
    refetches only the pages whose ETag differs from its copy's."""
    urls, children = offline_manifest(ctx, on)
    version_ctx: VersionContext = ctx  # type: ignore[assignment]  # the request context is both
    return urls, children, manifest_etags(version_ctx, urls, on)
