"""Passwords and accounts: Argon2id at or above OWASP's floor, the same cost whether or not the
name exists, old hashes upgraded at sign-in, and every ``caseload users`` change ending the
user's open sessions. Production refuses to run without a real secret key."""

from __future__ import annotations

import importlib
import statistics
import sys
import time

import pytest
from argon2 import PasswordHasher, Type
from argon2.low_level import hash_secret
from click.testing import CliRunner
from dash_client import client_from, login
from factories import PASSWORD, add_user, url_of
from sqlalchemy import select, update

from dashboard import create_app
from dashboard.auth import passwords
from dashboard.config import Config, ConfigError
from etl.audit import DEV_AUDIT_KEY
from etl.cli import main
from etl.models import AppAuditLog, AppLoginThrottle, AppUser


def _params(encoded: str) -> dict[str, int]:
    # $argon2id$v=19$m=65536,t=3,p=4$salt$hash
    _, variant, _version, params, *_ = encoded.split("$")
    values = dict(p.split("=") for p in params.split(","))
    return {"variant": variant, **{k: int(v) for k, v in values.items()}}


def test_hashes_meet_the_owasp_floor(seeded) -> None:
    with seeded.engine.connect() as conn:
        stored = conn.execute(
            select(AppUser.password_hash).where(AppUser.username == "ana")
        ).scalar_one()
    for encoded in (stored, passwords.hash_password("x" * 12), passwords._dummy_hash()):  # noqa: SLF001
        params = _params(encoded)
        assert params["variant"] == "argon2id"
        assert params["m"] >= 19 * 1024 and params["t"] >= 2 and params["p"] >= 1
    # The dummy costs exactly what a real verification costs.
    assert _params(passwords._dummy_hash()) == _params(stored)  # noqa: SLF001
    PasswordHasher().verify(stored, PASSWORD)


def _timed_login(app, address: str, username: str) -> float:
    client = client_from(app, address)
    client.get("/login")
    start = time.perf_counter()
    response = login(client, username, "wrong-password-x")
    elapsed = time.perf_counter() - start
    assert response.status_code == 401
    return elapsed


