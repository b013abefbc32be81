"""One trip through the thread pool for the busiest routes (issue 21).

A plain `def` route with `ctx: SignedIn` costs three trips through the thread pool: FastAPI opens
`get_ctx` in one, runs the route in another and closes `get_ctx` (audit INSERT, COMMIT) in a
third — each a hand-over between the event loop and a worker thread, which under load cost about
as much CPU as the route's own queries. `@one_thread` runs the same three steps in one worker:
`get_ctx` exactly as FastAPI runs it (the same commit, rollback, 304 and wipe handling), the
signed-in check of `require_user`, and — with `conditional=True` — the `If-None-Match` check of
`web/conditional.Conditional`, which such a route then no longer lists in its dependencies.

Use it below the router's decorator, on a route whose first parameter is `ctx: SignedIn`:

    @router.get("/children/{child_id}")
    @one_thread(conditional=True)
    def child_page(ctx: SignedIn, child_id: str) -> Response: ...
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from fastapi import Request, params
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from backend.web.conditional import _check_version
from backend.web.context import NotSignedIn, SignedIn, get_ctx, submitted_csrf_token

_open_ctx = contextmanager(get_ctx)


def one_thread(*, conditional: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(route: Callable[..., Any]) -> Callable[..., Any]:
        signature = _resolved(route)
        first, *rest = signature.parameters.values()
        if first.annotation is not SignedIn:
            raise TypeError(f"{route.__name__}: the first parameter must be `ctx: SignedIn`")

        rest, body = _body_checked_later(route, rest)

        def in_worker(request: Request, submitted: str | None, values: dict[str, Any]) -> Any:
            with _open_ctx(request, submitted) as ctx:
                if ctx.user is None:
                    raise NotSignedIn
                if body is not None and values[body] is None and not getattr(request, "_body", b""):
                    raise RequestValidationError([_MISSING_BODY])
                if conditional and "if-none-match" in request.headers:
                    _check_version(ctx)
                return route(ctx, **values)

        # FastAPI hands the request to one parameter only: the route's own, when it has one.
        request_name = next((p.name for p in rest if p.annotation is Request), None)
        # The CSRF token is read here, not as a dependency of its own: FastAPI solving one more
        # dependency per request cost more than reading the token.
        own = [] if request_name else [_parameter("one_thread_request", Request)]

        async def endpoint(**values: Any) -> Any:
            request = values[request_name] if request_name else values.pop("one_thread_request")
            submitted = await submitted_csrf_token(request)
            return await run_in_threadpool(in_worker, request, submitted, values)

        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(endpoint, name, getattr(route, name))
        endpoint.__signature__ = signature.replace(parameters=[*own, *rest])  # type: ignore[attr-defined]
        return endpoint

    return wrap


def _parameter(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)


#: FastAPI's own error for a required body that was not sent.
_MISSING_BODY = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}


def _body_checked_later(
    route: Callable[..., Any], parameters: list[inspect.Parameter]
) -> tuple[list[inspect.Parameter], str | None]:
    """A required body is declared optional to FastAPI and its absence answered in the worker,
    after `get_ctx`: FastAPI checks the body before the route but after the dependencies, so
    an unsafe request without a CSRF token (or without a session) is refused before it is
    told that its body is missing — as when `get_ctx` was a dependency. A JSON `null` body
    stays a body (the route sees None, as before)."""
    bodies = [p for p in parameters if isinstance(p.default, params.Body)]
    if len(bodies) > 1:
        raise TypeError(f"{route.__name__}: one body parameter at most")
    if not bodies or not bodies[0].default.is_required():
        return parameters, None
    optional = copy.copy(bodies[0].default)
    optional.default = None
    return [p.replace(default=optional) if p is bodies[0] else p for p in parameters], bodies[0].name


def _resolved(route: Callable[..., Any]) -> inspect.Signature:
    """The route's signature with its annotations evaluated in the route's module (FastAPI would
    evaluate them in this one); a return annotation that names something the module imports
    only for type checking is left out (it only ever named a `Response` class)."""
    signature = inspect.signature(route)
    names = route.__globals__

    def evaluated(annotation: Any) -> Any:
        return eval(annotation, names) if isinstance(annotation, str) else annotation  # noqa: S307

    parameters = [p.replace(annotation=evaluated(p.annotation)) for p in signature.parameters.values()]
    try:
        returned = evaluated(signature.return_annotation)
    except NameError:
        returned = inspect.Signature.empty
    return signature.replace(parameters=parameters, return_annotation=returned)
