"""Sign-in requests queue on the event loop, not in the thread pool.

Page requests run in the server's thread pool (40 threads). Without this gate, fifty people
signing in at once would take every thread for argon2 and every page request would wait
behind them. Here the password sign-ins (`POST /login`, `POST /api/session`) wait for one of
`OPSPOR_PASSWORD_HASH_WORKERS` slots (an anyio CapacityLimiter) before they reach a thread;
the hashing itself is bounded again in `backend/auth/passwords.py`.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

SIGN_IN_ROUTES = frozenset({("POST", "/login"), ("POST", "/api/session")})


class SignInGateMiddleware:
    def __init__(self, app: ASGIApp, slots: int) -> None:
        self.app = app
        self.slots = max(1, slots)
        self._limiter: anyio.CapacityLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope.get("method"), scope.get("path")) not in SIGN_IN_ROUTES:
            await self.app(scope, receive, send)
            return
        if self._limiter is None:  # made inside the running event loop
            self._limiter = anyio.CapacityLimiter(self.slots)
        async with self._limiter:
            await self.app(scope, receive, send)
