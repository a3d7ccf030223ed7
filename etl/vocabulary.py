"""The words the warehouse, the risk engine and the pages share, written down once.

A check-in's signals and their scales, the trigger list, the risk tiers in order, and "now"
in UTC (naive, as every ``_at`` column stores it). The ingest validates against these, the
engine computes over them and the pages label them; a new trigger or signal is added here and
nowhere else. Tier *thresholds* are clinical settings and live in ``etl/risk/default.toml``.
"""

from __future__ import annotations

import datetime as dt

# Answered 0-10 (mood: higher is better), hours slept 0-24, sleep quality 1-5.
SIGNAL_SCALES: dict[str, tuple[float, float]] = {
    "craving": (0, 10),
    "stress": (0, 10),
    "mood": (0, 10),
    "sleep_hours": (0, 24),
    "sleep_quality": (1, 5),
}
SIGNALS: tuple[str, ...] = tuple(SIGNAL_SCALES)
TRIGGERS: tuple[str, ...] = ("people", "places", "music", "routines", "emotions", "other")
# A check-in's answers, in the contract's order: the CSV columns after the ids and the
# published Questionnaire's linkIds.
CHECKIN_ANSWERS: tuple[str, ...] = (
    *SIGNALS,
    "used_since_last",
    "triggers",
    "support_contact",
    "coping",
    "note",
)

TIERS: tuple[str, ...] = ("low", "moderate", "high", "critical")  # lowest first
TIER_RANK: dict[str, int] = {t: i for i, t in enumerate(TIERS)}
HIGH_TIERS: tuple[str, ...] = ("high", "critical")
# The reason code of "reported no use, the screen was positive": the pages single it out.
DISCORDANCE = "discordance"


def utcnow() -> dt.datetime:
    """Now in UTC without a tzinfo: how the warehouse stores every timestamp."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
