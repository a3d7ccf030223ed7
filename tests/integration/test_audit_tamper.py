"""Tampering done straight in the database, as its owner could (the append-only triggers
dropped first), is found by ``caseload audit verify``, which names the first wrong row."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, insert, select, text, update

from etl.audit import GENESIS, Actor, record, verify
from etl.cli import main
from etl.db import make_engine
from etl.migrate import upgrade
from etl.models import AppAuditLog

ROWS = 6


@pytest.fixture
def chain(database_url: str, monkeypatch) -> tuple[Engine, str]:
    """A migrated warehouse whose log holds six rows, with the triggers dropped."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as conn:
        for i in range(ROWS):
            record(
                conn,
                action="view",
                actor=Actor(user_id=1, username="ana", role="counselor"),
                client_keys=[i + 1],
                category="client_record",
                route=f"/clients/{i}",
            )
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER app_audit_log_no_change ON app_audit_log"))
            conn.execute(text("DROP TRIGGER app_audit_log_no_truncate ON app_audit_log"))
        else:
            conn.execute(text("DROP TRIGGER app_audit_log_no_update"))
            conn.execute(text("DROP TRIGGER app_audit_log_no_delete"))
    yield engine, database_url
    engine.dispose()


def _cli(*args: str):
    return CliRunner().invoke(main, ["audit", *args], catch_exceptions=False)


def _rows(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id)).mappings()
        ]


def test_untouched_log_verifies_and_head_is_published(chain) -> None:
    engine, _ = chain
    result = _cli("verify")
    assert result.exit_code == 0, result.output
    assert f"{ROWS} rows checked" in result.output
    head = _cli("head").output.strip()
    assert head == f"{ROWS + 1}:{_rows(engine)[-1]['row_hash']}"  # + the verify row
    assert _cli("verify", "--head", head).exit_code == 0
    last = _rows(engine)[-1]
    assert last["action"] == "audit_verify" and last["detail"]["ok"] is True


def test_wrong_key_fails_on_the_first_row(chain, monkeypatch) -> None:
    monkeypatch.setenv("CASELOAD_AUDIT_KEY", "another-key-of-at-least-thirty-two-chars")
    result = _cli("verify")
    assert result.exit_code == 1
    assert "event 1: content does not match its MAC" in result.output


def test_edited_field_is_named(chain) -> None:
    engine, _ = chain
    with engine.begin() as conn:
        conn.execute(update(AppAuditLog).where(AppAuditLog.event_id == 3).values(username="eve"))
    result = _cli("verify")
    assert result.exit_code == 1
    assert "event 3: content does not match its MAC" in result.output


def test_rehashed_edit_without_the_key_is_named(chain) -> None:
    """The old attack: edit a row and recompute every link after it, unkeyed."""
    import hashlib

    engine, _ = chain
    rows = _rows(engine)
    prev = rows[1]["row_hash"]
    with engine.begin() as conn:
        for r in rows[2:]:
            forged = hashlib.sha256(f"{prev}eve".encode()).hexdigest()
            conn.execute(
                update(AppAuditLog)
                .where(AppAuditLog.event_id == r["event_id"])
                .values(username="eve", prev_hash=prev, row_hash=forged)
            )
            prev = forged
    assert "event 3: content does not match" in _cli("verify").output


def test_deleted_row_is_named(chain) -> None:
    engine, _ = chain
    with engine.begin() as conn:
        conn.execute(delete(AppAuditLog).where(AppAuditLog.event_id == 4))
    result = _cli("verify")
    assert result.exit_code == 1
    assert "event 5: rows 4..4 are missing" in result.output


def test_deleted_row_with_ids_renumbered_is_named(chain) -> None:
    engine, _ = chain
    with engine.begin() as conn:
        conn.execute(delete(AppAuditLog).where(AppAuditLog.event_id == 4))
        for event_id in (5, 6):
            conn.execute(
                update(AppAuditLog)
                .where(AppAuditLog.event_id == event_id)
                .values(event_id=event_id - 1)
            )
    assert "event 4: link to the previous row is wrong" in _cli("verify").output


