"""Due-work and push-time rules (domain §8–§9), at their boundaries."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from backend.domain import schedules
from backend.domain.adbb import Screening
from backend.domain.dates import COPENHAGEN, now_local, today
from backend.domain.schedules import DueWork
from backend.domain.settings import MonthWindow, MunicipalSettings

DEFAULTS = MunicipalSettings()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=COPENHAGEN)


def kinds(due: list[DueWork]) -> list[str]:
    return [d.kind for d in due]


# --- ADBB windows -------------------------------------------------------------------------------


def test_first_screening_opens_on_the_two_month_birthday_and_falls_due_at_four_months() -> None:
    born = date(2026, 1, 15)
    assert schedules.adbb_screenings_due(born, date(2026, 3, 14), DEFAULTS, []) == []
    due = schedules.adbb_screenings_due(born, date(2026, 3, 15), DEFAULTS, [])
    assert due == [DueWork("adbb_first", date(2026, 3, 15), date(2026, 5, 15))]
    assert not due[0].overdue(date(2026, 5, 15))
    assert due[0].overdue(date(2026, 5, 16))


def test_second_screening_window_is_eight_to_eleven_months_and_replaces_the_first() -> None:
    born = date(2026, 1, 15)
    on = date(2026, 9, 15)  # 8 months: the first is no longer asked for
    assert schedules.adbb_screenings_due(born, on - timedelta(days=1), DEFAULTS, []) == [
        DueWork("adbb_first", date(2026, 3, 15), date(2026, 5, 15))
    ]
    assert schedules.adbb_screenings_due(born, on, DEFAULTS, []) == [
        DueWork("adbb_second", date(2026, 9, 15), date(2026, 12, 15))
    ]


def test_second_screening_is_no_longer_asked_for_after_twenty_four_months() -> None:
    born = date(2024, 1, 15)
    assert kinds(schedules.adbb_screenings_due(born, date(2026, 2, 14), DEFAULTS, [])) == ["adbb_second"]
    assert schedules.adbb_screenings_due(born, date(2026, 2, 15), DEFAULTS, []) == []


def test_a_screening_of_the_right_occasion_in_the_window_satisfies_it() -> None:
    born = date(2026, 1, 15)
    on = date(2026, 4, 1)
    in_window = Screening("first", date(2026, 3, 20))
    assert schedules.adbb_screenings_due(born, on, DEFAULTS, [in_window]) == []
    wrong_occasion = Screening("ad_hoc", date(2026, 3, 20))
    assert kinds(schedules.adbb_screenings_due(born, on, DEFAULTS, [wrong_occasion])) == ["adbb_first"]


def test_early_grace_is_fourteen_days_before_the_window_and_late_work_counts() -> None:
    born = date(2026, 1, 15)
    window = schedules.month_window(born, DEFAULTS.adbb_first_window)
    assert schedules.screening_satisfies(window, "first", Screening("first", date(2026, 3, 1)))
    assert not schedules.screening_satisfies(window, "first", Screening("first", date(2026, 2, 28)))
    late = Screening("first", date(2026, 6, 1))
    assert schedules.screening_satisfies(window, "first", late)
    assert not schedules.screened_on_time(window, "first", [late])
    assert schedules.screened_on_time(window, "first", [Screening("first", date(2026, 5, 15))])


def test_windows_come_from_the_municipal_settings() -> None:
    settings = MunicipalSettings(adbb_first_window=MonthWindow(from_month=3, to_month=5))
    born = date(2026, 1, 15)
    assert schedules.adbb_screenings_due(born, date(2026, 4, 14), settings, []) == []
    assert schedules.adbb_screenings_due(born, date(2026, 4, 15), settings, []) == [
        DueWork("adbb_first", date(2026, 4, 15), date(2026, 6, 15))
    ]


def test_a_child_born_on_29_february_gets_month_ends_not_march_dates() -> None:
    born = date(2024, 2, 29)
    settings = MunicipalSettings(adbb_second_window=MonthWindow(from_month=8, to_month=12))
    first = schedules.adbb_screenings_due(born, date(2024, 4, 29), settings, [])
    assert first == [DueWork("adbb_first", date(2024, 4, 29), date(2024, 6, 29))]
    assert schedules.adbb_screenings_due(born, date(2024, 4, 28), settings, []) == []
    second = schedules.adbb_screenings_due(born, date(2024, 10, 29), settings, [])
    assert second == [DueWork("adbb_second", date(2024, 10, 29), date(2025, 2, 28))]
    assert not second[0].overdue(date(2025, 2, 28)) and second[0].overdue(date(2025, 3, 1))


def test_a_child_born_on_31_december_reaches_two_months_on_the_last_day_of_february() -> None:
    assert schedules.month_window(date(2023, 12, 31), DEFAULTS.adbb_first_window) == schedules.Window(
        date(2024, 2, 29), date(2024, 4, 30)
    )
    window = schedules.month_window(date(2024, 12, 31), DEFAULTS.adbb_first_window)
    assert window.opens_on == date(2025, 2, 28)


# --- Rounds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "stage"),
    [
        (date(2026, 3, 1), "upcoming"),
        (date(2026, 3, 2), "opens"),
        (date(2026, 3, 3), "open"),
        (date(2026, 3, 29), "open"),
        (date(2026, 3, 30), "closing"),  # 7 days before closing
        (date(2026, 4, 6), "closing"),
        (date(2026, 4, 7), "overdue"),
    ],
)
def test_round_stages(on: date, stage: str) -> None:
    assert schedules.round_stage(date(2026, 3, 2), date(2026, 4, 6), on, closing_days=7) == stage


def test_round_pushes_once_when_it_opens_and_once_when_it_is_about_to_close() -> None:
    opens, closes = date(2026, 3, 2), date(2026, 4, 6)
    assert schedules.round_push_stage(opens, closes, date(2026, 3, 1), 7) is None
    assert schedules.round_push_stage(opens, closes, date(2026, 3, 2), 7) == "opens"
    assert schedules.round_push_stage(opens, closes, date(2026, 3, 4), 7) == "opens"  # opened on a weekend
    assert schedules.round_push_stage(opens, closes, date(2026, 3, 5), 7) is None
    assert schedules.round_push_stage(opens, closes, date(2026, 3, 30), 7) == "closing"
    assert schedules.round_push_stage(opens, closes, date(2026, 4, 7), 7) is None


def test_round_task_stays_open_eight_weeks_after_the_round_closed() -> None:
    opens, closes = date(2026, 3, 2), date(2026, 4, 6)
    assert not schedules.round_task_wanted(opens, closes, date(2026, 3, 1))
    assert schedules.round_task_wanted(opens, closes, date(2026, 3, 2))
    assert schedules.round_task_wanted(opens, closes, closes + timedelta(days=56))
    assert not schedules.round_task_wanted(opens, closes, closes + timedelta(days=57))


# --- Meetings, trial actions, transitions -------------------------------------------------------


def test_agreements_and_trial_actions_fall_due_on_their_date_or_after_the_default() -> None:
    held = date(2026, 3, 2)
    assert schedules.agreement_due_on(date(2026, 3, 20), held, 30) == date(2026, 3, 20)
    assert schedules.agreement_due_on(None, held, 30) == date(2026, 4, 1)
    assert schedules.trial_action_due_on(None, held, 14) == date(2026, 3, 16)
    assert schedules.next_meeting_due_on(date(2026, 5, 1)) == date(2026, 5, 1)


def test_transition_description_is_due_fourteen_days_before_the_start() -> None:
    starts = date(2026, 8, 1)
    due = schedules.transition_description_due(starts, date(2026, 6, 1), 14)
    assert due == DueWork("transition_description", date(2026, 6, 1), date(2026, 7, 18))
    assert schedules.transition_description_due(starts, starts, 14) is None  # the child has moved
    assert schedules.transition_description_due(starts, date(2026, 7, 31), 14).overdue(date(2026, 7, 31))
    assert schedules.transition_description_due(starts, starts - timedelta(days=184), 14) is None
    assert schedules.transition_description_due(starts, starts - timedelta(days=183), 14) is not None


def test_transition_evaluation_window_is_three_to_four_months_after_the_start() -> None:
    starts = date(2025, 11, 30)
    assert schedules.transition_evaluation_due(starts, date(2026, 2, 27)) is None
    due = schedules.transition_evaluation_due(starts, date(2026, 2, 28))  # 30 Nov + 3 months
    assert due == DueWork("transition_evaluation", date(2026, 2, 28), date(2026, 3, 30))


# --- When pushes may go out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (local(2026, 11, 23, 6, 59), False),  # Monday, night
        (local(2026, 11, 23, 7, 0), True),
        (local(2026, 11, 23, 19, 59), True),
        (local(2026, 11, 23, 20, 0), False),
        (local(2026, 11, 28, 10, 0), False),  # Saturday
        (local(2026, 11, 29, 10, 0), False),  # Sunday
        (local(2026, 4, 6, 10, 0), False),  # Easter Monday
        (local(2026, 5, 14, 10, 0), False),  # Ascension Day
        (local(2026, 12, 25, 10, 0), False),  # Christmas Day
        (local(2026, 5, 15, 10, 0), True),  # the Friday after Ascension is a working day
    ],
)
def test_pushes_only_on_working_days_and_not_at_night(moment: datetime, allowed: bool) -> None:
    assert schedules.is_push_time(moment) is allowed


def test_the_digest_goes_out_from_the_municipal_time_never_before_seven() -> None:
    monday = local(2026, 11, 23, 7, 29)
    assert not schedules.digest_time_reached(monday, "07:30")
    assert schedules.digest_time_reached(monday.replace(minute=30), "07:30")
    assert not schedules.digest_time_reached(local(2026, 11, 23, 6, 30), "06:00")
    assert schedules.digest_time_reached(local(2026, 11, 23, 7, 0), "06:00")
    assert not schedules.digest_time_reached(local(2026, 11, 23, 20, 0), "07:30")


@pytest.mark.parametrize(
    ("utc_moment", "reached"),
    [
        # Friday before summer time (UTC+1): 07:30 local is 06:30 UTC.
        ("2026-03-27T06:29:00+00:00", False),
        ("2026-03-27T06:30:00+00:00", True),
        # Monday after the switch (UTC+2): 07:30 local is 05:30 UTC.
        ("2026-03-30T05:29:00+00:00", False),
        ("2026-03-30T05:30:00+00:00", True),
        # Sunday 29 March itself (the switch): no pushes at all.
        ("2026-03-29T08:00:00+00:00", False),
        # Monday after the switch back in October (UTC+1 again).
        ("2026-10-26T05:30:00+00:00", False),
        ("2026-10-26T06:30:00+00:00", True),
    ],
)
def test_digest_time_is_copenhagen_time_across_dst_weekends(utc_moment: str, reached: bool) -> None:
    with time_machine.travel(datetime.fromisoformat(utc_moment), tick=False):
        assert schedules.digest_time_reached(now_local(), "07:30") is reached


def test_due_in_three_days_counts_dates_across_the_october_switch() -> None:
    # Friday 23 October to Monday 26 October spans the 25-hour Sunday: still due within 3 days.
    with time_machine.travel(datetime.fromisoformat("2026-10-23T22:30:00+00:00"), tick=False):
        on = today()  # already Saturday in Copenhagen
    assert on == date(2026, 10, 24)
    assert schedules.is_urgent("adbb_follow_up", date(2026, 10, 27), on, 3)
    assert not schedules.is_urgent("adbb_follow_up", date(2026, 10, 28), on, 3)


def test_only_urgent_kinds_are_pushed_one_by_one_and_not_when_long_overdue() -> None:
    on = date(2026, 11, 23)
    assert schedules.is_urgent("notification_receipt", on, on, 3)
    assert not schedules.is_urgent("adbb_first", on, on, 3)
    assert schedules.is_urgent("adbb_follow_up", on - timedelta(days=7), on, 3)
    assert not schedules.is_urgent("adbb_follow_up", on - timedelta(days=8), on, 3)


def test_retry_delay_doubles_from_a_minute_to_an_hour_and_honours_retry_after() -> None:
    assert schedules.retry_delay(1) == timedelta(minutes=1)
    assert schedules.retry_delay(2) == timedelta(minutes=2)
    assert schedules.retry_delay(10) == timedelta(hours=1)
    assert schedules.retry_delay(1, retry_after=600) == timedelta(minutes=10)
    assert schedules.retry_delay(3, retry_after=5) == timedelta(minutes=4)
    assert schedules.retry_delay(1, retry_after=10**6) == timedelta(hours=6)
