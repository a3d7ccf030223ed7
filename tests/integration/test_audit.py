"""The audit log is a hash chain: appends link up, and any edit or deletion is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from etl.audit import Actor, record, verify_chain
from etl.models import AppAuditLog


def _append_three(engine) -> list[int]:
    ids = []
    with engine.begin() as conn:
        for action in ("login", "view", "export"):
            ids.append(
                record(
                    conn,
                    action=action,
                    actor=Actor(user_id=1, username="ana", role="counselor"),
                    client_keys=[3, 1],
                    category="client_record",
                )
            )
    return ids


def test_chain_links_and_verifies(engine) -> None:
    ids = _append_three(engine)
    assert verify_chain(engine) is None
    with engine.connect() as conn:
        rows = conn.execute(select(AppAuditLog).order_by(AppAuditLog.event_id)).all()
    assert [r.action for r in rows] == ["login", "view", "export"]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].row_hash
    assert rows[1].client_keys == [1, 3]
    assert [r.event_id for r in rows] == ids


@pytest.mark.parametrize("tamper", ["edit", "delete"])
def test_tampering_is_detected(engine, tamper: str) -> None:
    ids = _append_three(engine)
    with engine.begin() as conn:
        if tamper == "edit":
            conn.execute(
                update(AppAuditLog).where(AppAuditLog.event_id == ids[1]).values(username="mallory")
            )
        else:
            conn.execute(delete(AppAuditLog).where(AppAuditLog.event_id == ids[1]))
    assert verify_chain(engine) == (ids[1] if tamper == "edit" else ids[2])


def test_unknown_action_is_refused(engine) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="unknown audit action"):
        record(conn, action="peek", actor=Actor())


def test_concurrent_appends_keep_one_chain(engine) -> None:
    """Two writers at once must not both chain onto the same previous row."""
    from concurrent.futures import ThreadPoolExecutor

    def append(worker: int) -> None:
        for _ in range(25):
            with engine.begin() as conn:
                record(conn, action="view", actor=Actor(user_id=worker, username=f"u{worker}"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(append, [1, 2]))
    with engine.connect() as conn:
        prevs = conn.execute(select(AppAuditLog.prev_hash)).scalars().all()
    assert len(prevs) == 50
    assert len(set(prevs)) == 50
    assert verify_chain(engine) is None