def test_unknown_names_cost_a_hash_too(app_factory, seeded) -> None:
    """A sign-in for a name that does not exist must not answer faster than one with a wrong
    password for a real name (that would list the accounts)."""
    app = app_factory(login_max_failures_per_user=100, login_max_failures_per_address=100)
    known, unknown = [], []
    for i in range(4):
        known.append(_timed_login(app, f"10.55.0.{i}", "dev"))
        unknown.append(_timed_login(app, f"10.55.1.{i}", f"no-such-user-{i}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)
    # One Argon2 verification is most of the cost: without the dummy the ratio would be ~0.05.
    start = time.perf_counter()
    passwords.verify_or_burn(None, "wrong-password-x")
    assert time.perf_counter() - start > 0.3 * statistics.median(known)


def test_throttled_attempts_spend_no_hash(app_factory, seeded) -> None:
    """Once an address is throttled its attempts are refused before any hashing, for real and
    unknown names alike, so a flood costs the server little."""
    app = app_factory(login_max_failures_per_address=2, login_max_failures_per_user=100)
    for i in range(2):
        _timed_login(app, "10.56.0.1", f"filler-{i}")
    hashed = statistics.median(_timed_login(app, f"10.56.1.{i}", "dev") for i in range(3))
    known = statistics.median(_timed_login(app, "10.56.0.1", "dev") for _ in range(3))
    unknown = statistics.median(_timed_login(app, "10.56.0.1", "no-such-user") for _ in range(3))
    assert known < 0.5 * hashed and unknown < 0.5 * hashed, (hashed, known, unknown)
    with seeded.engine.connect() as conn:
        reasons = conn.execute(
            select(AppAuditLog.detail)
            .where(AppAuditLog.source_address == "10.56.0.1")
            .order_by(AppAuditLog.event_id)
        ).scalars()
        # Six refusals, one audit row: the first refusal of the window stands for the rest.
        assert [r["reason"] for r in reasons][2:] == ["throttled"]


def test_failed_attempts_keep_no_typed_text(app_factory, seeded) -> None:
    """A password typed into the name field must not be stored in clear, nor the address;
    throttling still works on the keyed hashes, whatever the case of the typed name."""
    app = app_factory(login_max_failures_per_address=100)
    typed = "Winter2026-my-actual-password"
    assert login(client_from(app, "10.57.0.1"), typed, "x").status_code == 401
    for name in (" Ben ", "BEN", "ben", "Ben", "bEn"):
        assert login(client_from(app, "10.57.1.1"), name, "wrong-password-x").status_code == 401
    with seeded.engine.connect() as conn:
        stored = conn.execute(select(AppLoginThrottle.throttle_key)).scalars().all()
    assert stored and not any(typed.lower() in s or "ben" in s or "10.57" in s for s in stored)
    assert all(len(s.split(":", 1)[1]) == 64 for s in stored)
    assert login(client_from(app, "10.57.1.1"), "ben").status_code == 401  # this address: locked
    assert login(client_from(app, "10.57.2.1"), "BEN").status_code == 302  # the owner elsewhere


def test_an_old_weaker_hash_is_upgraded_at_sign_in(app, seeded) -> None:
    add_user(seeded.engine, "legacy", "counselor", staff_id="S-C2")
    weak = hash_secret(
        PASSWORD.encode(),
        b"legacy-salt-16by",
        time_cost=1,
        memory_cost=8,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    ).decode()
    with seeded.engine.begin() as conn:
        conn.execute(update(AppUser).where(AppUser.username == "legacy").values(password_hash=weak))
    assert login(app.test_client(), "legacy").status_code == 302
    with seeded.engine.connect() as conn:
        upgraded = conn.execute(
            select(AppUser.password_hash).where(AppUser.username == "legacy")
        ).scalar_one()
    assert upgraded != weak and _params(upgraded)["m"] >= 19 * 1024


def _cli(seeded, *args, stdin=None):
    url = url_of(seeded.engine)
    return CliRunner().invoke(main, ["users", *args, "--database-url", url], input=stdin)


@pytest.mark.parametrize(
    "command, stdin",
    [
        (("disable",), None),
        (("reset-password", "--password-stdin"), "another-long-secret\n"),
    ],
)
def test_user_commands_end_open_sessions(app, seeded, command, stdin) -> None:
    name = f"cli-{command[0]}"
    add_user(seeded.engine, name, "counselor", staff_id="S-C2")
    client = app.test_client()
    login(client, name)
    assert client.get("/_dash-layout").status_code == 200
    result = _cli(seeded, command[0], "--username", name, *command[1:], stdin=stdin)
    assert result.exit_code == 0, result.output
    assert client.get("/_dash-layout").status_code == 401
    with seeded.engine.connect() as conn:
        events = conn.execute(
            select(AppAuditLog).order_by(AppAuditLog.event_id.desc()).limit(2)
        ).all()
    # The command's change, then the dead cookie's refused request (audited too).
    denied, event = events
    assert denied.action == "denied" and denied.route == "/_dash-layout"
    assert event.action == "user_changed" and event.username == "system:cli"
    assert "another-long-secret" not in str(event.detail) and "another" not in result.output
    if command[0] == "reset-password":
        assert login(app.test_client(), name, "another-long-secret").status_code == 302


def test_weak_passwords_are_refused(seeded) -> None:
    result = _cli(
        seeded,
        "add",
        "--username",
        "weak",
        "--role",
        "counselor",
        "--staff-id",
        "S-C1",
        "--password-stdin",
        stdin="short\n",
    )
    assert result.exit_code != 0 and "at least 12" in result.output


def test_production_needs_a_real_secret_key(seeded, monkeypatch) -> None:
    monkeypatch.setenv("CASELOAD_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", seeded.url)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()
    sys.modules.pop("dashboard.wsgi", None)
    with pytest.raises(SystemExit) as stopped:
        importlib.import_module("dashboard.wsgi")  # gunicorn fails to start
    assert stopped.value.code == 2
    result = CliRunner().invoke(main, ["serve", "--host", "256.256.256.256", "--port", "0"])
    assert result.exit_code != 0 and "SECRET_KEY is not set" in result.output
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(ConfigError):
        create_app()
    result = CliRunner().invoke(main, ["users", "demo", "--database-url", seeded.url])
    assert result.exit_code != 0 and "refused unless CASELOAD_ENV" in result.output


def test_production_settings(seeded, monkeypatch) -> None:
    monkeypatch.setenv("CASELOAD_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", seeded.url)
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    # The development key's value, so the module's shared log keeps one key (it is 32+ long).
    monkeypatch.setenv("CASELOAD_AUDIT_KEY", DEV_AUDIT_KEY)
    monkeypatch.setenv("CASELOAD_TODAY", "2026-11-27")
    monkeypatch.delenv("CASELOAD_HTTPS", raising=False)
    app = create_app(Config.from_env())
    try:
        assert app.debug is False and app.config["PROPAGATE_EXCEPTIONS"] is False
        assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
        client = app.test_client()
        response = login(client, "ana")
        assert response.status_code == 302
        assert "Secure" in next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith("caseload_session")
        )
        page = client.get("/")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "Server-Timing" not in page.headers
        broken = client.post(
            "/_dash-update-component",
            json={"output": "nothing.children", "inputs": []},
            headers={"X-CSRFToken": client.get_cookie("_csrf_token").value},
        )
        assert broken.status_code == 400
        assert broken.get_json() == {"error": "malformed callback request"}
    finally:
        app.extensions["caseload_db"].dispose()
        sys.modules.pop("dashboard.wsgi", None)
