"""Locust's side of the load test: each simulated user signs in as one staff login and does
the morning of ``benchmarks/morning.py`` (the same requests the integration test checks),
again and again until the run time is up. Started by ``benchmarks/bench_load.py``; by hand:

    CASELOAD_LOAD_LOGINS=logins.json CASELOAD_LOAD_PASSWORD=... \\
        locust -f benchmarks/locustfile.py --headless -u 100 -r 5 -t 2m --host http://127.0.0.1:8050

``CASELOAD_LOAD_LOGINS`` is a JSON list of ``{"username", "role"}``, taken in turn by the users
as they start; ``CASELOAD_LOAD_THINK`` the seconds between page visits (``"2,6"``: uniform).
Every request is judged by the morning's expectation: a wrong answer is a locust failure. Each
page visit (routing plus its callbacks, in sequence) is also reported, as request type PAGE.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.morning import Morning, Reply, StepFailed  # noqa: E402

LOGINS = json.loads(Path(os.environ.get("CASELOAD_LOAD_LOGINS", "logins.json")).read_text())
PASSWORD = os.environ.get("CASELOAD_LOAD_PASSWORD", "")
THINK = tuple(float(s) for s in os.environ.get("CASELOAD_LOAD_THINK", "2,6").split(","))
_turn = itertools.count()


class LocustHttp:
    """The morning's HTTP client over locust's session (cookies kept, redirects not followed)."""

    def __init__(self, user: HttpUser) -> None:
        self.user = user

    def send(self, method, path, *, name, expect, json=None, data=None, headers=None) -> Reply:
        with self.user.client.request(
            method,
            path,
            name=name,
            json=json,
            data=data,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            reply = Reply(response.status_code, response.text, response.headers.get("Location"))
            problem = expect(reply)
            if problem:
                response.failure(problem)
            else:
                response.success()
        return reply

    def cookie(self, name: str) -> str | None:
        return self.user.client.cookies.get(name)

    def page_done(self, name: str, seconds: float) -> None:
        events.request.fire(
            request_type="PAGE",
            name=name,
            response_time=seconds * 1000,
            response_length=0,
            exception=None,
            context={},
        )


class Staff(HttpUser):
    wait_time = between(*THINK)

    def on_start(self) -> None:
        turn = next(_turn)
        login = LOGINS[turn % len(LOGINS)]
        self.morning = Morning(
            LocustHttp(self),
            login["username"],
            PASSWORD,
            login["role"],
            rng=random.Random(turn),
            think=self.wait,
        )
        self.signed_in = False

    @task
    def morning_round(self) -> None:
        try:
            if not self.signed_in:
                self.morning.sign_in()
                self.signed_in = True
                self.wait()
            self.morning.work()
        except StepFailed:
            # Recorded as a failure already; start the next round from a fresh page load.
            self.signed_in = bool(self.morning.deps)
