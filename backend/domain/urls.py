"""Where the app may send a browser back to after signing in: only its own pages.

A `next=` value comes from the address bar, so anyone can craft it. Browsers are lenient with
what they are given in a `Location` header: they drop TAB, CR and LF anywhere, strip leading and
trailing control characters and spaces, and read `\\` as `/`. A check on the raw string is
therefore not enough (`/\t/evil.example` passes a "starts with `//`" test but a browser reads it
as `//evil.example`, another site). `local_path` refuses every value with a control character or
backslash (raw, or percent-encoded in the path), resolves the rest against a fixed origin and accepts it only
when it stays on that origin as an absolute path.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

#: Anything but printable ASCII without the backslash: control characters, space, DEL, `\\` and
#: raw non-ASCII are never part of a path the app itself links to (browsers send them encoded).
_UNSAFE = re.compile(r"[^\x21-\x5b\x5d-\x7e]")
_ORIGIN = "https://opspor.invalid"
MAX_LENGTH = 2000


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` when it is a path on this site (with its query), else `fallback`."""
    if not target or len(target) > MAX_LENGTH or not target.startswith("/"):
        return fallback
    if _UNSAFE.search(target):
        return fallback
    path = target.split("?", 1)[0].split("#", 1)[0]
    for _ in range(4):  # %252F... : look through a few layers of percent-encoding of the path
        if _UNSAFE.search(path) or path.startswith("//"):
            return fallback
        path = unquote(path)
    resolved = urlsplit(urljoin(_ORIGIN + "/", target))
    if f"{resolved.scheme}://{resolved.netloc}" != _ORIGIN or not resolved.path.startswith("/"):
        return fallback
    if resolved.path.startswith("//"):
        return fallback
    return resolved.path + (f"?{resolved.query}" if resolved.query else "")
