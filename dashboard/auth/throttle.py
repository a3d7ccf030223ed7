"""Login throttling that holds under concurrency and that a stranger cannot turn into a lock-out.

Every attempt first *reserves* its place, in one transaction that locks the counters it checks
(``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite): the check and the
increment cannot be separated by another worker's, so however many attempts arrive at once, at
most the configured number per window reach the password hash. A reservation stands as a
failure unless the password turns out right, in which case it is handed back; a worker that
dies mid-check leaves it counted (fail closed).

Three counters per attempt (OWASP ASVS 5.0 V6.3, NIST SP 800-63B 5.2.2):

- account *and* address: the hard limit. Only the address hammering an account is stopped.
- address alone: a higher hard limit, for one address trying many names.
- account alone, from every address: no hard lock, a growing delay (doubling, capped) once the
  account has had many failures in the window. An address the owner signed in from before is
  exempt from it, so the owner still gets in while others hammer the account.

A request the throttle refuses costs no hash and counts no failure; only the first refusal of
a key in a window is audited (``first_refusal``), so the audit log is not the next flood.
Names that do not exist are throttled exactly like real ones, and the table holds keyed hashes
of names and addresses, never the text.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from etl.models import AppLoginThrottle

PAIR, ADDRESS, ACCOUNT = "account+address", "address", "account"


@dataclass(frozen=True)
class ThrottlePolicy:
    window: dt.timedelta
    max_per_pair: int
    max_per_address: int
    account_backoff_after: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    known_address_for: dt.timedelta

    def account_delay(self, failures: int) -> dt.timedelta:
        """How long after the account's last attempt the next one may run: nothing below
        ``account_backoff_after`` failures, then the base delay doubling per failure, capped."""
        if failures < self.account_backoff_after:
            return dt.timedelta(0)
        exponent = min(failures - self.account_backoff_after, 32)
        seconds = min(self.backoff_base_seconds * 2**exponent, self.backoff_max_seconds)
        return dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class Reservation:
    granted: bool
    # Which limit refused (PAIR, ADDRESS or ACCOUNT), None when granted.
    limit: str | None
    # True for the first refusal of that key in its window: the one to audit.
    first_refusal: bool
    # The window each counter was in, so a late release never touches the next window.
    windows: dict[str, dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def normalise_username(username: str) -> str:
    return username.strip().lower()[:64]


def _keyed(kind: str, value: str) -> str:
    """What the table stores: a hash keyed with the app's secret. People type their password
    into the name field, and short names or addresses must not be looked up by hashing guesses."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, f"{kind}\x00{value}".encode(), "sha256").hexdigest()
    return f"{kind[:7]}:{digest}"


def throttle_keys(username: str, address: str) -> dict[str, str]:
    name = normalise_username(username) or "-"
    return {
        PAIR: _keyed("pair", f"{name}\x00{address}"),
        ADDRESS: _keyed("address", address),
        ACCOUNT: _keyed("account", name),
    }


