"""The risk rules: transparent points per clinical signal, with the numbers behind them.

Each rule looks at one signal of the clinical model (docs/risk-rules.md says what and why) and
gives points for every client-day at once. The day's score is the sum of the rules' points,
capped at 100, so a counselor can read it as "30 for recent use + 20 for two missed check-ins".
The rules never lower a score for time in treatment: risk does not fade on its own.

``RULE_VERSION`` changes whenever the logic below changes (thresholds live in the config and
are recorded by its hash), so every stored score says which rules produced it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from etl.risk.client_day import TRIGGERS, ClientDays, rolling_sum, to_date
from etl.risk.config import RiskConfig, SignalRule
from etl.risk.features import SignalStats, all_signal_stats, deviation_days

RULE_VERSION = "1.0.0"
TIERS = ("low", "moderate", "high", "critical")
HIGH_TIERS = ("high", "critical")


@dataclass
class RuleOutput:
    """One rule's points for every cell and the numbers its reason text is made from.

    ``values`` maps a name to (array, decimals); those numbers are what the reason shows, and
    ``text`` turns one cell's values (a dict) into the sentence a counselor can say.
    """

    code: str
    signal: str
    points: np.ndarray
    values: dict[str, tuple[np.ndarray, int]]
    text: Callable[[dict], str]


def _ago(days: float) -> str:
    days = int(days)
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def _date(day: float) -> str:
    d = to_date(int(day))
    return f"{d:%b} {d.day}"


def _nz(a: np.ndarray) -> np.ndarray:
    return np.nan_to_num(a, nan=0.0)


def _within(since: np.ndarray, days: float) -> np.ndarray:
    """Known and at most ``days`` ago."""
    return np.nan_to_num(since, nan=np.inf) <= days


def _signal_rule(
    code: str,
    label: str,
    name: str,
    values: np.ndarray,
    stats: SignalStats,
    rule: SignalRule,
    cfg: RiskConfig,
    direction: int,
) -> RuleOutput:
    """Craving, stress and mood: a high (or low) level, a deviation from own baseline, a trend."""
    recent = cfg.windows.recent_days
    latest = stats.latest
    if direction > 0:
        level_hit = _nz(latest - rule.level) >= 0
        steps = latest - rule.level
    else:
        level_hit = _nz(rule.level - latest) >= 0
        steps = rule.level - latest
    level_hit &= ~np.isnan(latest)
    pts_level = np.where(level_hit, rule.level_points + rule.points_per_step * _nz(steps), 0.0)
    dev_n, dev_z = deviation_days(
        values, stats, z=rule.z, sd_floor=rule.sd_floor, direction=direction, days=recent
    )
    pts_dev = rule.points_per_deviation_day * dev_n
    trend_hit = _nz(direction * stats.trend) >= rule.trend
    pts_trend = np.where(trend_hit, rule.trend_points, 0.0)
    points = np.minimum(pts_level + pts_dev + pts_trend, rule.max_points)
    word = "above" if direction > 0 else "below"
    moving = "rising" if direction > 0 else "falling"

    def text(v: dict) -> str:
        parts = []
        if v["level_hit"]:
            parts.append(f"{name} {v['level']:g}/10 {_ago(v['level_age'])}")
        if v["deviation_days"]:
            when = (
                f"for {v['deviation_days']} days"
                if v["deviation_days"] == recent and recent > 1
                else f"on {v['deviation_days']} of the last {recent} days"
            )
            head = "" if parts else f"{name} "
            parts.append(
                f"{head}{abs(v['deviation_sd']):.1f} SD {word} own baseline "
                f"(usual {v['baseline']:.1f}) {when}"
            )
        if v["trend_hit"]:
            head = "" if parts else f"{name} "
            parts.append(
                f"{head}{moving} {abs(v['trend']):.1f} a day over the last "
                f"{cfg.windows.trend_days} days"
            )
        return "; ".join(parts)

    return RuleOutput(
        code=code,
        signal=label,
        points=points,
        values={
            "level": (latest, 1),
            "level_age": (stats.latest_age, 0),
            "level_hit": (level_hit.astype(np.float64), 0),
            "deviation_days": (dev_n, 0),
            "deviation_sd": (dev_z * direction, 1),
            "baseline": (stats.baseline, 1),
            "trend": (stats.trend, 1),
            "trend_hit": (trend_hit.astype(np.float64), 0),
        },
        text=text,
    )


def _sleep_rule(days: ClientDays, stats: SignalStats, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.sleep
    hours = days.signals["sleep_hours"]
    quality = days.signals["sleep_quality"]
    short = rolling_sum((_nz(hours) < rule.short_hours) & ~np.isnan(hours), 7)
    reported = rolling_sum((~np.isnan(hours)).astype(np.float64), 7)
    poor = rolling_sum((_nz(quality) <= rule.poor_quality) & ~np.isnan(quality), 7)
    dev_n, dev_z = deviation_days(
        hours,
        stats,
        z=rule.z,
        sd_floor=rule.sd_floor,
        direction=-1,
        days=cfg.windows.recent_days,
    )
    pts = (
        np.where(short >= rule.short_nights, rule.points_per_short_night * short, 0.0)
        + np.where(poor >= rule.poor_quality_nights, rule.points_per_poor_night * poor, 0.0)
        + rule.points_per_deviation_day * dev_n
    )
    recent = cfg.windows.recent_days

    def text(v: dict) -> str:
        parts = []
        if v["short_nights"] >= rule.short_nights:
            parts.append(
                f"slept under {rule.short_hours:g} h on {v['short_nights']} of the last 7 nights"
            )
        if v["poor_quality_nights"] >= rule.poor_quality_nights:
            parts.append(f"poor sleep quality on {v['poor_quality_nights']} of the last 7 nights")
        if v["deviation_days"]:
            parts.append(
                f"slept {v['deviation_sd']:.1f} SD less than own usual "
                f"({v['usual_hours']:.1f} h) on {v['deviation_days']} of the last {recent} nights"
            )
        return "; ".join(parts)

    return RuleOutput(
        code="sleep",
        signal="poor sleep",
        points=np.minimum(pts, rule.max_points),
        values={
            "short_nights": (short, 0),
            "nights_reported": (reported, 0),
            "poor_quality_nights": (poor, 0),
            "deviation_days": (dev_n, 0),
            "deviation_sd": (dev_z, 1),
            "usual_hours": (stats.baseline, 1),
        },
        text=text,
    )


def _cues_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.cues
    cue_days = rolling_sum((days.trigger_count > 0).astype(np.float64), 7)
    per = {c: rolling_sum(days.triggers[c].astype(np.float64), 7) for c in TRIGGERS}
    pts = np.where(cue_days >= rule.min_days, rule.points_per_day * cue_days, 0.0)

    def text(v: dict) -> str:
        named = sorted(((v[c], c) for c in TRIGGERS if v[c]), key=lambda x: (-x[0], x[1]))
        which = ", ".join(f"{c} {n}" for n, c in named)
        return f"reported cues on {v['cue_days']} of the last 7 days ({which})"

    values = {"cue_days": (cue_days, 0)} | {c: (per[c], 0) for c in TRIGGERS}
    return RuleOutput("cues", "cues", np.minimum(pts, rule.max_points), values, text)


def _isolation_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.isolation
    since = days.days_since_support
    hit = _nz(since) >= rule.days
    pts = np.where(hit, rule.points + rule.points_per_extra_day * (_nz(since) - rule.days), 0.0)

    def text(v: dict) -> str:
        return f"no contact with support reported in {v['days_since_support']} days"

    return RuleOutput(
        "isolation",
        "isolation",
        np.minimum(pts, rule.max_points),
        {"days_since_support": (since, 0)},
        text,
    )


def _disengagement_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.disengagement
    weekly = (days.schedule == 2)[:, None]
    streak = days.missed_streak
    effective = streak * np.where(weekly, rule.weekly_weight, 1.0)
    pts_streak = np.where(effective >= rule.min_streak, rule.points_per_missed * effective, 0.0)
    expected_7d = rolling_sum(days.expected.astype(np.float64), 7)
    answered_7d = rolling_sum((days.expected & ~days.missed).astype(np.float64), 7)
    low = (expected_7d >= rule.low_adherence_min_expected) & (
        answered_7d < rule.low_adherence * expected_7d
    )
    pts = pts_streak + np.where(low, rule.low_adherence_points, 0.0)

    def text(v: dict) -> str:
        parts = []
        if v["effective_missed"] >= rule.min_streak:
            kind = "weekly check-ins" if v["weekly"] else "check-ins"
            if v["missed_in_a_row"] == 1:
                kind = kind[:-1]
            last = (
                "no check-in since admission"
                if v["days_since_checkin"] is None
                else f"last check-in {_ago(v['days_since_checkin'])}"
            )
            parts.append(f"{v['missed_in_a_row']} {kind} missed in a row ({last})")
        if v["low_adherence"]:
            parts.append(
                f"answered {v['answered_7d']} of {v['expected_7d']} expected check-ins "
                "in the last 7 days"
            )
        return "; ".join(parts)

    return RuleOutput(
        "disengagement",
        "disengagement",
        np.minimum(pts, rule.max_points),
        {
            "missed_in_a_row": (streak, 0),
            "effective_missed": (effective, 0),
            "weekly": (np.broadcast_to(weekly, streak.shape).astype(np.float64), 0),
            "days_since_checkin": (days.days_since_checkin, 0),
            "expected_7d": (expected_7d, 0),
            "answered_7d": (answered_7d, 0),
            "low_adherence": (low.astype(np.float64), 0),
        },
        text,
    )


def _use_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.use
    since = days.days_since_use
    pts = np.zeros_like(since)
    for limit, points in reversed(list(zip(rule.days, rule.points, strict=True))):
        pts = np.where(_within(since, limit), points, pts)
    today = days.days[None, :].astype(np.float64)
    window = rule.days[-1]
    report = np.where(
        _within(days.days_since_selfreport, window), today - days.days_since_selfreport, np.nan
    )
    screen = np.where(
        _within(days.days_since_positive, window), today - days.days_since_positive, np.nan
    )

    def text(v: dict) -> str:
        parts = []
        if v["reported_use_day"] is not None:
            parts.append(f"reported use on {_date(v['reported_use_day'])}")
        if v["positive_screen_day"] is not None:
            parts.append(f"positive screen on {_date(v['positive_screen_day'])}")
        if not parts:
            parts.append(f"used {v['days_since_use']} days ago")
        return "; ".join(parts)

    return RuleOutput(
        "use",
        "recent use",
        pts,
        {
            "days_since_use": (since, 0),
            "reported_use_day": (report, 0),
            "positive_screen_day": (screen, 0),
        },
        text,
    )


def _screen_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.screen
    since = days.days_since_irregular
    hit = _within(since, rule.days)
    today = days.days[None, :].astype(np.float64)
    kind = days.irregular_kind_last
    names = {1: "refused", 2: "dilute", 3: "invalid"}

    def text(v: dict) -> str:
        what = names.get(v["result"], "not usable")
        return f"drug screen {what} on {_date(v['screen_day'])}"

    return RuleOutput(
        "screen",
        "irregular screen",
        np.where(hit, rule.points, 0.0),
        {"screen_day": (today - since, 0), "result": (kind, 0)},
        text,
    )


def evaluate_rules(
    days: ClientDays, cfg: RiskConfig
) -> tuple[list[RuleOutput], dict[str, SignalStats]]:
    """Every enabled rule's points and values for every cell, and the signal statistics."""
    stats = all_signal_stats(days, cfg)
    sig = days.signals
    out: list[RuleOutput] = []
    if cfg.use.enabled:
        out.append(_use_rule(days, cfg))
    if cfg.disengagement.enabled:
        out.append(_disengagement_rule(days, cfg))
    if cfg.craving.enabled:
        out.append(
            _signal_rule(
                "craving",
                "craving",
                "craving",
                sig["craving"],
                stats["craving"],
                cfg.craving,
                cfg,
                +1,
            )
        )
    if cfg.stress.enabled:
        out.append(
            _signal_rule(
                "stress", "stress", "stress", sig["stress"], stats["stress"], cfg.stress, cfg, +1
            )
        )
    if cfg.mood.enabled:
        out.append(
            _signal_rule("mood", "low mood", "mood", sig["mood"], stats["mood"], cfg.mood, cfg, -1)
        )
    if cfg.sleep.enabled:
        out.append(_sleep_rule(days, stats["sleep_hours"], cfg))
    if cfg.cues.enabled:
        out.append(_cues_rule(days, cfg))
    if cfg.isolation.enabled:
        out.append(_isolation_rule(days, cfg))
    if cfg.screen.enabled:
        out.append(_screen_rule(days, cfg))
    for rule in out:
        rule.points = np.round(np.where(days.enrolled, rule.points, 0.0), 1)
    return out, stats


def tiers(score: np.ndarray, cfg: RiskConfig) -> np.ndarray:
    """Tier index per cell: 0 low, 1 moderate, 2 high, 3 critical."""
    t = cfg.tiers
    return (
        (score >= t.moderate).astype(np.int8)
        + (score >= t.high).astype(np.int8)
        + (score >= t.critical).astype(np.int8)
    )
