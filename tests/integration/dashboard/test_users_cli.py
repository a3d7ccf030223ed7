"""``caseload users``: passwords from stdin, hashed with Argon2id, every change audited and
ending open sessions; ``users demo`` binds the demo logins to loaded staff."""

from __future__ import annotations

from argon2 import PasswordHasher
from click.testing import CliRunner
from factories import seed_world, url_of
from sqlalchemy import select

from etl.cli import main
from etl.models import AppAuditLog, AppUser, DimStaff


def _run(engine, *args, stdin=None):
    url = url_of(engine)
    return CliRunner().invoke(main, ["users", *args, "--database-url", url], input=stdin)


def _user(engine, username):
    with engine.connect() as conn:
        return conn.execute(select(AppUser).where(AppUser.username == username)).one_or_none()


def test_add_disable_reset(engine) -> None:
    seed_world(engine, days=10, per_counselor={"S-C1": 2})
    result = _run(
        engine,
        "add",
        "--username",
        "Ana",
        "--role",
        "counselor",
        "--staff-id",
        "S-C1",
        "--password-stdin",
        stdin="a-long-enough-secret\n",
    )
    assert result.exit_code == 0, result.output
    user = _user(engine, "ana")
    assert user.password_hash.startswith("$argon2id$")
    PasswordHasher().verify(user.password_hash, "a-long-enough-secret")
    assert "a-long-enough-secret" not in result.output
    with engine.connect() as conn:
        staff_key = conn.execute(
            select(DimStaff.staff_key).where(DimStaff.staff_id == "S-C1")
        ).scalar()
    assert user.staff_key == staff_key and user.program_key is not None

    assert (
        _run(
            engine,
            "reset-password",
            "--username",
            "ana",
            "--password-stdin",
            stdin="another-long-secret\n",
        ).exit_code
        == 0
    )
    reset = _user(engine, "ana")
    assert reset.session_epoch == user.session_epoch + 1
    PasswordHasher().verify(reset.password_hash, "another-long-secret")

    assert _run(engine, "disable", "--username", "ana").exit_code == 0
    disabled = _user(engine, "ana")
    assert disabled.is_active is False and disabled.session_epoch == user.session_epoch + 2
    with engine.connect() as conn:
        changes = [
            r.detail["change"]
            for r in conn.execute(
                select(AppAuditLog)
                .where(AppAuditLog.action == "user_changed")
                .order_by(AppAuditLog.event_id)
            )
        ]
    assert changes == ["added", "password_reset", "disabled"]


def test_refusals(engine) -> None:
    seed_world(engine, days=10, per_counselor={"S-C1": 1})
    short = _run(
        engine, "add", "--username", "x", "--role", "admin", "--password-stdin", stdin="short\n"
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    no_staff = _run(
        engine,
        "add",
        "--username",
        "y",
        "--role",
        "counselor",
        "--password-stdin",
        stdin="a-long-enough-secret\n",
    )
    assert no_staff.exit_code != 0 and "--staff-id" in no_staff.output
    assert _user(engine, "x") is None and _user(engine, "y") is None


def test_demo_logins_bind_to_loaded_staff(engine) -> None:
    seed_world(engine, days=10, per_counselor={"S-C1": 2, "S-C2": 4})
    # A database server takes demo logins only when asked explicitly.
    demo = ("demo",) if engine.dialect.name == "sqlite" else ("demo", "--allow-demo-logins")
    result = _run(engine, *demo)
    assert result.exit_code == 0, result.output
    assert "demo.counselor" in result.output and "counselor-demo-2026" in result.output
    with engine.connect() as conn:
        staff = dict(conn.execute(select(DimStaff.staff_key, DimStaff.staff_id)).all())
    counselor = _user(engine, "demo.counselor")
    supervisor = _user(engine, "demo.supervisor")
    assert staff[counselor.staff_key] == "S-C2"  # the counselor with the most clients
    assert staff[supervisor.staff_key] == "S-S1"
    assert _user(engine, "demo.admin").role == "admin"
    assert _run(engine, *demo).exit_code == 0  # idempotent: resets, does not duplicate
