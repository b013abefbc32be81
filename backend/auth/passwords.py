"""Local passwords, hashed with argon2id.

The parameters come from `password_hash_profile`: argon2-cffi's defaults (RFC 9106's low-memory
profile: 64 MiB, 3 passes, 4 lanes) in production; tiny ones for the test suite only. A hash
carries its own parameters, so verifying works whichever profile made it.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.config import get_settings

#: Argon2's smallest parameters: only for the tests, set with OPSPOR_PASSWORD_HASH_PROFILE=test.
_TEST_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1, "hash_len": 16, "salt_len": 8}


@lru_cache
def hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher(**_TEST_PARAMETERS) if profile == "test" else PasswordHasher()


def _hasher() -> PasswordHasher:
    return hasher_for(get_settings().password_hash_profile)


@lru_cache
def _dummy_hash(profile: str) -> str:
    """Verified against when the username is unknown, so timing does not reveal which usernames exist."""
    return hasher_for(profile).hash("opspor-no-such-user")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    profile = get_settings().password_hash_profile
    try:
        return hasher_for(profile).verify(password_hash or _dummy_hash(profile), password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False
