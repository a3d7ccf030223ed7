"""A cap on the password checks running at once in one worker process.

Argon2id takes 64 MiB and most of a core per check: without a cap, a burst of sign-ins takes
the memory and the CPU from the staff already at work. Over the cap a sign-in is refused at
once (429), not queued. One address may hold at most half the slots (at least one), so a
flood from one place leaves room for everybody else's sign-in; a flood from many places is
limited by the cap and the throttle's per-address counters.

The state is per process on purpose: it guards this process's memory. Kept in the app's
extensions, so each app built in a test has its own.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from flask import Flask, current_app

_KEY = "caseload_hash_gate"
LOG_EVERY_SECONDS = 60.0


class HashGate:
    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self.per_address = max(1, self.total // 2)
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()
        self._refused_unlogged = 0
        self._last_logged = float("-inf")

    def try_enter(self, address: str) -> bool:
        with self._lock:
            if sum(self._running.values()) >= self.total:
                return False
            if self._running[address] >= self.per_address:
                return False
            self._running[address] += 1
            return True

    def refusals_to_log(self) -> int | None:
        """Count a refusal; every ``LOG_EVERY_SECONDS`` return how many there were since the
        last report, so a flood of 429s makes one log line a minute, not one per request."""
        with self._lock:
            self._refused_unlogged += 1
            now = time.monotonic()
            if now - self._last_logged < LOG_EVERY_SECONDS:
                return None
            count, self._refused_unlogged, self._last_logged = self._refused_unlogged, 0, now
            return count

    def leave(self, address: str) -> None:
        with self._lock:
            self._running[address] -= 1
            if self._running[address] <= 0:
                del self._running[address]


def init_hash_gate(app: Flask) -> None:
    app.extensions[_KEY] = HashGate(app.config["CASELOAD_LOGIN_MAX_CONCURRENT_HASHES"])


def hash_gate() -> HashGate:
    return current_app.extensions[_KEY]
