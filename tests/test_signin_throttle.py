"""Sign-in hardening: no username enumeration by timing (L-1), throttling per account and address
with growing delays instead of a lock anyone can trigger (L-8)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import argon2
import pytest
import time_machine
from fastapi.testclient import TestClient

from backend.auth import passwords
from backend.auth.throttle import ACCOUNT_FACTOR, delay_after, record_attempt
from tests.support import user_named

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@contextmanager
def _client_from(app, address: str):
    with TestClient(
        app, base_url="http://127.0.0.1", follow_redirects=False, client=(address, 40000)
    ) as test_client:
        yield test_client


def _try(client, username: str, password: str) -> int:
    return client.post("/api/session", json={"username": username, "password": password}).status_code


# --- L-1: the same real hash check whether or not the username exists ----------------------------


@pytest.fixture
def verify_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the app does (the real hasher runs; only the call is noted)."""
    calls: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self, hash, password):
        calls.append(hash if isinstance(hash, str) else hash.decode())
        return real_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    return calls


def _make_user(db, username: str, *, active: bool = True, password: str | None = "rigtig-kode-123"):
    from backend.people.models import User

    paedagog = user_named(db, "demo-paedagog")
    user = User(
        municipality_id=paedagog.municipality_id,
        username=username,
        display_name=username,
        password_hash=passwords.hash_password(password) if password else None,
        active=active,
    )
    db.add(user)
    db.commit()
    return user


@pytest.mark.parametrize("case", ["known", "unknown", "inactive", "without_password"])
def test_every_wrong_sign_in_costs_one_real_password_check(client, db, demo, verify_calls, case) -> None:
    known = _make_user(db, "kendt-bruger")
    _make_user(db, "stoppet-bruger", active=False)
    _make_user(db, "kun-sso", password=None)  # e.g. a single-sign-on account
    username = {
        "known": "kendt-bruger",
        "unknown": "ingen-saadan-bruger",
        "inactive": "stoppet-bruger",
        "without_password": "kun-sso",
    }[case]
    assert _try(client, username, "forkert-kode") == 401
    assert len(verify_calls) == 1
    # Checked against a hash as costly as a real user's: same algorithm and parameters.
    real = argon2.extract_parameters(known.password_hash)
    assert argon2.extract_parameters(verify_calls[0]) == real


# --- L-8: throttling per account and address, growing delays -------------------------------------


def test_an_attacker_cannot_lock_the_real_user_out_from_another_address(app, demo) -> None:
    with _client_from(app, "203.0.113.7") as attacker:
        for _ in range(8):
            _try(attacker, "demo-leder", "gæt")
        assert _try(attacker, "demo-leder", "demo") == 429
    with _client_from(app, "198.51.100.20") as real_user:
        assert _try(real_user, "demo-leder", "demo") == 200


def test_failures_from_one_address_give_growing_waits_not_a_fixed_lock(app, demo) -> None:
    with time_machine.travel(START, tick=False) as traveller, _client_from(app, "203.0.113.7") as client:
        for _ in range(5):
            assert _try(client, "demo-leder", "gæt") == 401
        assert _try(client, "demo-leder", "demo") == 429  # even the right password waits
        traveller.shift(timedelta(seconds=29))
        assert _try(client, "demo-leder", "gæt") == 429
        traveller.shift(timedelta(seconds=2))  # 31 s after the 5th failure
        assert _try(client, "demo-leder", "gæt") == 401  # 6th failure: now 60 s
        traveller.shift(timedelta(seconds=59))
        assert _try(client, "demo-leder", "demo") == 429
        traveller.shift(timedelta(seconds=2))
        assert _try(client, "demo-leder", "gæt") == 401  # 7th failure: now 2 min
        traveller.shift(timedelta(seconds=119))
        assert _try(client, "demo-leder", "demo") == 429
        traveller.shift(timedelta(seconds=2))
        assert _try(client, "demo-leder", "demo") == 200  # and success forgets the failures
        assert _try(client, "demo-leder", "gæt") == 401


def test_the_wait_never_exceeds_the_configured_window() -> None:
    longest = timedelta(minutes=15)
    waits = [delay_after(n, 5, longest) for n in range(0, 40)]
    assert waits[:5] == [timedelta(0)] * 5
    assert waits[5:9] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits == sorted(waits) and max(waits) == longest


def test_the_account_across_all_addresses_has_a_much_higher_bar(app, db, demo) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        # Failures spread over many addresses, each below its own threshold.
        for n in range(5 * ACCOUNT_FACTOR - 1):
            record_attempt(db, "demo-leder", f"10.0.{n // 4}.{n % 4}", succeeded=False)
        db.commit()
        with _client_from(app, "198.51.100.20") as real_user:
            assert _try(real_user, "demo-leder", "demo") == 200
        record_attempt(db, "demo-leder", "10.9.9.9", succeeded=False)
        db.commit()
        with _client_from(app, "198.51.100.21") as someone:
            assert _try(someone, "demo-leder", "demo") == 429  # the whole account waits now
        traveller.shift(timedelta(seconds=31))
        with _client_from(app, "198.51.100.21") as someone:
            assert _try(someone, "demo-leder", "demo") == 200


def test_one_address_guessing_many_usernames_is_slowed_down(app, db, demo) -> None:
    with time_machine.travel(START, tick=False):
        for n in range(20):
            record_attempt(db, f"gaet-{n}", "203.0.113.7", succeeded=False)
        db.commit()
        with _client_from(app, "203.0.113.7") as client:
            assert _try(client, "demo-paedagog", "demo") == 429
        with _client_from(app, "198.51.100.20") as other:
            assert _try(other, "demo-paedagog", "demo") == 200
