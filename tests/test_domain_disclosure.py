"""Disclosure control for municipality reports (domain §7): small counts, shares, totals."""

from backend.domain.disclosure import (
    COMPLEMENT,
    PRIMARY,
    Sum,
    exposed,
    protect,
    shown_count,
    shown_share,
)


def test_a_count_of_4_is_hidden_and_5_is_shown() -> None:
    hidden = protect({"a": 4, "b": 5}, [])
    assert hidden == {"a": PRIMARY}
    assert shown_count(4, hidden.get("a")) == "<5"
    assert shown_count(5, hidden.get("b")) == "5"


def test_zero_is_a_count_below_5() -> None:
    assert protect({"none": 0}, []) == {"none": PRIMARY}


def test_a_share_needs_numerator_and_denominator_of_at_least_5() -> None:
    assert shown_share(5, 10, False, False) == "50 %"
    assert shown_share(4, 10, False, False) == ""
    assert shown_share(5, 4, False, False) == ""
    assert shown_share(6, 12, True, False) == ""  # hidden for another cell's sake
    assert shown_share(6, 12, False, True) == ""


def test_a_total_that_would_reveal_a_hidden_cell_hides_a_second_one() -> None:
    # 20 assessed = 12 thriving + 6 extra attention + 2 concern: "2" is hidden, and with the
    # total shown it could be computed back (20 - 12 - 6), so the smallest other part goes too.
    values = {"assessed": 20, "thriving": 12, "extra": 6, "concern": 2}
    hidden = protect(values, [Sum("assessed", ("thriving", "extra", "concern"))])
    assert hidden == {"concern": PRIMARY, "extra": COMPLEMENT}
    assert shown_count(6, hidden["extra"]) == "x"  # not "<5": it may well be 5 or more


def test_two_small_cells_need_no_second_one() -> None:
    values = {"assessed": 20, "thriving": 13, "extra": 4, "concern": 3}
    hidden = protect(values, [Sum("assessed", ("thriving", "extra", "concern"))])
    assert hidden == {"extra": PRIMARY, "concern": PRIMARY}


def test_hidden_cells_that_must_all_be_zero_are_protected() -> None:
    # 12 = 12 + <5 + <5 tells that both hidden cells are 0.
    values = {"assessed": 12, "thriving": 12, "extra": 0, "concern": 0}
    hidden = protect(values, [Sum("assessed", ("thriving", "extra", "concern"))])
    assert hidden["thriving"] == COMPLEMENT


def test_hidden_cells_that_must_all_be_4_are_protected() -> None:
    values = {"assessed": 20, "thriving": 12, "extra": 4, "concern": 4}
    hidden = protect(values, [Sum("assessed", ("thriving", "extra", "concern"))])
    assert hidden["thriving"] == COMPLEMENT


def test_protection_carries_across_rows_and_columns() -> None:
    # Two units of one type; the type row is their sum. Unit 1's concern (3) is hidden; the
    # type's concern (3 + 7 = 10) would give it away, so unit 2's concern is hidden too; and then
    # unit 2's own row (assessed = thriving + concern) needs a second hidden cell.
    values = {
        ("u1", "assessed"): 10, ("u1", "thriving"): 7, ("u1", "concern"): 3,
        ("u2", "assessed"): 20, ("u2", "thriving"): 13, ("u2", "concern"): 7,
        ("type", "assessed"): 30, ("type", "thriving"): 20, ("type", "concern"): 10,
    }  # fmt: skip
    sums = [Sum((row, "assessed"), ((row, "thriving"), (row, "concern"))) for row in ("u1", "u2", "type")]
    sums += [Sum(("type", key), (("u1", key), ("u2", key))) for key in ("assessed", "thriving", "concern")]
    hidden = protect(values, sums)
    assert ("u1", "concern") in hidden and ("u2", "concern") in hidden
    for relation in sums:
        members = (relation.total, *relation.parts)
        assert sum(1 for m in members if m in hidden) != 1, relation


def test_a_one_part_sum_hides_its_total() -> None:
    hidden = protect({"type": 3, "unit": 3}, [Sum("type", ("unit",))])
    assert set(hidden) == {"type", "unit"}
    hidden = protect({"type": 9, "unit": 9}, [Sum("type", ("unit",))])
    assert hidden == {}


def test_two_sums_together_cannot_pin_a_hidden_cell() -> None:
    # Store: 20 = 12 + extra + concern(<5); type: extra(12) = Lille's extra (<5) + Store's extra.
    # Each sum alone leaves room, together they give 8 = Store's extra and 4 = Lille's.
    values = {
        "lille.extra": 4, "store.extra": 8, "type.extra": 12,
        "store.assessed": 20, "store.thriving": 12, "store.concern": 0,
    }  # fmt: skip
    sums = [
        Sum("type.extra", ("lille.extra", "store.extra")),
        Sum("store.assessed", ("store.thriving", "store.extra", "store.concern")),
    ]
    hidden = protect(values, sums)
    assert exposed(values, sums, hidden) == set()
    assert "lille.extra" in hidden and "store.extra" in hidden
    assert "type.extra" in hidden or "store.thriving" in hidden
