"""Sign-in requests queue on the event loop, not in the thread pool.

Page requests run in the server's thread pool (40 threads). Without this gate, fifty people
signing in at once would take every thread for argon2 and every page request would wait
behind them. Here the password sign-ins (`POST /login`, `POST /api/session`) wait for one of
`OPSPOR_PASSWORD_HASH_WORKERS` slots (an anyio CapacityLimiter) before they reach a thread;
the hashing itself is bounded again in `backend/auth/passwords.py`. The gate is part of the
request middleware (`web/middleware.py`).
"""

from __future__ import annotations

SIGN_IN_ROUTES = frozenset({("POST", "/login"), ("POST", "/api/session")})
