"""How a phone guards the offline data it holds (issue 20), as the server records it: the set of
methods the phone says it holds, normalized to one value ("pin", "passkey" or "passkey+pin")."""

from __future__ import annotations

#: The methods a phone may guard its data with, in the order they are stored.
PROTECTIONS = ("passkey", "pin")
SEPARATOR = "+"


def protection_of(methods: object) -> str | None:
    """The stored value for the methods a phone says it holds: each known method once, in
    PROTECTIONS order, joined by "+" (so order and repeats do not matter). None when `methods`
    is not a non-empty list (or tuple) of known method names."""
    if not isinstance(methods, list | tuple) or not methods:
        return None
    if any(not isinstance(method, str) or method not in PROTECTIONS for method in methods):
        return None
    return SEPARATOR.join(method for method in PROTECTIONS if method in methods)
