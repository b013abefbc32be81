"""Every error answered in Danish: the contract's JSON for the API, a page for browsers.

API errors look like `{"detail": "...", "errors": [{"field": "...", "message": "..."}]}`; an error
the client must tell apart from others carries a machine-readable `code` as well (in the body and
the `X-Opspor-Error` header): `csrf` for a refused CSRF check. Clients read the status and the
code, never the (translatable) text. A malformed request is never answered 500.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import Scope

from backend.domain.messages import VALIDATION_MESSAGES
from backend.i18n import N_
from backend.sync.conditional import NotModified
from backend.web.context import DEVICE_COOKIE, CsrfRejected, DeviceRevoked, Forbidden, NotSignedIn

log = logging.getLogger("opspor")

STATUS_TEXTS = {
    400: "Forespørgslen kunne ikke læses.",
    401: "Du er ikke logget ind.",
    403: "Du har ikke adgang til dette.",
    404: "Siden eller oplysningen findes ikke.",
    405: "Den handling er ikke mulig her.",
    409: "Registreringen er ændret af en anden i mellemtiden.",
    413: "Forespørgslen er for stor.",
    415: "Forespørgslen har et format, serveren ikke forstår.",
    422: "Nogle felter er ikke udfyldt rigtigt.",
    429: "For mange forsøg. Vent lidt og prøv igen.",
    500: "Der skete en fejl på serveren. Prøv igen om lidt.",
    503: "Tjenesten er ikke tilgængelig lige nu.",
}

DEVICE_REVOKED = N_(
    "Denne telefon eller browser er spærret af en administrator, og dens data i Opspor er slettet. "
    "Log ind igen for at bruge Opspor her som et nyt apparat."
)

_STANDARD_PHRASES = {status.phrase for status in HTTPStatus}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


#: The header naming an error's machine-readable code, on JSON and HTML answers alike.
ERROR_CODE_HEADER = "X-Opspor-Error"
CSRF_CODE = "csrf"


def error_json(
    status: int, detail: str | None = None, errors: list | None = None, code: str | None = None
) -> JSONResponse:
    body: dict = {"detail": detail or STATUS_TEXTS.get(status, STATUS_TEXTS[400]), "errors": errors or []}
    if code:
        body["code"] = code
    response = JSONResponse(body, status_code=status)
    if code:
        response.headers[ERROR_CODE_HEADER] = code
    return response


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        message = VALIDATION_MESSAGES.get(error.get("type", ""), "Ugyldig værdi.")
        errors.append({"field": ".".join(location) or "body", "message": message})
    return errors


def _is_own_message(text: str) -> bool:
    """Details raised by this app are Danish; Starlette's and FastAPI's own are English."""
    return text not in _STANDARD_PHRASES and not text.startswith("There was an error")


def _error_page(request: Request, status: int, detail: str | None = None) -> Response:
    from backend.web.templating import render

    message = detail or STATUS_TEXTS.get(status, STATUS_TEXTS[400])
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return error_json(422, errors=field_errors(exc))
        return _error_page(request, 400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and _is_own_message(exc.detail) else None
        if wants_json(request):
            response = error_json(exc.status_code, detail)
        else:
            response = _error_page(request, exc.status_code, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(NotModified)
    async def not_modified(request: Request, exc: NotModified) -> Response:
        return Response(status_code=304, headers={"ETag": exc.etag})

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if wants_json(request):
            return error_json(401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = f"/login?next={quote(target, safe='')}"
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": location})
        return RedirectResponse(location, status_code=303)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _exc: CsrfRejected) -> Response:
        message = "Sikkerhedstjekket mislykkedes. Genindlæs siden og prøv igen."
        if wants_json(request):
            return error_json(403, message, code=CSRF_CODE)
        response = _error_page(request, 403, message)
        response.headers[ERROR_CODE_HEADER] = CSRF_CODE
        return response

    @app.exception_handler(DeviceRevoked)
    async def device_revoked(request: Request, _exc: DeviceRevoked) -> Response:
        from backend.auth.sessions import COOKIE_NAME

        if wants_json(request):
            response = error_json(401, DEVICE_REVOKED)
        else:
            response = _error_page(request, 401, DEVICE_REVOKED)
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        local_http = request.url.scheme == "http" and request.url.hostname in (
            "127.0.0.1",
            "localhost",
            "::1",
        )
        for name in (COOKIE_NAME, DEVICE_COOKIE):
            response.delete_cookie(name, path="/", secure=not local_http, httponly=True, samesite="lax")
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        return error_json(403) if wants_json(request) else _error_page(request, 403)


def unexpected_error_answer(error: Exception, scope: Scope) -> Response:
    """The answer to an exception no handler took, logged here: a Danish 503 while the database
    is away, else a Danish 500 (the contract's JSON for the API). Called by the request
    middleware (`web/middleware.py`) inside its security headers — an `Exception` handler would
    run in Starlette's outermost middleware, after them — which re-raises instead when the
    response had already started."""
    if database_unavailable(error):
        log.warning("database unavailable: %s", type(error).__name__)
        return _unavailable_response(scope)
    from backend.web.observability import route_template

    # The route template, never the path: paths hold ids.
    log.exception("unhandled error on %s %s", scope.get("method"), route_template(scope))
    if wants_json(Request(scope)):
        return error_json(500)
    return HTMLResponse(_PLAIN_500, status_code=500)


def database_unavailable(error: BaseException) -> bool:
    """The database cannot be reached (restarting, network cut, pool exhausted)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _unavailable_response(scope: Scope) -> Response:
    """503 while the database is away: the contract's JSON for the API, a Danish page otherwise.
    The request's transaction was never committed, so nothing of it is stored."""
    headers = {"Retry-After": "5"}
    if wants_json(Request(scope)):
        response: Response = error_json(503, DATABASE_UNAVAILABLE)
        response.headers.update(headers)
        return response
    return HTMLResponse(_PLAIN_503, status_code=503, headers=headers)


DATABASE_UNAVAILABLE = "Databasen svarer ikke lige nu. Prøv igen om lidt – intet er gemt."

_PLAIN_503 = (
    '<!doctype html><html lang="da"><meta charset="utf-8"><title>Ikke tilgængelig – Opspor</title>'
    "<h1>Opspor er ikke tilgængelig lige nu</h1><p>Databasen svarer ikke. Prøv igen om lidt. "
    "Det, du var ved at gemme, er ikke gemt – men det, du har gemt på telefonen, er ikke tabt.</p>"
    '<p><a href="/">Prøv igen</a></p></html>'
)

_PLAIN_500 = (
    '<!doctype html><html lang="da"><meta charset="utf-8"><title>Fejl – Opspor</title>'
    "<h1>Der skete en fejl på serveren</h1><p>Prøv igen om lidt. Det, du har gemt på telefonen, "
    'er ikke tabt.</p><p><a href="/">Til forsiden</a></p></html>'
)