@contextmanager
def locked(engine: Engine) -> Iterator[Connection]:
    """A transaction that may lock throttle rows. SQLite takes its single writer lock at the
    start (``BEGIN IMMEDIATE``), not at the first write: two deferred transactions that both
    read the counters first would otherwise both see the old values."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def _lock_rows(conn: Connection, keys: dict[str, str], now: dt.datetime) -> dict[str, dict]:
    """Create the missing counters and lock all of them, always in key order (no deadlock)."""
    values = [
        {"throttle_key": k, "window_started_at": now, "attempts": 0, "refused": 0}
        for k in sorted(keys.values())
    ]
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(AppLoginThrottle).values(values).on_conflict_do_nothing())
    rows = conn.execute(
        select(AppLoginThrottle)
        .where(AppLoginThrottle.throttle_key.in_(keys.values()))
        .order_by(AppLoginThrottle.throttle_key)
        .with_for_update()
    ).mappings()
    by_key = {r["throttle_key"]: dict(r) for r in rows}
    return {kind: by_key[key] for kind, key in keys.items()}


def _write(conn: Connection, row: dict) -> None:
    conn.execute(
        update(AppLoginThrottle)
        .where(AppLoginThrottle.throttle_key == row["throttle_key"])
        .values({k: v for k, v in row.items() if k != "throttle_key"})
    )


def _refusing_limit(policy: ThrottlePolicy, rows: dict[str, dict], now: dt.datetime) -> str | None:
    if rows[PAIR]["attempts"] >= policy.max_per_pair:
        return PAIR
    if rows[ADDRESS]["attempts"] >= policy.max_per_address:
        return ADDRESS
    account = rows[ACCOUNT]
    last_success = rows[PAIR]["last_success_at"]
    usual_address = last_success is not None and now - last_success < policy.known_address_for
    delay = policy.account_delay(account["attempts"])
    last_attempt = account["last_attempt_at"]
    # ``now`` was read before the lock was granted, so it may be a little older than the last
    # attempt recorded meanwhile: compare only when there is a delay to keep.
    if delay and not usual_address and last_attempt is not None and now < last_attempt + delay:
        return ACCOUNT
    return None


def reserve(
    conn: Connection, policy: ThrottlePolicy, username: str, address: str, now: dt.datetime
) -> Reservation:
    """Check every limit and take one attempt from each counter, or refuse without taking any.
    Call inside ``locked``; hash only when ``granted``."""
    rows = _lock_rows(conn, throttle_keys(username, address), now)
    for row in rows.values():
        if now - row["window_started_at"] >= policy.window:
            row.update(window_started_at=now, attempts=0, refused=0)
    limit = _refusing_limit(policy, rows, now)
    first_refusal = False
    if limit is None:
        for row in rows.values():
            row.update(attempts=row["attempts"] + 1, last_attempt_at=now)
    else:
        refusing = rows[limit]
        refusing["refused"] += 1
        first_refusal = refusing["refused"] == 1
    for row in rows.values():
        _write(conn, row)
    return Reservation(
        granted=limit is None,
        limit=limit,
        first_refusal=first_refusal,
        windows={kind: row["window_started_at"] for kind, row in rows.items()},
    )


def _hand_back(
    conn: Connection,
    reservation: Reservation,
    username: str,
    address: str,
    now: dt.datetime,
    *,
    succeeded: bool,
) -> dict[str, dict]:
    rows = _lock_rows(conn, throttle_keys(username, address), now)
    for kind, row in rows.items():
        if row["window_started_at"] == reservation.windows[kind]:
            forgiven = succeeded and kind == PAIR
            row["attempts"] = 0 if forgiven else max(row["attempts"] - 1, 0)
    if succeeded:
        rows[PAIR]["last_success_at"] = now
    for row in rows.values():
        _write(conn, row)
    return rows


def settle_success(
    conn: Connection,
    policy: ThrottlePolicy,
    reservation: Reservation,
    username: str,
    address: str,
    now: dt.datetime,
) -> None:
    """The password was right: this address's failures on this account are forgiven and the
    address is remembered as the owner's; the account-wide and address-wide counters give back
    this one attempt only, so failures other addresses made stay counted."""
    _hand_back(conn, reservation, username, address, now, succeeded=True)
    _forget_stale(conn, policy, now)


def cancel(
    conn: Connection, reservation: Reservation, username: str, address: str, now: dt.datetime
) -> None:
    """The attempt was never checked (no hashing slot free): it counts for nothing."""
    _hand_back(conn, reservation, username, address, now, succeeded=False)


def _forget_stale(conn: Connection, policy: ThrottlePolicy, now: dt.datetime) -> None:
    """Counters whose window has ended and that mark no recent success hold nothing a fresh
    row would not: drop them so a spray of invented names does not grow the table for ever."""
    recent = now - policy.known_address_for
    stale = (
        select(AppLoginThrottle.throttle_key)
        .where(
            AppLoginThrottle.window_started_at < now - policy.window,
            (AppLoginThrottle.last_success_at.is_(None))
            | (AppLoginThrottle.last_success_at < recent),
        )
        # Rows another sign-in holds are left for next time: waiting for them, in no fixed
        # order, could deadlock with that sign-in's own locks.
        .with_for_update(skip_locked=True)
    )
    conn.execute(delete(AppLoginThrottle).where(AppLoginThrottle.throttle_key.in_(stale)))
