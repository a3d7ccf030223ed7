"""Login throttling per account and per address, stored in ``app_login_attempt``.

The table is shared by every gunicorn worker (module globals are not), and it throttles names
that do not exist exactly like names that do, so the lock-out itself reveals nothing. It holds
a keyed hash of each typed name, not the name.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from flask import current_app
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


def account_key(username: str) -> str:
    """What the attempt table stores for a typed name: a keyed hash, never the text itself.
    People type their password into the name field; a failed attempt must not keep it in
    clear. Keyed with the app's secret so short names cannot be looked up by hashing guesses."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, normalise_username(username).encode(), "sha256").hexdigest()


def is_throttled(
    conn: Connection,
    policy: ThrottlePolicy,
    username: str,
    address: str,
    now: dt.datetime | None = None,
) -> bool:
    """True when the account or the address has too many recent failures."""
    since = (now or _utcnow()) - policy.window
    name = account_key(username)
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
            username=account_key(username),
            source_address=address[:64],
            attempted_at=now or _utcnow(),
        )
    )


def clear_user_failures(conn: Connection, username: str) -> None:
    """A successful login forgives the failures recorded against that account name."""
    conn.execute(delete(AppLoginAttempt).where(AppLoginAttempt.username == account_key(username)))
