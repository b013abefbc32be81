"""Password hashing itself: the only tests that hash at production strength."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type

from backend.auth import passwords
from backend.config import get_settings


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch):
    """Set OPSPOR_PASSWORD_HASH_PROFILE for one test (the suite itself runs with "test")."""

    def use(name: str) -> None:
        monkeypatch.setenv("OPSPOR_PASSWORD_HASH_PROFILE", name)
        get_settings.cache_clear()

    monkeypatch.setenv("OPSPOR_SECRET_KEY", "passwords-test")
    yield use
    get_settings.cache_clear()


def test_production_is_the_default_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSPOR_PASSWORD_HASH_PROFILE")
    monkeypatch.setenv("OPSPOR_SECRET_KEY", "passwords-test")
    get_settings.cache_clear()
    try:
        assert get_settings().password_hash_profile == "production"
    finally:
        get_settings.cache_clear()


def test_production_hashes_are_argon2id_at_full_strength(profile) -> None:
    profile("production")
    hashed = passwords.hash_password("en-lang-adgangskode")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not PasswordHasher().check_needs_rehash(hashed)  # argon2-cffi's RFC 9106 low-memory profile
    assert passwords.verify_password(hashed, "en-lang-adgangskode")
    assert not passwords.verify_password(hashed, "en-anden-adgangskode")
    hasher = passwords.hasher_for("production")
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism, hasher.type) == (65536, 3, 4, Type.ID)


def test_the_test_profile_is_tiny_and_still_argon2id(profile) -> None:
    profile("test")
    hashed = passwords.hash_password("demo")
    assert hashed.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify_password(hashed, "demo") and not passwords.verify_password(hashed, "Demo")


def test_a_hash_verifies_under_either_profile(profile) -> None:
    """A hash carries its parameters: a strong hash verifies in tests, a test hash in production."""
    profile("production")
    strong = passwords.hash_password("demo")
    profile("test")
    tiny = passwords.hash_password("demo")
    assert passwords.verify_password(strong, "demo")
    profile("production")
    assert passwords.verify_password(tiny, "demo")


def test_unknown_users_and_broken_hashes_are_refused(profile) -> None:
    for name in ("production", "test"):
        profile(name)
        assert not passwords.verify_password(None, "opspor-no-such-user")
        assert not passwords.verify_password(None, "demo")
        assert not passwords.verify_password("not-a-hash", "demo")


def test_the_suite_hashes_with_the_test_profile() -> None:
    """What keeps the suite fast (conftest sets it for the tests and the servers they start)."""
    assert os.environ["OPSPOR_PASSWORD_HASH_PROFILE"] == "test"


def _own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="the nice value is per thread on Linux only")
def test_hashing_runs_on_threads_of_the_lowest_cpu_priority_and_the_caller_keeps_its_own(
    profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sign-in storm's argon2 work gets the cores only when page requests leave them: the
    hashing and the verifying run on the pool's own threads at nice 19, the request's thread is
    not lowered."""
    if _own_niceness() >= passwords.HASHING_NICENESS:
        pytest.skip("the tests already run at the lowest CPU priority: nothing lower to give")
    profile("test")
    seen: list[tuple[str, int]] = []
    real = passwords.hasher_for("test")

    class Watching:
        def hash(self, password: str) -> str:
            seen.append(("hash", _own_niceness()))
            return real.hash(password)

        def verify(self, hashed: str, password: str) -> bool:
            seen.append(("verify", _own_niceness()))
            return real.verify(hashed, password)

    monkeypatch.setattr(passwords, "hasher_for", lambda _profile: Watching())
    caller = _own_niceness()
    hashed = passwords.hash_password("en-lang-adgangskode")
    assert passwords.verify_password(hashed, "en-lang-adgangskode")
    assert not passwords.verify_password(hashed, "en-anden-adgangskode")
    assert seen == [("hash", 19), ("verify", 19), ("verify", 19)]
    assert _own_niceness() == caller < 19