def test_inserted_row_is_named(chain) -> None:
    engine, _ = chain
    rows = _rows(engine)
    fake = {**rows[-1], "event_id": ROWS + 1, "prev_hash": rows[-1]["row_hash"]}
    fake["row_hash"] = "f" * 64
    with engine.begin() as conn:
        conn.execute(insert(AppAuditLog).values(**fake))
    assert f"event {ROWS + 1}: content does not match" in _cli("verify").output


def test_row_inserted_in_the_middle_is_named(chain) -> None:
    engine, _ = chain
    rows = _rows(engine)
    with engine.begin() as conn:
        for r in reversed(rows[2:]):  # make room after event 2
            conn.execute(
                update(AppAuditLog)
                .where(AppAuditLog.event_id == r["event_id"])
                .values(event_id=r["event_id"] + 1)
            )
        fake = {**rows[1], "event_id": 3, "prev_hash": rows[1]["row_hash"], "row_hash": "e" * 64}
        conn.execute(insert(AppAuditLog).values(**fake))
    assert "event 3: content does not match" in _cli("verify").output


def test_reordered_pair_is_named(chain) -> None:
    engine, _ = chain
    with engine.begin() as conn:
        conn.execute(update(AppAuditLog).where(AppAuditLog.event_id == 2).values(event_id=-2))
        conn.execute(update(AppAuditLog).where(AppAuditLog.event_id == 3).values(event_id=2))
        conn.execute(update(AppAuditLog).where(AppAuditLog.event_id == -2).values(event_id=3))
    assert "event 2: link to the previous row is wrong" in _cli("verify").output


def test_truncated_tail_fails_against_the_published_head(chain) -> None:
    engine, _ = chain
    published = _cli("head").output.strip()
    with engine.begin() as conn:
        conn.execute(delete(AppAuditLog).where(AppAuditLog.event_id >= 5))
    assert _cli("verify").exit_code == 0  # a shorter chain is valid on its own
    result = _cli("verify", "--head", published)
    assert result.exit_code == 1
    assert f"published head event {ROWS} is gone: the log was cut after event" in result.output


def test_verify_from_a_date_anchors_on_the_row_before(chain) -> None:
    engine, _ = chain
    rows = _rows(engine)
    day = rows[0]["occurred_at"].date()
    assert verify(engine, since=day).checked == ROWS
    with engine.begin() as conn:
        conn.execute(update(AppAuditLog).where(AppAuditLog.event_id == 1).values(prev_hash="1"))
    assert verify(engine).first_bad == 1
    later = verify(engine, since=day.replace(year=day.year + 1))
    assert later.ok and later.checked == 0
    assert rows[0]["prev_hash"] == GENESIS


def test_malformed_head_is_a_usage_error(chain) -> None:
    result = CliRunner().invoke(main, ["audit", "verify", "--head", "nonsense"])
    assert result.exit_code == 2
    assert "ID:MAC" in result.output


def test_production_refuses_to_append_without_a_key(engine, monkeypatch) -> None:
    from etl.audit import AuditKeyError

    monkeypatch.setenv("CASELOAD_ENV", "production")
    monkeypatch.delenv("CASELOAD_AUDIT_KEY", raising=False)
    with engine.begin() as conn, pytest.raises(AuditKeyError, match="CASELOAD_AUDIT_KEY"):
        record(conn, action="login", actor=Actor())


def test_production_app_refuses_to_start_without_an_audit_key(monkeypatch) -> None:
    from dashboard.config import Config, ConfigError

    monkeypatch.delenv("CASELOAD_AUDIT_KEY", raising=False)
    config = Config(secret_key="s" * 48, database_url="sqlite://", production=True)
    with pytest.raises(ConfigError, match="CASELOAD_AUDIT_KEY is not set"):
        config.resolved()
    monkeypatch.setenv("CASELOAD_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        config.resolved()
    monkeypatch.setenv("CASELOAD_AUDIT_KEY", "k" * 40)
    assert config.resolved().production
