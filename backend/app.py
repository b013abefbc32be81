"""create_app(): wiring only; create_server_app() for `opspor serve` (each worker process)."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from backend.config import get_settings
from backend.reminders.scheduler import lifespan
from backend.startup import connect_services
from backend.web import api, pages  # noqa: F401
from backend.web.api import children as api_children
from backend.web.api import export as api_export
from backend.web.api import fhir as api_fhir
from backend.web.api import forums as api_forums
from backend.web.api import metrics as api_metrics
from backend.web.api import overview as api_overview
from backend.web.api import parents as api_parents
from backend.web.api import push as api_push
from backend.web.api import records as api_records
from backend.web.api import session as api_session
from backend.web.api import sync as api_sync
from backend.web.api import system as api_system
from backend.web.assets import asset_route
from backend.web.errors import install_error_handlers
from backend.web.middleware import RequestMiddleware
from backend.web.pages import account as account_pages
from backend.web.pages import admin_approvals as admin_approvals_pages
from backend.web.pages import admin_caseloads as admin_caseloads_pages
from backend.web.pages import admin_certifications as admin_certification_pages
from backend.web.pages import admin_children as admin_children_pages
from backend.web.pages import admin_export as admin_export_pages
from backend.web.pages import admin_home as admin_home_pages
from backend.web.pages import admin_import as admin_import_pages
from backend.web.pages import admin_org as admin_org_pages
from backend.web.pages import admin_retention as admin_retention_pages
from backend.web.pages import audit as audit_pages
from backend.web.pages import auth as auth_pages
from backend.web.pages import children as children_pages
from backend.web.pages import conflicts as conflict_pages
from backend.web.pages import forums as forum_pages
from backend.web.pages import forums_admin as forum_admin_pages
from backend.web.pages import municipal_settings as settings_pages
from backend.web.pages import notifications as notification_pages
from backend.web.pages import offline as offline_pages
from backend.web.pages import oidc as oidc_pages
from backend.web.pages import overview as overview_pages
from backend.web.pages import parent_consent as parent_consent_pages
from backend.web.pages import parent_invitations as parent_invitation_pages
from backend.web.pages import parent_sign_in as parent_sign_in_pages
from backend.web.pages import parents as parent_pages
from backend.web.pages import pwa as pwa_pages
from backend.web.pages import records as record_pages
from backend.web.pages import reminders as reminder_pages
from backend.web.pages import rounds as round_pages
from backend.web.pages import saml as saml_pages
from backend.web.pages import sparring as sparring_pages
from backend.web.pages import tasks as task_pages
from backend.web.pages import totp as totp_pages
from backend.web.pages import transitions as transition_pages

#: The gzip level of responses (Starlette's default is 9, the slowest).
GZIP_LEVEL = 5


def create_app() -> FastAPI:
    settings = get_settings()
    connect_services()
    app = FastAPI(
        title="Opspor",
        version="0.1.0",
        summary="Offline-first registreringer for tidlig opsporing af mistrivsel hos små børn.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry hooks, off: Opspor counts its requests for Prometheus
        # (web/middleware.py) and sets no OpenTelemetry provider, and with them on every request
        # asked the global providers (and the environment) whether one had been set since.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    for router in (
        api_system.router,
        api_metrics.router,
        api_session.router,
        api_children.router,
        api_forums.router,
        api_records.router,
        api_parents.router,
        api_sync.router,
        api_push.router,
        auth_pages.router,
        oidc_pages.router,
        saml_pages.router,
        totp_pages.router,
        children_pages.router,
        notification_pages.router,
        record_pages.router,
        conflict_pages.router,
        task_pages.router,
        offline_pages.router,
        sparring_pages.router,
        reminder_pages.router,
        account_pages.router,
        audit_pages.router,
        round_pages.router,
        settings_pages.router,
        api_export.router,
        api_fhir.router,
        admin_home_pages.router,
        admin_org_pages.router,
        admin_certification_pages.router,
        admin_approvals_pages.router,
        admin_children_pages.router,
        admin_caseloads_pages.router,
        admin_import_pages.router,
        admin_retention_pages.router,
        admin_export_pages.router,
        pwa_pages.router,
        transition_pages.router,
        api_overview.router,
        overview_pages.router,
        parent_pages.router,
        parent_consent_pages.router,
        parent_sign_in_pages.router,
        parent_invitation_pages.router,
        forum_admin_pages.router,
        forum_pages.router,
    ):
        # The routes themselves, in the same order, not `include_router`: FastAPI wraps an included
        # router in a lazy `_IncludedRouter` that every request walks (and a match walks twice),
        # which cost ~0.2 ms of CPU on a 404 over ~170 routes. The routers have no prefix, dependency
        # or setting that including would add: their routes already carry their full paths.
        app.router.routes.extend(router.routes)
    app.router.routes.append(asset_route)
    install_error_handlers(app)
    # Level 5, not Starlette's 9: nearly as small for HTML and JSON, at a fraction of the CPU.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=GZIP_LEVEL)
    # One middleware outside it for the rest (log and metrics, the sign-in gate, the security
    # headers, the 500 page, the address, size and JSON checks): see web/middleware.py.
    app.add_middleware(
        RequestMiddleware, max_bytes=settings.max_body_bytes, sign_in_slots=settings.password_hash_workers
    )
    return app


#: The collector's first threshold in a server process (Python's default: 700). A request makes
#: tens of thousands of short-lived objects; with the default the collector ran dozens of times
#: per request, holding every thread up each time.
SERVER_GC_THRESHOLD = 50_000


def create_server_app() -> FastAPI:
    """The app for `opspor serve`, in every worker: the objects made while starting (modules,
    routes, templates, mappers — about 300,000) are moved out of the garbage collector's sight
    (`gc.freeze`), so a full collection under load no longer walks them all, and the collector
    runs less often. Tests build the app with `create_app` and keep Python's defaults."""
    app = create_app()
    gc.collect()
    gc.freeze()
    gc.set_threshold(SERVER_GC_THRESHOLD, 20, 20)
    return app
