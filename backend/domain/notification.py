"""The notification log (underretning, domain §4.6): the app records, it never sends."""

from __future__ import annotations

from datetime import date

from backend.domain.dates import add_working_days

RECEIPT_WORKING_DAYS = 6


def receipt_due_on(sent_on: date) -> date:
    """The authority must acknowledge receipt within 6 working days (hverdage)."""
    return add_working_days(sent_on, RECEIPT_WORKING_DAYS)


def receipt_missing(sent_on: date, receipt_on: date | None, on: date) -> bool:
    return receipt_on is None and on > receipt_due_on(sent_on)
