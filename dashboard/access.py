"""Recording a refused request for a client record, with the target named by key."""

from __future__ import annotations

from dashboard.audit import audit_denied
from dashboard.db import db
from dashboard.read.client import client_key_for_audit


def deny_client_access(client_id, *, reason: str, action: str) -> None:
    requested = client_id if isinstance(client_id, str) else None
    with db.engine.connect() as conn:
        key = client_key_for_audit(conn, requested) if requested else None
    audit_denied(
        reason=reason,
        client_keys=[key] if key is not None else None,
        detail={"action": action, "requested_client_id": str(client_id)[:64]},
    )
