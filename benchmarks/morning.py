"""A staff member's morning on the dashboard, request by request, as the browser sends it.

One sequence drives both the load test (``benchmarks/locustfile.py``, over HTTP against
gunicorn) and its check (``tests/integration/dashboard/test_load_morning.py``, through Flask's
test client on the seeded world), so the load test cannot drift into timing refusals: every
request states what a good answer is (status, and the outputs the page needs), and a request
that does not get one is a failure, never a fast 204 or 4xx counted as a success.

What the browser does, and so what this does:

* sign in: ``GET /login`` (the form's CSRF token), ``POST /login`` (302 to the user's first
  page), then that page's HTML, ``/_dash-layout`` and ``/_dash-dependencies``;
* every page after that is client-side navigation: Dash's routing callback (the page's
  layout), the header's freshness callback, then the page's own initial callbacks, fed with
  what earlier answers said (the counselor the picker chose, the client ids Today listed, the
  program and period the Outcomes pickers filled in);
* the callbacks of one page are sent one after the other (a browser sends some at once).

The payloads come from ``tests/dash_client.py``, the builders the integration tests use.
"""

from __future__ import annotations

import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from dash_client import (  # noqa: E402
    budget_payload,
    callback_payload,
    check_show_payload,
    contact_payload,
    freshness_payload,
    outcomes_counselors_payload,
    outcomes_payload,
    outcomes_pickers_payload,
    record_payload,
)

from dashboard.freshness_banner import MAX_AGE_SECONDS as FRESHNESS_MAX_AGE  # noqa: E402

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_COOKIE = "_csrf_token"
CALLBACK = "/_dash-update-component"


@dataclass
class Reply:
    status: int
    text: str
    location: str | None = None

    def json(self) -> Any:
        return json.loads(self.text)


Expect = Callable[[Reply], str | None]  # None: a good answer; otherwise what was wrong


class Http(Protocol):
    """What the morning needs from an HTTP client (locust's session, Flask's test client)."""

    def send(
        self,
        method: str,
        path: str,
        *,
        name: str,
        expect: Expect,
        json: dict | None = None,
        data: dict | None = None,
        headers: dict | None = None,
    ) -> Reply:
        """Send without following redirects, record the answer under ``name`` as a success or
        as the failure ``expect`` names, and return it."""

    def cookie(self, name: str) -> str | None: ...

    def page_done(self, name: str, seconds: float) -> None:
        """One page visit (routing and its callbacks, in sequence) took ``seconds``."""


@dataclass
class Sent:
    name: str
    status: int
    problem: str | None
    seconds: float
    payload: dict | None


class FlaskHttp:
    """The morning over Flask's test client (the integration test, the in-process timings):
    keeps every answer with its verdict and its server time."""

    def __init__(self, client) -> None:
        self.client = client
        self.sent: list[Sent] = []
        self.pages: list[str] = []

    def send(self, method, path, *, name, expect, json=None, data=None, headers=None) -> Reply:
        began = time.perf_counter()
        response = self.client.open(path, method=method, json=json, data=data, headers=headers)
        seconds = time.perf_counter() - began
        reply = Reply(response.status_code, response.get_data(as_text=True), response.location)
        self.sent.append(Sent(name, reply.status, expect(reply), seconds, json))
        return reply

    def cookie(self, name: str) -> str | None:
        cookie = self.client.get_cookie(name)
        return cookie.value if cookie else None

    def page_done(self, name: str, seconds: float) -> None:
        self.pages.append(name)


class StepFailed(RuntimeError):
    """A request got a wrong answer: the rest of this morning depends on it."""


def status_is(code: int) -> Expect:
    return lambda r: None if r.status == code else f"status {r.status}, expected {code}"


def _outputs(reply: Reply, *ids: str) -> str | None:
    """A 200 whose ``response`` holds every one of the component ids."""
    if reply.status != 200:
        return f"status {reply.status}, expected 200"
    try:
        body = reply.json()["response"]
    except (ValueError, KeyError, TypeError):
        return "not a callback answer"
    missing = [i for i in ids if i not in body]
    return f"no {', '.join(missing)} in the answer" if missing else None


def outputs(*ids: str, check: Callable[[dict], str | None] | None = None) -> Expect:
    def expect(reply: Reply) -> str | None:
        problem = _outputs(reply, *ids)
        if problem is None and check is not None:
            problem = check(reply.json()["response"])
        return problem

    return expect


