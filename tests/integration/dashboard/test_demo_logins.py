"""Demo logins (published passwords) exist only in a demo: ``caseload users demo`` refuses
outside a development or test environment and, without ``--allow-demo-logins``, on anything
but the embedded SQLite warehouse; it never re-enables a login an administrator disabled; and a
production start-up refuses to serve while any ``demo.*`` login is active."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from factories import add_user, seed_world, url_of
from sqlalchemy import func, select

from dashboard import create_app
from dashboard.commands.users import disable_user
from dashboard.config import Config, ConfigError
from etl.cli import main
from etl.models import AppAuditLog, AppUser

DEMO_NAMES = {"demo.counselor", "demo.supervisor", "demo.admin"}


def _demo(engine, *extra: str):
    return CliRunner().invoke(main, ["users", "demo", "--database-url", url_of(engine), *extra])


def _allow(backend: str) -> tuple[str, ...]:
    """The flag a non-SQLite warehouse needs; the SQLite one needs nothing."""
    return () if backend == "sqlite" else ("--allow-demo-logins",)


def _demo_users(engine) -> dict[str, AppUser]:
    with engine.connect() as conn:
        rows = conn.execute(select(AppUser).where(AppUser.username.like("demo.%"))).all()
    return {r.username: r for r in rows}


@pytest.fixture
def world(engine):
    seed_world(engine, days=10, per_counselor={"S-C1": 2, "S-C2": 3})
    # A real administrator: the demo admin is then not the last one, and may be disabled.
    add_user(engine, "root", "admin", program_id="P-EAST")
    return engine


@pytest.mark.parametrize(
    "value", ["production", "prod", "Production ", " PRODUCTION", "staging", "live"]
)
def test_refused_outside_development_and_test(world, backend, monkeypatch, value) -> None:
    monkeypatch.setenv("CASELOAD_ENV", value)
    result = _demo(world, "--allow-demo-logins")
    assert result.exit_code != 0
    assert "CASELOAD_ENV" in result.output
    assert _demo_users(world) == {}


@pytest.mark.parametrize("value", [None, "", "development", " Development ", "TEST", "test\n"])
def test_allowed_in_development_and_test(world, backend, monkeypatch, value) -> None:
    if value is None:
        monkeypatch.delenv("CASELOAD_ENV", raising=False)
    else:
        monkeypatch.setenv("CASELOAD_ENV", value)
    result = _demo(world, *_allow(backend))
    assert result.exit_code == 0, result.output
    assert set(_demo_users(world)) == DEMO_NAMES


def test_server_database_needs_the_explicit_flag(world, backend, monkeypatch) -> None:
    monkeypatch.delenv("CASELOAD_ENV", raising=False)
    result = _demo(world)
    if backend == "sqlite":
        assert result.exit_code == 0, result.output
        assert set(_demo_users(world)) == DEMO_NAMES
    else:
        assert result.exit_code != 0
        assert "--allow-demo-logins" in result.output
        assert _demo_users(world) == {}
        assert _demo(world, "--allow-demo-logins").exit_code == 0
        assert set(_demo_users(world)) == DEMO_NAMES


def test_never_re_enables_a_disabled_demo_login(world, backend, monkeypatch) -> None:
    monkeypatch.delenv("CASELOAD_ENV", raising=False)
    assert _demo(world, *_allow(backend)).exit_code == 0
    with world.begin() as conn:
        disable_user(conn, "demo.admin")
    before = _demo_users(world)
    with world.connect() as conn:
        audit_rows = conn.execute(select(func.count()).select_from(AppAuditLog)).scalar()

    result = _demo(world, *_allow(backend))
    assert result.exit_code != 0
    assert "demo.admin" in result.output and "disabled" in result.output
    after = _demo_users(world)
    assert after["demo.admin"].is_active is False
    assert after["demo.admin"].password_hash == before["demo.admin"].password_hash
    assert after["demo.admin"].session_epoch == before["demo.admin"].session_epoch
    # Nothing else changed either: the refusal comes before any write.
    for name in DEMO_NAMES:
        assert after[name].password_hash == before[name].password_hash
    with world.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AppAuditLog)).scalar() == audit_rows


def _production(engine) -> Config:
    return Config(secret_key="p" * 48, database_url=url_of(engine), production=True)


def test_production_start_up_refuses_while_a_demo_login_is_active(
    world, backend, monkeypatch
) -> None:
    monkeypatch.delenv("CASELOAD_ENV", raising=False)
    monkeypatch.setenv("CASELOAD_AUDIT_KEY", "a" * 48)  # production's other requirement
    assert _demo(world, *_allow(backend)).exit_code == 0
    with pytest.raises(ConfigError, match="demo"):
        create_app(_production(world))
    with world.begin() as conn:
        for name in sorted(DEMO_NAMES - {"demo.supervisor"}):
            disable_user(conn, name)
    with pytest.raises(ConfigError, match="demo.supervisor"):
        create_app(_production(world))
    with world.begin() as conn:
        disable_user(conn, "demo.supervisor")
    server = create_app(_production(world))
    server.extensions["caseload_db"].dispose()
    # Outside production the same warehouse with demo logins serves (that is the demo).
    server = create_app(Config(secret_key="d" * 48, database_url=url_of(world)))
    server.extensions["caseload_db"].dispose()


def test_caseload_serve_refuses_in_production_with_demo_logins(world, backend, monkeypatch) -> None:
    monkeypatch.delenv("CASELOAD_ENV", raising=False)
    assert _demo(world, *_allow(backend)).exit_code == 0
    monkeypatch.setenv("CASELOAD_ENV", "Production ")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("CASELOAD_AUDIT_KEY", "a" * 48)
    monkeypatch.setenv("DATABASE_URL", url_of(world))
    # An address that cannot be bound: were the refusal missing, serve would fail later on.
    result = CliRunner().invoke(main, ["serve", "--host", "256.256.256.256", "--port", "0"])
    assert result.exit_code != 0
    assert "demo logins are active: demo.admin, demo.counselor, demo.supervisor" in result.output


@pytest.mark.parametrize("value", ["production", "Production ", "prod", "staging"])
def test_any_environment_but_development_or_test_runs_as_production(monkeypatch, value) -> None:
    monkeypatch.setenv("CASELOAD_ENV", value)
    assert Config.from_env().production is True
    for value in ("development", " Test ", ""):
        monkeypatch.setenv("CASELOAD_ENV", value)
        assert Config.from_env().production is False
