"""Hostile strings and a fuzzing object graph for rendering templates, and a parser that finds
what a hostile string would have injected (see tests/test_template_escaping.py)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from jinja2 import Undefined

EVIL = "evil.example"
#: Each one is dangerous on its own; every fuzzed value carries all of them.
HOSTILE_PARTS = [
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<form action="https://evil.example/">',
    '"><img src=x onerror=alert(1)>',
    "'><img src=x onerror=alert(1)>",
    "Q{{7*7}}Q",
    "\u202e<b data-rtl=1>\u200b</b>\u200b",
]
HOSTILE = "".join(HOSTILE_PARTS)


class Fuzz(Undefined):
    """A value for every name a template asks for: any attribute, key, item, call or loop gives
    another `Fuzz`, and printing it gives the hostile string. Iterating gives two items, so
    `for key, value in x.items()` works and every dict key is hostile too."""

    __slots__ = ()

    def __str__(self) -> str:
        return HOSTILE

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return Fuzz()

    def __getitem__(self, key: Any) -> Any:
        return Fuzz()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return Fuzz()

    def __iter__(self) -> Any:
        return iter([Fuzz(), Fuzz()])

    def __reversed__(self) -> Any:
        return iter([Fuzz(), Fuzz()])

    def __len__(self) -> int:
        return 2

    def __bool__(self) -> bool:
        return True

    def __contains__(self, item: Any) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return other is self

    def __ne__(self, other: object) -> bool:
        return other is not self

    def __hash__(self) -> int:
        return id(self)

    def __lt__(self, other: object) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def _same(self, *other: Any) -> Any:
        return Fuzz()

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _same
    __neg__ = __pos__ = __abs__ = __round__ = _same

    def __int__(self) -> int:
        return 2

    __index__ = __int__

    def __float__(self) -> float:
        return 2.0

    def __format__(self, spec: str) -> str:
        return HOSTILE


class FuzzWith(Fuzz):
    """A fuzzed object with some attributes fixed (to take a template's other branch)."""

    __slots__ = ("fixed",)

    def __init__(self, **fixed: Any) -> None:
        super().__init__()
        object.__setattr__(self, "fixed", fixed)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "fixed":
            raise AttributeError(name)
        return self.fixed[name] if name in self.fixed else Fuzz()

    def __getitem__(self, key: Any) -> Any:
        return self.fixed[key] if key in self.fixed else Fuzz()


class Injections(HTMLParser):
    """What a page's HTML would do that no template of ours ever writes on purpose."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # An escaped hostile string inside an attribute value is harmless text; what counts is
        # an element or attribute the hostile string itself created.
        names = {name for name, _value in attrs}
        content = (dict(attrs).get("content") or "").replace(" ", "")
        if tag == "meta" and "http-equiv" in names and content.startswith(f"0;url=https://{EVIL}"):
            self.found.append(f"<meta http-equiv> {dict(attrs)}")
        if tag == "form" and (dict(attrs).get("action") or "").startswith(f"https://{EVIL}"):
            self.found.append(f"<form> posting to {EVIL}")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")
        if "onerror" in names or "data-rtl" in names:
            self.found.append(f"<{tag}> with an injected attribute {sorted(names)}")


def injections(html: str) -> list[str]:
    """Every injected element or attribute in the page, and template code that was evaluated."""
    parser = Injections()
    parser.feed(html)
    parser.close()
    found = parser.found
    if "Q49Q" in html:
        found.append("{{7*7}} was evaluated")
    return found
