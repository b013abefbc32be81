"""Local passwords, hashed with argon2id — at most `OPSPOR_PASSWORD_HASH_WORKERS` at a time.

Argon2 is made to be slow and to take memory (64 MiB a hash). Fifty people signing in at the
same moment must not take every server thread and all the memory: every hashing and
verification waits for one of a few slots (a bounded semaphore). On top of that, the sign-in
requests themselves wait for a slot on the event loop before they get a thread
(`backend/web/signin_gate.py`), so page requests keep their threads during a sign-in storm.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend import metrics

_hasher = PasswordHasher()

#: Verified against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("opspor-no-such-user")


class HashingSlots:
    """A bounded semaphore that also remembers the most hashings ever running at once."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._semaphore = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._semaphore.acquire(blocking=False):
            metrics.PASSWORD_HASHES_WAITING.inc()
            self._semaphore.acquire()
        with self._lock:
            self.running += 1
            if self.running > self.most_at_once:
                self.most_at_once = self.running
                metrics.PASSWORD_HASHES_AT_ONCE.set(self.most_at_once)
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1
            self._semaphore.release()


_slots: HashingSlots | None = None
_slots_lock = threading.Lock()


def hashing_slots() -> HashingSlots:
    global _slots  # noqa: PLW0603 - one pool per process, sized from the settings on first use
    if _slots is None:
        with _slots_lock:
            if _slots is None:
                from backend.config import get_settings

                _slots = HashingSlots(get_settings().password_hash_workers)
    return _slots


def hash_password(password: str) -> str:
    with hashing_slots().slot():
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    with hashing_slots().slot():
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False
