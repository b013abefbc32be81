from datetime import UTC, date, datetime

import time_machine

from backend.domain.dates import (
    add_months,
    add_working_days,
    age_in_months,
    age_in_years,
    is_working_day,
    today,
)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


def test_age_in_months_counts_completed_months() -> None:
    birth = date(2025, 3, 15)
    assert age_in_months(birth, date(2025, 5, 14)) == 1
    assert age_in_months(birth, date(2025, 5, 15)) == 2
    assert age_in_months(birth, date(2025, 3, 15)) == 0
    assert age_in_months(birth, date(2025, 3, 14)) == -1


def test_month_end_birthdays() -> None:
    assert age_in_months(date(2025, 1, 31), date(2025, 2, 28)) == 1
    assert age_in_months(date(2025, 1, 31), date(2025, 2, 27)) == 0


def test_leap_day_child_turns_one_on_28_february() -> None:
    birth = date(2024, 2, 29)
    assert age_in_years(birth, date(2025, 2, 27)) == 0
    assert age_in_years(birth, date(2025, 2, 28)) == 1
    assert age_in_years(birth, date(2028, 2, 29)) == 4


def test_danish_working_days_skip_weekends_and_public_holidays() -> None:
    assert not is_working_day(date(2026, 12, 25))  # juledag
    assert not is_working_day(date(2026, 4, 3))  # langfredag
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert is_working_day(date(2026, 11, 23))
    # From Wednesday 23 Dec 2026: 24, 28, 29, 30, 31 Dec and 4 Jan (25 Dec and 1 Jan are off).
    assert add_working_days(date(2026, 12, 23), 6) == date(2027, 1, 4)


def test_today_is_the_danish_date_not_the_servers() -> None:
    # 23:30 UTC on 31 December is already 1 January in Copenhagen.
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert today() == date(2027, 1, 1)
