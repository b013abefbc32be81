"""Local passwords, hashed with argon2id — at most `OPSPOR_PASSWORD_HASH_WORKERS` at a time.

Argon2 is made to be slow and to take memory (64 MiB a hash). Fifty people signing in at the
same moment must not take every server thread and all the memory: every hashing and
verification waits for one of a few slots (a bounded semaphore). On top of that, the sign-in
requests themselves wait for a slot on the event loop before they get a thread
(`backend/web/signin_gate.py`), so page requests keep their threads during a sign-in storm. And
the hashing runs in threads of its own at the lowest CPU priority (Linux's nice 19, which is per
thread there): when a storm and page requests want the same cores, the pages get them, and the
sign-ins take what is left.

The parameters come from `password_hash_profile`: argon2-cffi's defaults (RFC 9106's low-memory
profile: 64 MiB, 3 passes, 4 lanes) in production; tiny ones for the test suite only. A hash
carries its own parameters, so verifying works whichever profile made it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend import metrics
from backend.config import get_settings

#: Argon2's smallest parameters: only for the tests, set with OPSPOR_PASSWORD_HASH_PROFILE=test.
_TEST_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1, "hash_len": 16, "salt_len": 8}


@lru_cache
def hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher(**_TEST_PARAMETERS) if profile == "test" else PasswordHasher()


@lru_cache
def _dummy_hash(profile: str) -> str:
    """Verified against when the username is unknown, so timing does not reveal which usernames exist."""
    return hasher_for(profile).hash("opspor-no-such-user")


#: The hashing threads' nice value: the lowest CPU share Linux gives (a thread at 0 gets ~70 times
#: as much when both wait for a core).
HASHING_NICENESS = 19

T = TypeVar("T")


def _lowest_priority() -> None:
    """Run once in each hashing thread. On Linux the nice value belongs to the thread (and the
    threads argon2 starts for its lanes inherit it); elsewhere it would lower the whole process,
    so only Linux does it."""
    if hasattr(os, "setpriority") and os.uname().sysname == "Linux":
        # Were it ever refused, the hashing would keep the process's priority, as before.
        with suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


class HashingSlots:
    """A bounded semaphore that also remembers the most hashings ever running at once, and the
    threads (as many as the slots, at the lowest CPU priority) that do the hashing."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._semaphore = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self._threads = ThreadPoolExecutor(
            self.size, thread_name_prefix="argon2", initializer=_lowest_priority
        )

    def run(self, work: Callable[[], T]) -> T:
        """`work` in a slot, on a hashing thread; the caller waits for its result."""
        with self.slot():
            return self._threads.submit(work).result()

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
    global _slots  # one pool per process, sized from the settings on first use
    if _slots is None:
        with _slots_lock:
            if _slots is None:
                _slots = HashingSlots(get_settings().password_hash_workers)
    return _slots


def hash_password(password: str) -> str:
    hasher = hasher_for(get_settings().password_hash_profile)
    return hashing_slots().run(lambda: hasher.hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    profile = get_settings().password_hash_profile
    hasher = hasher_for(profile)

    def verify() -> bool:
        try:
            return (
                hasher.verify(password_hash or _dummy_hash(profile), password) and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    return hashing_slots().run(verify)
