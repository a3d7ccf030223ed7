"""The load test's morning (``benchmarks/morning.py``, what ``benchmarks/locustfile.py`` sends)
accepted by the real app, request by request, for each role: so the load test times pages
and callbacks doing their work, not fast refusals (a 204, a 400, a login form)."""

from __future__ import annotations

import random

from factories import PASSWORD
from sqlalchemy import func, select

from benchmarks.morning import FlaskHttp, Morning
from etl.models import AppAuditLog, AppFollowup


def _morning(app, username: str, role: str) -> FlaskHttp:
    http = FlaskHttp(app.test_client())
    morning = Morning(http, username, PASSWORD, role, rng=random.Random(3))
    morning.sign_in()
    morning.work()
    return http


def _followups(seeded) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AppFollowup)).scalar_one()


def test_a_counselors_morning_is_accepted_by_the_app(app, seeded):
    before = _followups(seeded)
    http = _morning(app, "ana", "counselor")
    assert [s.problem for s in http.sent if s.problem] == []
    assert {s.status for s in http.sent} == {200, 302}
    names = [s.name for s in http.sent]
    assert 3 <= names.count("Client: record (data)") <= 5
    assert names.count("Today: caseload (data)") == 2
    for step in ("Missed: data", "Sleep & stress: data", "Contact: save (command)"):
        assert names.count(step) == 1, step
    assert "Outcomes: figures (data)" not in names
    assert http.pages[0] == "sign-in" and "Log a contact" in http.pages
    # The contact was written, and each record opened was audited as a view.
    assert _followups(seeded) == before + 1
    with seeded.engine.connect() as conn:
        views = conn.execute(
            select(func.count())
            .select_from(AppAuditLog)
            .where(AppAuditLog.username == "ana", AppAuditLog.action == "view")
        ).scalar_one()
    assert views >= names.count("Client: record (data)") + 2


def test_a_supervisors_morning_reaches_outcomes(app):
    http = _morning(app, "carla", "supervisor")
    assert [s.problem for s in http.sent if s.problem] == []
    names = [s.name for s in http.sent]
    for step in ("Outcomes: figures (data)", "Outcomes: alert budget", "Contact: save (command)"):
        assert names.count(step) == 1, step


def test_an_admins_morning_lists_the_loads(app):
    http = _morning(app, "root", "admin")
    assert [s.problem for s in http.sent if s.problem] == []
    names = [s.name for s in http.sent]
    assert names.count("Loads: list") == 1
    assert not any(name.startswith(("Today", "Client")) for name in names)


def test_a_refused_callback_is_a_failure_not_a_fast_success(app):
    """Signed in as a counselor, the admin's loads page answers nothing (204): the morning
    must call that a failure, or the load test would time refusals."""
    http = FlaskHttp(app.test_client())
    morning = Morning(http, "ben", PASSWORD, "counselor")
    morning.sign_in()
    try:
        morning.loads()
    except Exception as exc:  # StepFailed
        assert "Loads" in str(exc) or "routing" in str(exc)
    else:
        raise AssertionError("a refused callback passed as a good answer")
    assert any(s.problem for s in http.sent)
