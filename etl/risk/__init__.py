"""Derived client-day facts and the daily relapse-risk score.

``refresh(engine, changes, as_of)`` is what ingest calls after every load: it rebuilds
``fct_client_day`` and ``fct_risk_score`` for the clients and days a load touched (or all of
them when ``changes`` is None). The rules are in ``rules.py`` and documented for clinicians in
``docs/risk-rules.md``; thresholds and points come from ``config.py``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RefreshStats", "refresh"]


def __getattr__(name: str) -> Any:
    # Imported on first use so that ``etl.risk.rules`` and friends load without the DB layer.
    if name in __all__:
        from etl.risk import score

        return getattr(score, name)
    raise AttributeError(name)
