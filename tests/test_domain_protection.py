"""How the server records a phone's protection (issue 20): the set of methods, one value."""

from __future__ import annotations

import pytest

from backend.domain.protection import protection_of


@pytest.mark.parametrize(
    ("methods", "stored"),
    [
        (["pin"], "pin"),
        (["passkey"], "passkey"),
        (["passkey", "pin"], "passkey+pin"),
        (["pin", "passkey"], "passkey+pin"),
        (("pin", "pin", "passkey", "passkey"), "passkey+pin"),
        (["pin", "pin"], "pin"),
    ],
)
def test_the_methods_are_stored_as_one_value_whatever_their_order(methods, stored) -> None:
    assert protection_of(methods) == stored
    assert len(stored) <= 20  # the column (migration 0020)


@pytest.mark.parametrize(
    "methods",
    [None, [], (), "pin", "passkey+pin", ["face"], ["pin", "face"], [None], [1], {"pin": 1}, ["PIN"]],
)
def test_anything_else_is_no_protection(methods) -> None:
    assert protection_of(methods) is None
