"""Retention (domain §8): when a record, a child's master data or an audit event expires.

A record expires `years_after` years after the later of two days: the child's birthday at
`until_age` years and the record's last change ("until the child turns 7 plus the legal
minimum"). Records without a child (anonymous reflections) count from the last change only.
A child's master data expires the same way, counted from the day the child left the
municipality, and only once none of the child's records remain. Legal hold stops everything.
"""

from __future__ import annotations

from datetime import date, timedelta

from backend.domain.settings import RetentionRule


def add_years(day: date, years: int) -> date:
    """The same date `years` later (29 February becomes 28 February in other years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expires_on(rule: RetentionRule, birth_date: date | None, last_change: date) -> date:
    start = last_change
    if birth_date is not None:
        start = max(add_years(birth_date, rule.until_age), last_change)
    return add_years(start, rule.years_after)


def is_expired(rule: RetentionRule, birth_date: date | None, last_change: date, on: date) -> bool:
    return expires_on(rule, birth_date, last_change) <= on


def latest_candidate_dates(rule: RetentionRule, on: date) -> tuple[date, date]:
    """(birth date, last change) bounds for a database pre-filter: nothing later can be expired.

    One day of slack either way; the exact answer is `is_expired`.
    """
    last_change = add_years(on, -rule.years_after) + timedelta(days=1)
    birth = add_years(last_change, -rule.until_age) + timedelta(days=1)
    return birth, last_change
