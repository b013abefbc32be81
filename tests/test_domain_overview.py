"""The leader overview's rules (domain §10): who counts in a round, movement, ADBB, transitions."""

from datetime import date, timedelta

from backend.domain.adbb import Screening
from backend.domain.overview import (
    Stay,
    adbb_figures,
    age_band_of,
    distribution,
    evaluation_figures,
    membership,
    movement,
    outgoing_figures,
)
from backend.domain.settings import MunicipalSettings

OPENS, CLOSES = date(2026, 3, 2), date(2026, 4, 5)


def test_a_child_placed_all_round_counts() -> None:
    member = membership([Stay(date(2025, 1, 1), None, "r1")], OPENS, CLOSES, date(2026, 6, 1), False)
    assert (member.in_round, member.counted, member.joined, member.left, member.room_id) == (
        True, True, False, False, "r1",
    )  # fmt: skip


def test_a_child_who_joined_mid_round_counts_and_is_marked_joined() -> None:
    member = membership([Stay(date(2026, 3, 20), None)], OPENS, CLOSES, date(2026, 6, 1), False)
    assert member.counted and member.joined and not member.left


def test_a_child_who_left_mid_round_counts_only_when_assessed() -> None:
    stays = [Stay(date(2025, 1, 1), date(2026, 3, 15))]
    assert not membership(stays, OPENS, CLOSES, date(2026, 6, 1), False).counted
    left = membership(stays, OPENS, CLOSES, date(2026, 6, 1), True)
    assert left.counted and left.left


def test_a_child_placed_after_the_round_is_not_in_it() -> None:
    assert not membership([Stay(date(2026, 4, 6), None)], OPENS, CLOSES, date(2026, 6, 1), True).in_round
    # ends_on is exclusive: a placement ending on the opening day never touched the round
    assert not membership([Stay(date(2025, 1, 1), OPENS)], OPENS, CLOSES, date(2026, 6, 1), True).in_round


def test_an_open_round_is_read_on_today() -> None:
    # A child leaving after today but before the round closes is still in the unit today.
    stays = [Stay(date(2025, 1, 1), date(2026, 4, 1))]
    assert not membership(stays, OPENS, CLOSES, date(2026, 3, 20), False).left


def test_a_room_change_within_the_unit_is_not_leaving() -> None:
    stays = [
        Stay(date(2024, 1, 1), date(2026, 3, 10), "nursery"),
        Stay(date(2026, 3, 10), None, "kindergarten"),
    ]
    member = membership(stays, OPENS, CLOSES, date(2026, 6, 1), False)
    assert member.counted and not member.left and not member.joined and member.room_id == "kindergarten"


def test_movement_counts_children_with_a_position_in_both_rounds() -> None:
    before = {"a": "thriving", "b": "extra_attention", "c": "concern", "d": "extra_attention"}
    now = {"a": "extra_attention", "b": "thriving", "c": "concern", "e": "thriving"}
    matrix = movement(before, now)
    assert matrix["thriving"]["extra_attention"] == 1
    assert matrix["extra_attention"]["thriving"] == 1
    assert matrix["concern"]["concern"] == 1
    assert sum(sum(row.values()) for row in matrix.values()) == 3


def test_distribution_ignores_missing_positions() -> None:
    assert distribution(["thriving", "concern", None, "thriving", "bogus"]) == {
        "thriving": 2, "extra_attention": 0, "concern": 1,
    }  # fmt: skip


def test_age_bands() -> None:
    on = date(2026, 6, 1)
    assert age_band_of(date(2026, 1, 1), on) == "0-1"
    assert age_band_of(date(2024, 6, 2), on) == "1-3"
    assert age_band_of(date(2023, 6, 1), on) == "3-6"


def test_adbb_screenings_inside_and_outside_their_windows() -> None:
    settings = MunicipalSettings()  # windows 2–4 and 8–11 months, follow-up 14 days, cut-off 5
    birth = date(2025, 1, 10)  # first window 10 Mar – 10 May 2025; second 10 Sep – 10 Dec 2025
    screenings = [
        Screening("first", date(2025, 5, 20), True),  # late, over the cut-off
        Screening("follow_up", date(2025, 5, 30), False),  # 10 days later: in time
        Screening("second", date(2025, 10, 1), False),
    ]
    figures = adbb_figures(birth, screenings, date(2025, 1, 1), date(2025, 12, 31), settings)
    assert (figures.first_due, figures.first_on_time) == (1, 0)
    assert (figures.second_due, figures.second_on_time) == (1, 1)
    assert (figures.screenings, figures.above_cutoff) == (3, 1)
    assert (figures.follow_ups_due, figures.follow_ups_in_time) == (1, 1)
    # A follow-up 20 days later is outside the 14-day interval.
    late = [screenings[0], Screening("follow_up", date(2025, 6, 9), False)]
    figures = adbb_figures(birth, late, date(2025, 1, 1), date(2025, 12, 31), settings)
    assert (figures.follow_ups_due, figures.follow_ups_in_time) == (1, 0)


def test_transition_figures() -> None:
    starts = date(2026, 8, 1)
    sent = outgoing_figures(starts, "given", starts - timedelta(days=14))
    assert (sent.outgoing, sent.consent_given, sent.consent_refused, sent.described_before_start) == (
        1,
        1,
        0,
        1,
    )
    late = outgoing_figures(starts, "refused", starts)
    assert (late.consent_refused, late.described_before_start) == (1, 0)
    in_time = evaluation_figures(starts, date(2026, 11, 15), date(2026, 6, 1), date(2026, 12, 31))
    assert (in_time.evaluations_due, in_time.evaluations_in_time) == (1, 1)
    early = evaluation_figures(starts, date(2026, 9, 1), date(2026, 6, 1), date(2026, 12, 31))
    assert (early.evaluations_due, early.evaluations_in_time) == (1, 0)
    not_yet = evaluation_figures(starts, None, date(2026, 6, 1), date(2026, 10, 1))
    assert not_yet.evaluations_due == 0
