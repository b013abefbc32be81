"""The pure transition rules: evaluation date and window, conversation date, handover gate."""

from datetime import date

from backend.domain import transition


def test_evaluation_defaults_to_three_months_after_the_start() -> None:
    assert transition.evaluation_due_on(date(2026, 8, 1)) == date(2026, 11, 1)
    assert transition.evaluation_due_on(date(2026, 8, 1), date(2026, 11, 20)) == date(2026, 11, 20)


def test_evaluation_must_lie_three_to_four_months_after_the_start() -> None:
    start = date(2026, 8, 31)
    assert not transition.evaluation_in_window(start, date(2026, 11, 29))
    assert transition.evaluation_in_window(start, date(2026, 11, 30))
    assert transition.evaluation_in_window(start, date(2026, 12, 31))
    assert not transition.evaluation_in_window(start, date(2027, 1, 1))


def test_conversation_is_due_a_month_before_the_start_but_never_in_the_past() -> None:
    on = date(2026, 5, 1)
    assert transition.conversation_due_on(on, date(2026, 8, 1)) == date(2026, 7, 2)
    assert transition.conversation_due_on(on, date(2026, 5, 10)) == on
    assert transition.conversation_due_on(on, None) == date(2026, 5, 16)


def test_only_a_final_description_with_given_consent_for_that_unit_is_handed_over() -> None:
    assert transition.handover_unit(True, "u1", "given", "u1") == "u1"
    assert transition.handover_unit(False, "u1", "given", "u1") is None
    assert transition.handover_unit(True, "u1", None, None) is None
    assert transition.handover_unit(True, "u1", "refused", "u1") is None
    assert transition.handover_unit(True, "u1", "withdrawn", "u1") is None
    assert transition.handover_unit(True, "u2", "given", "u1") is None
    assert transition.handover_unit(True, None, "given", None) is None
