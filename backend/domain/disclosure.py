"""Statistical disclosure control for municipality reports (domain §7). Plain functions, no I/O.

A municipality report holds counts and shares only. The rules:

- **Primary suppression**: a count below `THRESHOLD` (5) is hidden and shown as "<5". Zero is a
  count below 5 too: "no child in this unit is in concern" says something about every child.
- **Shares**: a share is shown only when both its numerator and denominator are shown (each at
  least 5 and not hidden for another reason) — otherwise the share and the visible part would
  give the hidden one away.
- **Complementary suppression**: wherever a total is the sum of other cells (the positions add
  up to the children assessed; the units add up to their unit type; the types to the
  municipality), a single hidden cell could be computed back from the total. So for every such
  sum that has exactly one hidden cell, one more is hidden — the smallest visible part (or the
  total, when every part is hidden already) — and this repeats until no sum gives a hidden cell
  away. A sum also gives hidden cells away when the visible numbers leave them 0 in all (every
  hidden part is 0) or the most they can be (every "<5" part is 4); such a sum gets one more
  hidden cell too. Cells hidden for another's sake are shown as "x", not "<5" (they may be 5 or
  more). Then an audit narrows every hidden cell's possible range through all the sums together
  (two sums can pin a cell that neither pins alone); a cell whose range shrinks to one value
  gets a neighbour hidden, until no hidden cell can be worked out exactly. Not optimal (it may
  hide more than a linear-programming method would), and ranges are not widened to a minimum
  width: knowing that a hidden cell is "between 4 and 8" is accepted.

Cells are named by any hashable key; a sum is `Sum(total=key, parts=[keys])`. A cell that is
never published but can be worked out from published ones (a report's children outside every age
band: the unfiltered count minus the bands) is passed in `unpublished`: it is protected like any
other cell (below 5 it counts as hidden), but hiding it protects nothing, so it is never chosen
as the complementary cell.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass

THRESHOLD = 5
HIDDEN = "<5"
#: How a cell hidden only to protect another is shown (its value may well be 5 or more).
COMPLEMENTARY_MARK = "x"
PRIMARY = "primary"
COMPLEMENT = "complement"


@dataclass(frozen=True)
class Sum:
    """`values[total] == sum(values[part] for part in parts)`."""

    total: Hashable
    parts: tuple[Hashable, ...]


def is_small(count: int) -> bool:
    """A count that is suppressed on its own (below 5)."""
    return count < THRESHOLD


def primary(values: Mapping[Hashable, int]) -> set[Hashable]:
    """The cells hidden because they are below the threshold."""
    return {key for key, value in values.items() if is_small(value)}


def protect(
    values: Mapping[Hashable, int], sums: Iterable[Sum], unpublished: Collection[Hashable] = ()
) -> dict[Hashable, str]:
    """Every cell to hide, as key → `PRIMARY` (below 5, shown "<5") or `COMPLEMENT` (hidden so
    that no sum gives a hidden cell away, shown "x")."""
    sums = [s for s in sums if s.total in values and all(p in values for p in s.parts)]
    hidden = dict.fromkeys(primary(values), PRIMARY)
    fixed = frozenset(unpublished)
    while True:
        _quick_rules(values, sums, hidden, fixed)
        revealed = exposed(values, sums, hidden)
        if not revealed:
            return hidden
        if not _hide_next_to(values, sums, hidden, revealed, fixed):
            return hidden  # nothing left to hide around the revealed cells


def _quick_rules(
    values: Mapping[Hashable, int], sums: list[Sum], hidden: dict[Hashable, str], fixed: frozenset
) -> None:
    changed = True
    while changed:
        changed = False
        for relation in sums:
            if _reveals(values, relation, hidden):
                key = _complement(values, relation, hidden, fixed)
                if key is not None:
                    hidden[key] = COMPLEMENT
                    changed = True


def exposed(values: Mapping[Hashable, int], sums: list[Sum], hidden: Mapping[Hashable, str]) -> set[Hashable]:
    """The hidden cells whose value can be worked out exactly from everything shown: bounds are
    narrowed sum by sum ("<5" cells lie in 0–4, "x" cells are 0 or more) until they settle."""
    low: dict[Hashable, float] = {}
    high: dict[Hashable, float] = {}
    for key, value in values.items():
        if key not in hidden:
            low[key] = high[key] = value
        else:
            low[key], high[key] = 0, (THRESHOLD - 1 if hidden[key] == PRIMARY else math.inf)
    relevant = [r for r in sums if r.total in hidden or any(p in hidden for p in r.parts)]
    # A work list: a sum is narrowed again only when one of its cells' bounds changed.
    by_member: dict[Hashable, list[int]] = {}
    for index, relation in enumerate(relevant):
        for member in (relation.total, *relation.parts):
            by_member.setdefault(member, []).append(index)
    queue = deque(range(len(relevant)))
    queued = set(queue)
    budget = 100 * len(relevant)
    while queue and budget > 0:
        budget -= 1
        index = queue.popleft()
        queued.discard(index)
        relation = relevant[index]
        members = (relation.total, *relation.parts)
        before = [(low[m], high[m]) for m in members]
        if not _narrow(relation, low, high):
            continue
        for member, (was_low, was_high) in zip(members, before, strict=True):
            if low[member] != was_low or high[member] != was_high:
                for other in by_member[member]:
                    if other not in queued:
                        queue.append(other)
                        queued.add(other)
    return {key for key in hidden if low[key] == high[key]}


def _narrow(relation: Sum, low: dict[Hashable, float], high: dict[Hashable, float]) -> bool:
    changed = False
    total, parts = relation.total, relation.parts
    sum_low, sum_high = sum(low[p] for p in parts), sum(high[p] for p in parts)
    if sum_low > low[total]:
        low[total], changed = sum_low, True
    if sum_high < high[total]:
        high[total], changed = sum_high, True
    for part in parts:
        others_high = sum_high - high[part]
        others_low = sum_low - low[part]
        new_low = low[total] - others_high if others_high != math.inf else -math.inf
        new_high = high[total] - others_low
        if new_low > low[part]:
            low[part], changed = new_low, True
        if new_high < high[part]:
            high[part], changed = new_high, True
    return changed


def _hide_next_to(
    values: Mapping[Hashable, int],
    sums: list[Sum],
    hidden: dict[Hashable, str],
    revealed: set[Hashable],
    fixed: frozenset = frozenset(),
) -> bool:
    """For each revealed cell, hide one more cell in a sum that holds it: the smallest visible
    part there (one pass over the sums, so large reports need few rounds of the audit)."""
    covered: set[Hashable] = set()
    hid = False
    for relation in sums:
        members = (relation.total, *relation.parts)
        if not any(m in revealed and m not in covered for m in members):
            continue
        key = _complement(values, relation, hidden, fixed)
        if key is not None:
            hidden[key] = COMPLEMENT
            covered.update(m for m in members if m in revealed)
            hid = True
    return hid


def _reveals(values: Mapping[Hashable, int], relation: Sum, hidden: Mapping[Hashable, str]) -> bool:
    """Whether a sum pins down a hidden cell: it has exactly one hidden member, or its visible
    total leaves the hidden parts a remainder of 0 (all are 0) or the most they can hold (each
    "<5" cell is 4)."""
    members = (relation.total, *relation.parts)
    count = sum(1 for key in members if key in hidden)
    if count == 0:
        return False
    if count == 1:
        return True
    if relation.total in hidden:
        return False
    hidden_parts = [p for p in relation.parts if p in hidden]
    remainder = values[relation.total] - sum(values[p] for p in relation.parts if p not in hidden)
    if remainder == 0:
        return True
    if any(hidden[p] != PRIMARY for p in hidden_parts):
        return False  # a cell hidden for another's sake has no known upper bound
    return remainder == (THRESHOLD - 1) * len(hidden_parts)


def _complement(
    values: Mapping[Hashable, int],
    relation: Sum,
    hidden: Mapping[Hashable, str],
    fixed: frozenset = frozenset(),
) -> Hashable | None:
    """The next cell to hide in a revealing sum: the smallest visible published part (ties: the
    first), else the total (None when everything that could be hidden is hidden already)."""
    visible_parts = [p for p in relation.parts if p not in hidden and p not in fixed]
    if visible_parts:
        return min(visible_parts, key=lambda p: values[p])
    return relation.total if relation.total not in hidden and relation.total not in fixed else None


def shown_count(value: int, hidden: str | None) -> str:
    """A count as the report shows it: the number, "<5" or (hidden for another's sake) "x"."""
    if hidden is None:
        return str(value)
    return HIDDEN if hidden == PRIMARY else COMPLEMENTARY_MARK


def shown_share(numerator: int, denominator: int, numerator_hidden: bool, denominator_hidden: bool) -> str:
    """A share in whole per cent, or "" when either part is hidden or below 5."""
    if numerator_hidden or denominator_hidden or is_small(numerator) or is_small(denominator):
        return ""
    return f"{round(100 * numerator / denominator)} %"
