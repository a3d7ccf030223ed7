"""One colour-blind-safe palette (Okabe-Ito / Tol) for tiers and check-in states.

Colour is never the only cue: every tier also has an icon and a label, and charts use marker
shapes as well as colours.
"""

from __future__ import annotations

from etl.vocabulary import TIERS, TRIGGERS

TIER_COLORS = {
    "low": "#0072B2",  # blue
    "moderate": "#E69F00",  # orange
    "high": "#D55E00",  # vermillion
    "critical": "#882255",  # wine
}
TIER_BAND_COLORS = {
    "low": "rgba(0,114,178,0.07)",
    "moderate": "rgba(230,159,0,0.10)",
    "high": "rgba(213,94,0,0.10)",
    "critical": "rgba(136,34,85,0.12)",
}
TIER_ICONS = {  # Bootstrap Icons
    "low": "bi-circle",
    "moderate": "bi-exclamation-circle-fill",
    "high": "bi-exclamation-triangle-fill",
    "critical": "bi-exclamation-octagon-fill",
}
TIER_SYMBOLS = {"low": "circle", "moderate": "diamond", "high": "triangle-up", "critical": "x"}
TIER_LABELS = {t: t.capitalize() for t in TIERS}

DONE = "#0072B2"
MISSED = "#E69F00"
NOT_EXPECTED = "#E9ECEF"
PENDING = "#8FA9BF"  # expected today, day not over: neither done nor missed
SIGNAL_LINE = "#333333"
SUPPORT = "#009E73"  # bluish green: support contact
BASELINE_FILL = "rgba(86,180,233,0.25)"
BASELINE_LINE = "#56B4E9"
TRIGGER_COLORS = dict(
    zip(TRIGGERS, ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#999999"), strict=True)
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
