"""Dates as the users live them: Europe/Copenhagen, Danish working days, ages in months."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def now_local() -> datetime:
    return datetime.now(COPENHAGEN)


def today() -> date:
    """Today's date in Denmark (not the server's time zone)."""
    return now_local().date()


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def age_in_months(birth_date: date, on: date) -> int:
    """Completed months of age on a date; a child born 29 Feb turns one year on 28 Feb."""
    if on < birth_date:
        return -1
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if add_months(birth_date, months) > on:
        months -= 1
    return months


def age_in_years(birth_date: date, on: date) -> int:
    return age_in_months(birth_date, on) // 12


@lru_cache(maxsize=64)
def _danish_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DK", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _danish_holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The date `count` Danish working days (hverdage) after `start`."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
