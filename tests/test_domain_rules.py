"""The pure rules of domain §4: ADBB, well-being, consent, transitions, notifications."""

from datetime import UTC, date, datetime

import pytest

from backend.domain import adbb, consent, notification, transition, wellbeing


@pytest.mark.parametrize(("total", "above"), [(0, False), (4, False), (5, True), (32, True)])
def test_adbb_cutoff_boundary_is_at_five(total: int, above: bool) -> None:
    assert adbb.is_above_cutoff(total, 5) is above


def test_adbb_total_sums_the_eight_items_only() -> None:
    items = dict.fromkeys(adbb.ITEMS, 2) | {"not_an_item": 4}
    assert adbb.total(items) == 16
    assert adbb.total({"eye_contact": 3}) == 3


@pytest.mark.parametrize(
    ("born", "screened", "outside"),
    [
        (date(2026, 1, 10), date(2026, 3, 9), True),  # 1 month
        (date(2026, 1, 10), date(2026, 3, 10), False),  # 2 months
        (date(2024, 1, 10), date(2026, 1, 10), False),  # 24 months
        (date(2024, 1, 10), date(2026, 2, 10), True),  # 25 months
    ],
)
def test_adbb_age_range_is_2_to_24_months(born: date, screened: date, outside: bool) -> None:
    assert adbb.age_is_outside_range(born, screened) is outside


def test_follow_up_is_due_after_the_interval() -> None:
    assert adbb.follow_up_due_on(date(2026, 11, 20), 14) == date(2026, 12, 4)


def _s(day: int, above: bool, occasion: str = "second") -> adbb.Screening:
    return adbb.Screening(occasion, date(2026, 5, day), above)


def test_two_in_a_row_over_the_cutoff_flags_considering_a_notification() -> None:
    assert adbb.consider_notification(_s(20, True, "follow_up"), [_s(1, True)])
    assert not adbb.consider_notification(_s(20, True, "follow_up"), [_s(1, False)])
    assert not adbb.consider_notification(_s(20, False, "follow_up"), [_s(1, True)])
    assert not adbb.consider_notification(_s(20, True, "follow_up"), [])
    # The latest earlier screening counts, not any earlier one.
    assert not adbb.consider_notification(_s(20, True, "follow_up"), [_s(1, True), _s(10, False)])


def test_joint_extra_attention_or_concern_always_involves_parents() -> None:
    assert wellbeing.parents_must_be_involved("concern")
    assert wellbeing.parents_must_be_involved("extra_attention")
    assert not wellbeing.parents_must_be_involved("thriving")
    assert not wellbeing.parents_must_be_involved(None)


def test_parent_hint_needs_two_non_thriving_individual_marks() -> None:
    assert not wellbeing.parent_involvement_hint(["thriving", "concern", None])
    assert wellbeing.parent_involvement_hint(["extra_attention", "concern", "thriving"])


def test_disagreements_are_found_per_area() -> None:
    marks = [
        {"social": "thriving", "overall": "thriving", "physical": "concern"},
        {"social": "concern", "overall": "thriving", "physical": None},
    ]
    assert wellbeing.disagreeing_areas(marks) == {"social"}


def test_movement_between_positions() -> None:
    assert wellbeing.moved("extra_attention", "thriving") == "better"
    assert wellbeing.moved("thriving", "concern") == "worse"
    assert wellbeing.moved("concern", "concern") == "same"
    assert wellbeing.moved(None, "concern") is None


def _fact(state: str, hour: int, scope: str = "t1") -> consent.ConsentFact:
    return consent.ConsentFact("transition_handover", scope, state, datetime(2026, 5, 1, hour, tzinfo=UTC))


def test_consent_gating_follows_the_latest_decision() -> None:
    assert not consent.allows([], "transition_handover", "t1")
    assert consent.allows([_fact("given", 9)], "transition_handover", "t1")
    assert not consent.allows([_fact("given", 9), _fact("withdrawn", 10)], "transition_handover", "t1")
    assert not consent.allows([_fact("refused", 9)], "transition_handover", "t1")
    assert not consent.allows([_fact("given", 9, scope="t2")], "transition_handover", "t1")


def test_transition_evaluation_is_three_to_four_months_after_start() -> None:
    assert transition.evaluation_window(date(2026, 8, 31)) == (date(2026, 11, 30), date(2026, 12, 31))
    assert transition.needs_transition_conversation("concern")
    assert not transition.needs_transition_conversation("thriving")


def test_notification_receipt_is_due_after_six_working_days() -> None:
    # Friday 20 Nov 2026 + 6 working days = Monday 30 Nov.
    assert notification.receipt_due_on(date(2026, 11, 20)) == date(2026, 11, 30)
    assert not notification.receipt_missing(date(2026, 11, 20), None, date(2026, 11, 30))
    assert notification.receipt_missing(date(2026, 11, 20), None, date(2026, 12, 1))
    assert not notification.receipt_missing(date(2026, 11, 20), date(2026, 11, 25), date(2026, 12, 9))
