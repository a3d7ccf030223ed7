"""No state in a worker: two gunicorn instances (two hosts, as far as the app can tell) on one
PostgreSQL database, and one browser session alternating between them, request by request."""

from __future__ import annotations

import re

import pytest
import requests
from dash_client import callback_payload, today_payload
from factories import PASSWORD, add_standard_users, seed_world
from gunicorn_support import gunicorn, server_env

from etl.db import make_engine
from etl.models import Base

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def two_hosts(pg_server):
    if pg_server is None:
        pytest.skip("needs CASELOAD_TEST_POSTGRES_URL")
    url = pg_server.create_database()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    world = seed_world(engine)
    add_standard_users(engine)
    engine.dispose()
    env = server_env(url)
    with gunicorn(env) as a, gunicorn(env) as b:
        yield a, b, world


def _form_token(session: requests.Session, base: str) -> str:
    match = _TOKEN.search(session.get(f"{base}/login").text)
    assert match
    return match.group(1)


def _login(session, token_from: str, post_to: str, username: str, password: str = PASSWORD):
    token = _form_token(session, token_from)
    return session.post(
        f"{post_to}/login",
        data={"username": username, "password": password, "csrf_token": token},
        allow_redirects=False,
    )


def _csrf(session: requests.Session) -> dict[str, str]:
    return {"X-CSRFToken": session.cookies.get("_csrf_token")}


@pytest.mark.slow
def test_one_session_across_two_hosts(two_hosts) -> None:
    a, b, world = two_hosts
    s = requests.Session()
    # The login form's CSRF token from A is good on B: it is signed, and its secret rides in
    # the (signed) session cookie, not in A's memory.
    signed_in = _login(s, a, b, "ana")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"

    assert "Caseload" in s.get(f"{a}/").text
    deps = s.get(f"{b}/_dash-dependencies").json()
    today = s.post(
        f"{a}/_dash-update-component",
        json=today_payload(deps, world.staff["S-C1"]),
        headers=_csrf(s),
    )
    assert today.status_code == 200
    rows = today.json()["response"]["today-grid"]["rowData"]
    assert sorted(r["client_id"] for r in rows) == sorted(world.caseloads["S-C1"])
    first = world.caseloads["S-C1"][0]
    record = s.post(
        f"{b}/_dash-update-component",
        json=callback_payload(
            deps,
            "client-header.children",
            {"client-id.data": first, "client-range.value": "90"},
        ),
        headers=_csrf(s),
    )
    assert record.status_code == 200 and first in record.text

    # Signed out on B, the same cookie is dead on A: the session epoch lives in the database.
    cookie = s.cookies.get("caseload_session")
    out = s.post(f"{b}/logout", headers=_csrf(s), allow_redirects=False)
    assert out.status_code in (200, 302)
    assert s.get(f"{a}/_dash-layout").status_code == 401
    replay = requests.Session()
    replay.cookies.set("caseload_session", cookie)
    assert replay.get(f"{a}/_dash-layout").status_code == 401
    assert replay.get(f"{b}/_dash-layout").status_code == 401


@pytest.mark.slow
def test_throttling_counts_attempts_on_both_hosts(two_hosts) -> None:
    a, b, _ = two_hosts
    s = requests.Session()
    # Five wrong passwords, alternating hosts: the account's per-address limit (5) is reached
    # only if both hosts count into the same counter.
    for i in range(5):
        host = (a, b)[i % 2]
        assert _login(s, host, host, "ben", "wrong-password-123").status_code == 401
    assert _login(s, a, a, "ben").status_code == 401  # the right password, refused on A
    assert _login(s, b, b, "ben").status_code == 401  # and on B
    # Another account from the same address is not locked by ben's counter.
    assert _login(requests.Session(), b, a, "dev").status_code == 302
