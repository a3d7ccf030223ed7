"""Sign-in throttling under attack, on each database: parallel bursts hash no more attempts than
the limit allows (counted at the Argon2 hasher itself), the right password sent once the limit
is reached is refused, a stranger hammering an account does not lock its owner out, a success
does not wipe other addresses' failures, throttled refusals are audited once per window, and
at most the configured number of password checks run at once per worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from dash_client import client_from, login, login_form_token
from factories import PASSWORD
from sqlalchemy import select

from etl.models import AppAuditLog

WRONG = "wrong-password-x"


class CountingHasher:
    """Counts the real Argon2 verifications (``PasswordHasher.verify``) and how many ran at
    once; the real hasher still does the work."""

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()
        self.reached: dict[int, threading.Event] = {}
        real = PasswordHasher.verify

        def verify(hasher, hash_, password):
            with self.lock:
                self.calls += 1
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
                for count, event in self.reached.items():
                    if self.calls >= count:
                        event.set()
            try:
                return real(hasher, hash_, password)
            finally:
                with self.lock:
                    self.running -= 1

        monkeypatch.setattr(PasswordHasher, "verify", verify)

    def when_started(self, count: int) -> threading.Event:
        event = threading.Event()
        with self.lock:
            self.reached[count] = event
            if self.calls >= count:
                event.set()
        return event


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    return CountingHasher(monkeypatch)


def _post_login(client, username: str, password: str, token: str):
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def _burst(app, attempts: list[tuple[str, str, str]], before: Callable[[int], None] | None = None):
    """Send every (address, username, password) at once from its own thread and client; each
    client fetched its form token beforehand, so the POSTs are all that race."""
    prepared = []
    for address, username, password in attempts:
        client = client_from(app, address)
        prepared.append((client, username, password, login_form_token(client)))
    barrier = threading.Barrier(len(prepared))
    statuses: list[int | None] = [None] * len(prepared)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        client, username, password, token = prepared[i]
        try:
            barrier.wait(timeout=30)
            if before:
                before(i)
            statuses[i] = _post_login(client, username, password, token).status_code
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prepared))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, (errors, statuses)
    return statuses, [c for c, *_ in prepared]


def _throttled_rows(seeded, address: str) -> list:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog.detail, AppAuditLog.username).where(
                AppAuditLog.action == "login_failed", AppAuditLog.source_address == address
            )
        ).all()


def test_parallel_burst_on_one_account_hashes_at_most_the_limit(
    app_factory, seeded, hasher
) -> None:
    """16 wrong passwords at once for one account from one address, limit 5: five are
    checked, the rest refused unhashed; the right password, sent from the same address once
    five checks have started, is refused too and signs nobody in."""
    app = app_factory(
        login_max_failures_per_user=5,
        login_max_failures_per_address=100,
        login_max_concurrent_hashes=64,
    )
    address = "10.70.0.1"
    attempts = [(address, "dev", WRONG)] * 16 + [(address, "dev", PASSWORD)]
    limit_reached = hasher.when_started(5)

    def right_one_waits(i: int) -> None:
        if i == len(attempts) - 1:
            assert limit_reached.wait(timeout=60), f"only {hasher.calls} checks started"

    statuses, clients = _burst(app, attempts, before=right_one_waits)
    assert hasher.calls == 5, hasher.calls
    assert statuses.count(401) == len(attempts), statuses
    assert clients[-1].get("/_dash-layout").status_code == 401
    # Still refused afterwards from there, unhashed; the owner elsewhere gets in.
    assert login(client_from(app, address), "dev").status_code == 401
    assert hasher.calls == 5
    assert login(client_from(app, "10.70.0.2"), "dev").status_code == 302


def test_parallel_burst_of_unknown_names_from_one_address(app_factory, seeded, hasher) -> None:
    """16 invented names at once from one address, address limit 6: six are hashed."""
    app = app_factory(
        login_max_failures_per_user=5,
        login_max_failures_per_address=6,
        login_max_concurrent_hashes=64,
    )
    attempts = [("10.71.0.1", f"nobody-{i}", WRONG) for i in range(16)]
    statuses, _ = _burst(app, attempts)
    assert hasher.calls == 6, hasher.calls
    assert statuses.count(401) == 16
    assert login(client_from(app, "10.71.0.1"), "erin").status_code == 401
    assert login(client_from(app, "10.71.0.2"), "erin").status_code == 302


def test_a_stranger_cannot_lock_the_owner_out(app_factory, seeded, hasher) -> None:
    """Twelve quick guesses at ben's password from one address: five are checked, seven
    refused without a hash and without counting; ben signs in from his own address meanwhile."""
    app = app_factory()
    attacker = client_from(app, "10.72.0.66")
    for _ in range(12):
        assert login(attacker, "ben", WRONG).status_code == 401
    assert hasher.calls == 5
    owner = client_from(app, "10.72.0.7")
    assert login(owner, "ben").status_code == 302
    assert owner.get("/_dash-layout").status_code == 200
    # The attack goes on: the attacker stays refused, unhashed.
    for _ in range(5):
        assert login(attacker, "ben", WRONG).status_code == 401
    assert hasher.calls == 6  # the owner's one check


def test_many_addresses_slow_the_account_but_not_its_owners_usual_address(
    app_factory, seeded
) -> None:
    """Failures from many addresses add up per account: past ``login_account_backoff_after``
    each further attempt waits (doubling, capped), for a new address even with the right
    password; the address the owner signed in from before is exempt."""
    app = app_factory(login_account_backoff_after=6, login_backoff_base_seconds=60)
    usual = client_from(app, "10.73.0.7")
    assert login(usual, "carla").status_code == 302
    usual.post("/logout", data={"csrf_token": usual.get_cookie("_csrf_token").value})
    for i in range(8):
        login(client_from(app, f"10.73.1.{i}"), "carla", WRONG)
    assert login(client_from(app, "10.73.2.1"), "carla").status_code == 401
    with seeded.engine.connect() as conn:
        details = conn.execute(
            select(AppAuditLog.detail).where(AppAuditLog.action == "login_failed")
        ).scalars()
        # The account's refusals this window, whichever address: one audit row.
        assert [d for d in details if d.get("limit") == "account"] == [
            {"reason": "throttled", "limit": "account"}
        ]
    assert login(client_from(app, "10.73.0.7"), "carla").status_code == 302


def test_backoff_doubles_and_is_capped() -> None:
    import datetime as dt

    from dashboard.auth.throttle import ThrottlePolicy

    policy = ThrottlePolicy(
        window=dt.timedelta(minutes=15),
        max_per_pair=5,
        max_per_address=20,
        account_backoff_after=10,
        backoff_base_seconds=1,
        backoff_max_seconds=300,
        known_address_for=dt.timedelta(days=30),
    )
    delays = [policy.account_delay(n).total_seconds() for n in (0, 9, 10, 11, 12, 15, 18, 60)]
    assert delays == [0, 0, 1, 2, 4, 32, 256, 300]


def test_a_success_does_not_wipe_other_addresses_failures(app_factory, seeded, hasher) -> None:
    """Four guesses from the attacker, then the owner signs in from elsewhere: the attacker
    has one guess left, not a fresh five."""
    app = app_factory()
    attacker = client_from(app, "10.74.0.66")
    for _ in range(4):
        assert login(attacker, "erin", WRONG).status_code == 401
    assert login(client_from(app, "10.74.0.7"), "erin").status_code == 302
    before = hasher.calls
    for _ in range(5):
        assert login(attacker, "erin", WRONG).status_code == 401
    assert hasher.calls - before == 1


def test_throttled_attempts_are_audited_once_per_window(app_factory, seeded, hasher) -> None:
    app = app_factory()
    attacker = client_from(app, "10.75.0.66")
    for _ in range(25):
        login(attacker, "ana", WRONG)
    rows = _throttled_rows(seeded, "10.75.0.66")
    reasons = [r.detail["reason"] for r in rows]
    assert reasons == ["bad password"] * 5 + ["throttled"]
    assert rows[-1].detail["limit"] == "account+address" and rows[-1].username == "ana"


def test_concurrent_password_checks_are_capped_per_worker(app_factory, seeded, hasher) -> None:
    """Ten sign-ins at once from ten addresses with two checks allowed at a time: the excess
    is answered 429 at once, unhashed and uncounted."""
    app = app_factory(login_max_concurrent_hashes=2)
    attempts = [(f"10.76.0.{i}", f"nobody-{i}", WRONG) for i in range(10)]
    start = time.perf_counter()
    statuses, _ = _burst(app, attempts)
    assert hasher.most_at_once <= 2
    assert statuses.count(429) >= 1, statuses
    assert statuses.count(401) == hasher.calls
    assert time.perf_counter() - start < 60
    # Nothing counted for the refused ones: each address still has its full allowance.
    refused = [attempts[i][0] for i, s in enumerate(statuses) if s == 429]
    for address in refused:
        assert _throttled_rows(seeded, address) == []
    assert login(client_from(app, refused[0]), "root").status_code == 302


def test_one_address_holds_at_most_half_the_hashing_slots(app_factory, seeded, hasher) -> None:
    """Eight sign-ins at once from one address with four slots: at most two of its checks run
    at a time, so a flood from one place leaves slots for everyone else."""
    app = app_factory(login_max_concurrent_hashes=4, login_max_failures_per_address=100)
    attempts = [("10.77.0.1", f"nobody-{i}", WRONG) for i in range(8)]
    statuses, _ = _burst(app, attempts)
    assert hasher.most_at_once <= 2
    assert statuses.count(429) >= 1, statuses
    assert statuses.count(401) == hasher.calls
