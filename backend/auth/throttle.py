"""Sign-in throttling after repeated failures, counted in the database (shared by instances).

No hard lock that anyone can trigger: failures are counted per account *and* source address,
and past a threshold each further attempt has to wait a delay that doubles with every failure:

- account + address: after `login_max_failures` failures (OPSPOR_LOGIN_MAX_FAILURES, 5) the next
  attempt from that address waits 30 s, then 1, 2, 4, 8 min …; so someone guessing from one address
  slows down fast, while the real user on another address is not affected;
- the account from every address: the same growing delays, but only after
  `ACCOUNT_FACTOR` × as many failures (100) — a spread-out attack is slowed, one address cannot
  lock the account;
- one address across all usernames: after `ADDRESS_FACTOR` × as many failures (20).

A failure is remembered for `login_lockout_minutes` (OPSPOR_LOGIN_LOCKOUT_MINUTES, 15), which
is also the longest delay. A successful sign-in forgets the failures of that account and address.
The delay is counted from the newest failure that set it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, delete, select

from backend.auth.models import LoginAttempt
from backend.config import Settings
from backend.db import utcnow

#: The first wait once a threshold is reached; it doubles with every further failure.
FIRST_DELAY = timedelta(seconds=30)
#: Failures of one account from every address before the account as a whole is slowed down.
ACCOUNT_FACTOR = 20
#: Failures from one address (any usernames) before the address as a whole is slowed down.
ADDRESS_FACTOR = 4


def delay_after(failures: int, threshold: int, longest: timedelta) -> timedelta:
    """The wait after `failures` failures: none below `threshold`, then 30 s, 1 min, 2 min …"""
    if failures < threshold:
        return timedelta(0)
    doublings = min(failures - threshold, 30)
    return min(FIRST_DELAY * (2**doublings), longest)


def _wait(db: Session, query, threshold: int, longest: timedelta, now: datetime) -> timedelta:
    count, newest = db.exec(query).one()
    delay = delay_after(int(count or 0), threshold, longest)
    if not delay or newest is None:
        return timedelta(0)
    if newest.tzinfo is None:  # SQLite keeps naive UTC
        from datetime import UTC

        newest = newest.replace(tzinfo=UTC)
    return max(newest + delay - now, timedelta(0))


def seconds_to_wait(db: Session, settings: Settings, username: str, ip: str) -> int:
    """How long (whole seconds, rounded up) before `username` may try again from `ip`; 0 = now."""
    now = utcnow()
    longest = timedelta(minutes=settings.login_lockout_minutes)
    base = (
        select(func.count(), func.max(LoginAttempt.at))
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= now - longest, LoginAttempt.succeeded.is_(False))
    )
    limit = settings.login_max_failures
    by_account = base.where(LoginAttempt.username == username.lower()[:150])
    waits = [
        _wait(db, by_account.where(LoginAttempt.ip == ip[:45]), limit, longest, now),
        _wait(db, by_account, limit * ACCOUNT_FACTOR, longest, now),
    ]
    if ip:
        waits.append(_wait(db, base.where(LoginAttempt.ip == ip[:45]), limit * ADDRESS_FACTOR, longest, now))
    wait = max(waits)
    return int(-(-wait.total_seconds() // 1))


def is_throttled(db: Session, settings: Settings, username: str, ip: str) -> int:
    """Seconds to wait (truthy) when this account and address must wait; 0 otherwise."""
    return seconds_to_wait(db, settings, username, ip)


def record_attempt(db: Session, username: str, ip: str, succeeded: bool) -> None:
    if succeeded:  # forgets this address's failures for the account, never another address's
        db.exec(
            delete(LoginAttempt).where(
                LoginAttempt.username == username.lower()[:150], LoginAttempt.ip == ip[:45]
            )
        )
    db.add(LoginAttempt(username=username.lower()[:150], ip=ip[:45], succeeded=succeeded))


def purge_old_attempts(db: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete the attempts too old to count towards a lockout (a periodic job); returns how many."""
    since = (now or utcnow()) - timedelta(minutes=settings.login_lockout_minutes)
    return db.exec(delete(LoginAttempt).where(LoginAttempt.at < since)).rowcount
