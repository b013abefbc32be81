"""Pure rules of dialogue meetings and professional sparring (domain §4.3, §4.4)."""

from datetime import date, timedelta
from itertools import count

import pytest

from backend.domain import meetings


def test_consent_is_needed_only_when_someone_outside_parents_and_own_staff_joins() -> None:
    assert meetings.needs_meeting_consent(["parent", "staff"]) is False
    assert meetings.needs_meeting_consent([]) is False
    assert meetings.needs_meeting_consent([None, "parent"]) is False
    assert meetings.needs_meeting_consent(["parent", "external"]) is True


@pytest.mark.parametrize(
    ("needed", "offered", "mismatch"),
    [
        ("big", "big", False),
        ("big", "small", True),
        ("small", "big", True),
        ("big", "both", False),
        ("both", "big", True),
        ("small", "none", True),
        (None, "big", False),
    ],
)
def test_hand_mismatch(needed, offered, mismatch: bool) -> None:
    assert meetings.hand_mismatch(needed, offered) is mismatch


def test_a_named_case_needs_consent_or_a_written_legal_basis() -> None:
    assert meetings.reflection_basis_ok(True, None)
    assert meetings.reflection_basis_ok(False, "Underretningssag, servicelovens regler om …")
    assert not meetings.reflection_basis_ok(False, "   ")
    assert not meetings.reflection_basis_ok(False, None)


def test_a_trial_action_is_followed_up_with_outcome_and_difference_for_the_child() -> None:
    assert meetings.trial_action_done("Det hjalp", "yes")
    assert not meetings.trial_action_done("Det hjalp", None)
    assert not meetings.trial_action_done(" ", "no")


def test_trial_actions_are_followed_up_within_a_year() -> None:
    today = date(2026, 11, 23)
    assert not meetings.trial_action_too_far(today + timedelta(days=366), today)
    assert meetings.trial_action_too_far(today + timedelta(days=367), today)


def test_next_meeting_must_come_after_this_one() -> None:
    held = date(2026, 11, 1)
    assert meetings.next_meeting_before_this(held, held)
    assert not meetings.next_meeting_before_this(held, held + timedelta(days=1))
    assert not meetings.next_meeting_before_this(None, held)


def _keys() -> object:
    numbers = count(1)
    return lambda: f"new{next(numbers)}"


def test_row_keys_follow_their_rows_when_rows_move_or_go() -> None:
    previous = [("aaaa1111", "Fast sengetid"), ("bbbb2222", "Ring til PPR")]
    # The first row removed, a new one added, the kept one sent without its key (a JSON client).
    rows = [(None, "Ring til PPR"), (None, "Ny aftale")]
    assert meetings.row_keys(rows, previous, _keys()) == ["bbbb2222", "new1"]


def test_row_keys_sent_by_the_client_win_and_are_used_once() -> None:
    previous = [("aaaa1111", "A")]
    rows = [("cccc3333", "A"), ("cccc3333", "B"), (None, "A")]
    assert meetings.row_keys(rows, previous, _keys()) == ["cccc3333", "new1", "aaaa1111"]


def test_identical_rows_get_separate_keys() -> None:
    previous = [("aaaa1111", "Samme"), ("bbbb2222", "Samme")]
    rows = [(None, "Samme"), (None, "Samme"), (None, "Samme")]
    assert meetings.row_keys(rows, previous, _keys()) == ["aaaa1111", "bbbb2222", "new1"]