@dataclass
class Morning:
    """One signed-in user's morning. ``think`` is called between page visits (locust's wait)."""

    http: Http
    username: str
    password: str
    role: str
    rng: random.Random = field(default_factory=random.Random)
    think: Callable[[], None] = lambda: None
    deps: list[dict] = field(default_factory=list)
    home: str = "/"
    counselor_key: int | None = None
    client_ids: list[str] = field(default_factory=list)
    freshness_at: float | None = None  # when the header's line was last asked for

    # ------------------------------------------------------------------ plumbing

    def _send(self, method: str, path: str, name: str, expect: Expect, **kwargs: Any) -> Reply:
        reply = self.http.send(method, path, name=name, expect=expect, **kwargs)
        problem = expect(reply)
        if problem:
            raise StepFailed(f"{name}: {problem}")
        return reply

    def callback(self, name: str, payload: dict, expect: Expect) -> dict:
        token = self.http.cookie(CSRF_COOKIE)
        reply = self._send(
            "POST",
            CALLBACK,
            name,
            expect,
            json=payload,
            headers={"X-CSRFToken": token} if token else {},
        )
        return reply.json()["response"]

    def cb(self, name: str, output: str, inputs: dict, state: dict | None = None, **kw) -> dict:
        """The callback whose output names ``output``, expecting at least that component."""
        payload = callback_payload(self.deps, output, inputs, state)
        return self.callback(name, payload, kw.get("expect") or outputs(output.split(".")[0]))

    def visit(self, page: str, path: str, *callbacks: Callable[[], None]) -> None:
        """Client-side navigation to ``path``: routing, the header's freshness line when the
        browser would ask for it again, then the page's callbacks."""
        began = time.perf_counter()
        self.callback(
            "shell: routing",
            callback_payload(
                self.deps,
                "_pages_content.children",
                {"_pages_location.pathname": path, "_pages_location.search": ""},
            ),
            outputs("_pages_content"),
        )
        if self.freshness_at is None or began - self.freshness_at >= FRESHNESS_MAX_AGE:
            self.freshness_at = began
            self.callback(
                "shell: freshness",
                freshness_payload(self.deps, int(began * 1000)),
                outputs("shell-freshness-line"),
            )
        for step in callbacks:
            step()
        self.http.page_done(page, time.perf_counter() - began)

    # ------------------------------------------------------------------ sign-in

    def sign_in(self) -> None:
        form = self._send("GET", "/login", "GET /login", status_is(200))
        match = _TOKEN.search(form.text)
        if match is None:
            raise StepFailed("GET /login: no CSRF token in the form")

        def landed(reply: Reply) -> str | None:
            if reply.status != 302 or not reply.location:
                return f"status {reply.status}, expected 302 to the first page"
            return "sent back to the login form" if "/login" in reply.location else None

        began = time.perf_counter()
        signed = self._send(
            "POST",
            "/login",
            "POST /login (Argon2)",
            landed,
            data={"username": self.username, "password": self.password, "csrf_token": match[1]},
        )
        self.home = urlsplit(signed.location or "/").path or "/"
        self._send("GET", self.home, "GET page HTML", status_is(200))
        self._send("GET", "/_dash-layout", "GET /_dash-layout", status_is(200))
        deps = self._send("GET", "/_dash-dependencies", "GET /_dash-dependencies", status_is(200))
        self.deps = deps.json()
        self.freshness_at = None  # a page load: the browser asks on its first navigation
        self.http.page_done("sign-in", time.perf_counter() - began)

    # ------------------------------------------------------------------ pages

    def _picker(self, prefix: str, page_name: str) -> int:
        answer = self.cb(
            f"{page_name}: counselor picker",
            f"{prefix}-counselor.options",
            {f"{prefix}-page.id": f"{prefix}-page"},
            expect=outputs(
                f"{prefix}-counselor",
                check=lambda r: (
                    None
                    if type(r[f"{prefix}-counselor"].get("value")) is int
                    else "no counselor chosen"
                ),
            ),
        )
        return answer[f"{prefix}-counselor"]["value"]

    def today(self) -> None:
        def data() -> None:
            self.counselor_key = self._picker("today", "Today")
            answer = self.cb(
                "Today: caseload (data)",
                "today-grid.rowData",
                {"today-counselor.value": self.counselor_key, "today-refresh.data": 0},
                expect=outputs(
                    "today-grid",
                    check=lambda r: None if r["today-grid"]["rowData"] else "an empty caseload",
                ),
            )
            self.client_ids = [row["client_id"] for row in answer["today-grid"]["rowData"]]

        self.visit("Today", "/", data)

    def client(self, client_id: str) -> None:
        path = f"/client/{client_id}"

        def record() -> None:
            self.callback(
                "Client: record (data)",
                record_payload(self.deps, client_id, "90"),
                outputs(
                    "client-header",
                    "client-charts",
                    check=lambda r: (
                        None
                        if (r["client-body"].get("style") or {}).get("display") != "none"
                        else "the record was refused"
                    ),
                ),
            )
            self.cb(
                "Client: BAM chart",
                "client-bam-chart.figure",
                {"client-id.data": client_id, "client-range.value": "90"},
            )

        self.visit("Client", path, record)

    def missed(self) -> None:
        def data() -> None:
            key = self._picker("missed", "Missed")
            self.cb(
                "Missed: data",
                "missed-asof.children",
                {"missed-counselor.value": key, "missed-refresh.data": 0},
                expect=outputs("missed-grid", "missed-heatmap"),
            )

        self.visit("Missed", "/missed", data)

    def signals(self) -> None:
        def data() -> None:
            key = self._picker("signals", "Sleep & stress")
            self.cb(
                "Sleep & stress: data",
                "signals-asof.children",
                {"signals-counselor.value": key},
                expect=outputs("signals-scatter", "signals-grid"),
            )

        self.visit("Sleep & stress", "/signals", data)

    def log_contact(self, client_id: str) -> None:
        """On Today (the page is open): a row's contact button, then the dialog's save."""
        began = time.perf_counter()
        self.cb(
            "Contact: open dialog",
            "today-contact-target.data",
            {"today-grid.cellRendererData": {"value": "contact", "rowId": client_id}},
            expect=outputs(
                "today-contact-modal",
                check=lambda r: (
                    None
                    if r["today-contact-target"]["data"] == client_id
                    else "the dialog opened for someone else"
                ),
            ),
        )
        self.callback(
            "Contact: save (command)",
            contact_payload(self.deps, client_id, note="left a voicemail"),
            outputs(
                "today-toast",
                check=lambda r: (
                    None
                    if r["today-toast"]["children"] == "Contact logged."
                    else f"not logged: {str(r['today-toast']['children'])[:80]}"
                ),
            ),
        )
        self.http.page_done("Log a contact", time.perf_counter() - began)

    def outcomes(self) -> None:
        def data() -> None:
            pickers = self.callback(
                "Outcomes: pickers",
                outcomes_pickers_payload(self.deps),
                outputs("outcomes-program", "outcomes-period"),
            )
            program = pickers["outcomes-program"]["value"]
            start = pickers["outcomes-period"]["start_date"]
            end = pickers["outcomes-period"]["end_date"]
            self.callback(
                "Outcomes: counselors",
                outcomes_counselors_payload(self.deps, program),
                outputs("outcomes-counselor"),
            )
            self.callback(
                "Outcomes: figures (data)",
                outcomes_payload(self.deps, program, start, end),
                outputs(
                    "outcomes-cards",
                    check=lambda r: None if r["outcomes-cards"]["children"] else "no outcome cards",
                ),
            )
            self.callback(
                "Outcomes: model check",
                check_show_payload(self.deps, program, start, end),
                outputs("outcomes-check"),
            )
            self.callback(
                "Outcomes: alert budget",
                budget_payload(self.deps, program, 5, start, end),
                outputs("outcomes-budget-out"),
            )

        self.visit("Outcomes", "/outcomes", data)

    def loads(self) -> None:
        def data() -> None:
            self.cb(
                "Loads: list",
                "loads-grid.rowData",
                {"loads-refresh.data": 0},
                expect=outputs(
                    "loads-grid",
                    check=lambda r: None if r["loads-grid"]["rowData"] else "no loads listed",
                ),
            )
            self.cb(
                "Loads: quarantine",
                "loads-quarantine.rowData",
                {"loads-grid.selectedRows": None, "loads-refresh.data": 0},
            )

        self.visit("Data loads", "/admin/loads", data)

    # ------------------------------------------------------------------ the morning

    def work(self) -> None:
        """One morning after sign-in, by role; ``think`` between page visits."""
        if self.role == "admin":
            self.loads()
            return
        self.today()
        self.think()
        opened = self.rng.sample(self.client_ids, min(len(self.client_ids), self.rng.randint(3, 5)))
        for client_id in opened:
            self.client(client_id)
            self.think()
        self.missed()
        self.think()
        self.signals()
        self.think()
        self.today()
        self.log_contact(self.rng.choice(opened or self.client_ids))
        if self.role == "supervisor":
            self.think()
            self.outcomes()
