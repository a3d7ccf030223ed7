"""Login throttling per account and per address, stored in ``app_login_attempt``.

The table is shared by every gunicorn worker (module globals are not), and it throttles names
that do not exist exactly like names that do, so the lock-out itself reveals nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, or_, select

from etl.models import AppLoginAttempt


@dataclass(frozen=True)
class ThrottlePolicy:
    window: dt.timedelta
    max_per_user: int
    max_per_address: int


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def normalise_username(username: str) -> str:
    return username.strip().lower()[:64]


def is_throttled(
    conn: Connection,
    policy: ThrottlePolicy,
    username: str,
    address: str,
    now: dt.datetime | None = None,
) -> bool:
    """True when the account or the address has too many recent failures."""
    since = (now or _utcnow()) - policy.window
    name = normalise_username(username)
    per_user, per_address = conn.execute(
        select(
            func.count().filter(AppLoginAttempt.username == name),
            func.count().filter(AppLoginAttempt.source_address == address),
        ).where(
            AppLoginAttempt.attempted_at >= since,
            or_(AppLoginAttempt.username == name, AppLoginAttempt.source_address == address),
        )
    ).one()
    return per_user >= policy.max_per_user or per_address >= policy.max_per_address


def record_failure(
    conn: Connection, username: str, address: str, now: dt.datetime | None = None
) -> None:
    conn.execute(
        insert(AppLoginAttempt).values(
            username=normalise_username(username),
            source_address=address[:64],
            attempted_at=now or _utcnow(),
        )
    )


def clear_user_failures(conn: Connection, username: str) -> None:
    """A successful login forgives the failures recorded against that account name."""
    conn.execute(
        delete(AppLoginAttempt).where(AppLoginAttempt.username == normalise_username(username))
    )
