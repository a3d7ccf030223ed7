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
from dataclasses import dataclass, field

import numpy as np

from etl.risk import textvec as tv
from etl.risk.client_day import ClientDays, days_since, rolling_sum, to_date
from etl.risk.config import RiskConfig, SignalRule
from etl.risk.features import SignalStats, all_signal_stats, deviation_days, recent_mean
from etl.vocabulary import DISCORDANCE, TRIGGERS

RULE_VERSION = "1.4.0"  # 1.1: discordance; 1.2: the optional BAM rule; 1.3: a "use" answer
# after a discordant screen ends the discordance reason; 1.4: craving, stress and mood can
# give points for their average over the last weeks
RULE_CODES = (
    "use",
    "disengagement",
    "craving",
    "stress",
    "mood",
    "sleep",
    "cues",
    "isolation",
    "screen",
    DISCORDANCE,
    "bam",
)


@dataclass
class RuleOutput:
    """One rule's points for every cell and the numbers its reason is made from.

    ``values`` maps a name to (array, decimals): the numbers shown in the reason's JSON.
    ``hidden`` holds further per-cell numbers the sentence needs (flags, ages). ``text`` gets
    both, restricted to the cells where the rule fired, and returns one sentence per cell.
    ``terms`` maps each points key of the rule's config section (``points[1]`` for an entry
    of a list) to its unit per cell: the points are ``min(sum(key * unit), cap)``, which is
    what lets ``caseload risk fit`` weigh the rules' own features (etl/risk/fit.py).
    """

    code: str
    signal: str
    points: np.ndarray
    values: dict[str, tuple[np.ndarray, int]]
    text: Callable[[dict[str, np.ndarray]], np.ndarray]
    hidden: dict[str, np.ndarray] = field(default_factory=dict)
    terms: dict[str, np.ndarray] = field(default_factory=dict)


def term_value(section, key: str) -> float:
    """The value of a points key (``points[1]``: an entry of a list) in a config section."""
    name, _, index = key.partition("[")
    value = getattr(section, name)
    return float(value[int(index[:-1])]) if index else float(value)


def combine(
    terms: dict[str, np.ndarray], weights: dict[str, float], cap: float | None
) -> np.ndarray:
    """A rule's points from its term units: the one formula the engine and the fit share."""
    total: np.ndarray | float = 0.0
    for key, unit in terms.items():
        total = total + weights[key] * np.asarray(unit, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    return total if cap is None else np.minimum(total, cap)


def _points(terms: dict[str, np.ndarray], section, cap: float | None) -> np.ndarray:
    return combine(terms, {k: term_value(section, k) for k in terms}, cap)


def _nz(a: np.ndarray) -> np.ndarray:
    return np.nan_to_num(a, nan=0.0)


def _within(since: np.ndarray, days: float) -> np.ndarray:
    """Known and at most ``days`` ago."""
    return np.nan_to_num(since, nan=np.inf) <= days


def _ago(days: np.ndarray) -> np.ndarray:
    return tv.fmt(
        days,
        lambda d: (
            ""
            if d is None
            else "today"
            if d == 0
            else "yesterday"
            if d == 1
            else f"{int(d)} days ago"
        ),
        0,
    )


def _on_date(day: np.ndarray) -> np.ndarray:
    def render(d):
        if d is None:
            return ""
        date = to_date(int(d))
        return f"{date:%b} {date.day}"

    return tv.fmt(day, render, 0)


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
    steps = direction * (latest - rule.level)
    level_hit = (_nz(steps) >= 0) & ~np.isnan(latest)
    dev_n, dev_z = deviation_days(
        values, stats, z=rule.z, sd_floor=rule.sd_floor, direction=direction, days=recent
    )
    trend_hit = _nz(direction * stats.trend) >= rule.trend
    average = recent_mean(values, rule.average_days)
    average_steps = np.maximum(_nz(direction * (average - rule.average_level)), 0.0)
    # Shown only when it counts: most programs give the average no points.
    average_hit = (average_steps > 0) & (rule.points_per_average_step > 0)
    terms = {
        "level_points": level_hit.astype(np.float64),
        "points_per_step": np.where(level_hit, _nz(steps), 0.0),
        "points_per_deviation_day": dev_n,
        "trend_points": trend_hit.astype(np.float64),
        "points_per_average_step": average_steps,
    }
    points = _points(terms, rule, rule.max_points)
    word = "above" if direction > 0 else "below"
    moving = "rising" if direction > 0 else "falling"
    trend_days = cfg.windows.trend_days

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        level = tv.cat_where(
            v["level_hit"] > 0,
            f"{name} ",
            tv.text_number(v["latest"], "g"),
            "/10 ",
            _ago(v["latest_age"]),
        )
        n = v["days_deviating"]
        when = tv.pick(
            n == recent,
            f"for {recent} days",
            tv.cat("on ", tv.text_number(n, "d"), f" of the last {recent} days"),
        )
        usual = tv.cat_where(
            ~np.isnan(v["baseline"]), " (usual ", tv.text_number(v["baseline"]), ")"
        )
        deviation = tv.cat_where(
            n > 0,
            tv.pick(level == "", f"{name} "),
            tv.text_number(np.abs(v["sd_from_baseline"])),
            f" SD {word} own baseline",
            usual,
            " ",
            when,
        )
        trend = tv.cat_where(
            v["trend_hit"] > 0,
            tv.pick((level == "") & (deviation == ""), f"{name} "),
            f"{moving} ",
            tv.text_number(np.abs(v["trend"])),
            f" a day over the last {trend_days} days",
        )
        average_t = tv.cat_where(
            v["average_hit"] > 0,
            tv.pick((level == "") & (deviation == "") & (trend == ""), f"{name} "),
            "averaged ",
            tv.text_number(v["average"]),
            f"/10 over the last {rule.average_days} days",
        )
        return tv.join([level, deviation, trend, average_t], "; ")

    return RuleOutput(
        code=code,
        signal=label,
        points=points,
        values={
            "latest": (latest, 1),
            "baseline": (stats.baseline, 1),
            "sd_from_baseline": (dev_z * direction, 1),
            "days_deviating": (dev_n, 0),
            "trend": (stats.trend, 2),
            "average": (average, 1),
        },
        hidden={
            "latest_age": stats.latest_age,
            "level_hit": level_hit.astype(np.float64),
            "trend_hit": trend_hit.astype(np.float64),
            "average_hit": average_hit.astype(np.float64),
        },
        text=text,
        terms=terms,
    )


def _sleep_rule(days: ClientDays, stats: SignalStats, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.sleep
    hours = days.signals["sleep_hours"]
    quality = days.signals["sleep_quality"]
    short = rolling_sum((_nz(hours) < rule.short_hours) & ~np.isnan(hours), 7)
    reported = rolling_sum((~np.isnan(hours)).astype(np.float64), 7)
    poor = rolling_sum((_nz(quality) <= rule.poor_quality) & ~np.isnan(quality), 7)
    recent = cfg.windows.recent_days
    dev_n, dev_z = deviation_days(
        hours, stats, z=rule.z, sd_floor=rule.sd_floor, direction=-1, days=recent
    )
    short_hit = short >= rule.short_nights
    poor_hit = poor >= rule.poor_quality_nights
    terms = {
        "points_per_short_night": np.where(short_hit, short, 0.0),
        "points_per_poor_night": np.where(poor_hit, poor, 0.0),
        "points_per_deviation_day": dev_n,
    }

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        short_t = tv.cat_where(
            v["short_hit"] > 0,
            f"slept under {rule.short_hours:g} h on ",
            tv.text_number(v["short_nights"], "d"),
            " of the last 7 nights",
        )
        poor_t = tv.cat_where(
            v["poor_hit"] > 0,
            "poor sleep quality on ",
            tv.text_number(v["poor_quality_nights"], "d"),
            " of the last 7 nights",
        )
        usual = tv.cat_where(
            ~np.isnan(v["usual_hours"]), " (", tv.text_number(v["usual_hours"]), " h)"
        )
        dev_t = tv.cat_where(
            v["days_short_of_usual"] > 0,
            "slept ",
            tv.text_number(v["sd_below_usual"]),
            " SD less than own usual",
            usual,
            " on ",
            tv.text_number(v["days_short_of_usual"], "d"),
            f" of the last {recent} nights",
        )
        return tv.join([short_t, poor_t, dev_t], "; ")

    return RuleOutput(
        code="sleep",
        signal="poor sleep",
        points=_points(terms, rule, rule.max_points),
        values={
            "short_nights": (short, 0),
            "nights_reported": (reported, 0),
            "poor_quality_nights": (poor, 0),
            "usual_hours": (stats.baseline, 1),
            "sd_below_usual": (dev_z, 1),
            "days_short_of_usual": (dev_n, 0),
        },
        hidden={"short_hit": short_hit.astype(np.float64), "poor_hit": poor_hit.astype(np.float64)},
        text=text,
        terms=terms,
    )


def _cues_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.cues
    cue_days = rolling_sum((days.trigger_count > 0).astype(np.float64), 7)
    per = {c: rolling_sum(days.triggers[c].astype(np.float64), 7) for c in TRIGGERS}
    terms = {"points_per_day": np.where(cue_days >= rule.min_days, cue_days, 0.0)}

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        counts = np.stack([v[c] for c in TRIGGERS], axis=1)
        order = np.argsort(-counts, axis=1, kind="stable")
        names = np.array(TRIGGERS, dtype=object)
        parts = []
        for j in range(len(TRIGGERS)):
            col = order[:, j]
            cnt = np.take_along_axis(counts, order[:, j : j + 1], axis=1)[:, 0]
            parts.append(tv.cat_where(cnt > 0, names[col], " ", tv.text_number(cnt, "d")))
        return tv.cat(
            "reported cues on ",
            tv.text_number(v["cue_days"], "d"),
            " of the last 7 days (",
            tv.join(parts, ", "),
            ")",
        )

    return RuleOutput(
        "cues",
        "cues",
        _points(terms, rule, rule.max_points),
        {"cue_days": (cue_days, 0)},
        text,
        hidden=per,
        terms=terms,
    )


def _isolation_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.isolation
    since = days.days_since_support
    # Answers of "no", not silence: a client who stops checking in is disengagement's case.
    said_no = rolling_sum((days.support_contact == 0).astype(np.float64), 7)
    hit = (_nz(since) >= rule.days) & (said_no >= rule.min_no_answers)
    terms = {
        "points": hit.astype(np.float64),
        "points_per_extra_day": np.where(hit, _nz(since) - rule.days, 0.0),
    }

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        return tv.cat(
            "no contact with support reported in ",
            tv.text_number(v["days_since_support"], "d"),
            " days (answered no ",
            tv.text_number(v["no_answers_7d"], "d"),
            " times this week)",
        )

    return RuleOutput(
        "isolation",
        "isolation",
        _points(terms, rule, rule.max_points),
        {"days_since_support": (since, 0), "no_answers_7d": (said_no, 0)},
        text,
        terms=terms,
    )


def _disengagement_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.disengagement
    weekly = (days.schedule == 2)[:, None]
    streak = days.missed_streak
    effective = streak * np.where(weekly, rule.weekly_weight, 1.0)
    streak_hit = effective >= rule.min_streak
    settled = days.expected & ~days.pending
    expected_7d = rolling_sum(settled.astype(np.float64), 7)
    answered_7d = rolling_sum((settled & ~days.missed).astype(np.float64), 7)
    low = (expected_7d >= rule.low_adherence_min_expected) & (
        answered_7d < rule.low_adherence * expected_7d
    )
    terms = {
        "points_per_missed": np.where(streak_hit, effective, 0.0),
        "low_adherence_points": low.astype(np.float64),
    }

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        n = v["missed_in_a_row"]
        kind = tv.pick(v["weekly"] > 0, " weekly check-in", " check-in")
        last = tv.pick(
            np.isnan(v["days_since_checkin"]),
            "no check-in since admission",
            tv.cat("last check-in ", _ago(v["days_since_checkin"])),
        )
        streak_t = tv.cat_where(
            v["streak_hit"] > 0,
            tv.text_number(n, "d"),
            kind,
            tv.pick(n != 1, "s"),
            " missed in a row (",
            last,
            ")",
        )
        low_t = tv.cat_where(
            v["low_adherence"] > 0,
            "answered ",
            tv.text_number(v["answered_7d"], "d"),
            " of ",
            tv.text_number(v["expected_7d"], "d"),
            " expected check-ins in the last 7 days",
        )
        return tv.join([streak_t, low_t], "; ")

    return RuleOutput(
        "disengagement",
        "disengagement",
        _points(terms, rule, rule.max_points),
        {
            "missed_in_a_row": (streak, 0),
            "days_since_checkin": (days.days_since_checkin, 0),
            "answered_7d": (answered_7d, 0),
            "expected_7d": (expected_7d, 0),
        },
        text,
        hidden={
            "weekly": np.broadcast_to(weekly, streak.shape).astype(np.float64),
            "streak_hit": streak_hit.astype(np.float64),
            "low_adherence": low.astype(np.float64),
        },
        terms=terms,
    )


def _use_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.use
    since = days.days_since_use
    # One indicator per step: the first (shortest) window the last use falls in.
    terms: dict[str, np.ndarray] = {}
    inside = np.zeros(since.shape, dtype=bool)
    for k, limit in enumerate(rule.days):
        within = _within(since, limit)
        terms[f"points[{k}]"] = (within & ~inside).astype(np.float64)
        inside |= within
    pts = _points(terms, rule, None)
    window = rule.days[-1]
    reported = np.where(
        _within(days.days_since_selfreport, window), days.days_since_selfreport, np.nan
    )
    positive = np.where(_within(days.days_since_positive, window), days.days_since_positive, np.nan)
    today = np.broadcast_to(days.days[None, :].astype(np.float64), since.shape)

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        rep = tv.cat_where(
            ~np.isnan(v["days_since_reported_use"]),
            "reported use on ",
            _on_date(v["today"] - v["days_since_reported_use"]),
        )
        pos = tv.cat_where(
            ~np.isnan(v["days_since_positive_screen"]),
            "positive screen on ",
            _on_date(v["today"] - v["days_since_positive_screen"]),
        )
        out = tv.join([rep, pos], "; ")
        fallback = tv.cat("used ", tv.text_number(v["days_since_use"], "d"), " days ago")
        return tv.pick(out == "", fallback, out)

    return RuleOutput(
        "use",
        "recent use",
        pts,
        {
            "days_since_use": (since, 0),
            "days_since_reported_use": (reported, 0),
            "days_since_positive_screen": (positive, 0),
        },
        text,
        hidden={"today": today},
        terms=terms,
    )


def _screen_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    rule = cfg.screen
    since = days.days_since_irregular
    hit = _within(since, rule.days)
    today = np.broadcast_to(days.days[None, :].astype(np.float64), since.shape)
    names = {1: "refused", 2: "dilute", 3: "invalid"}

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        what = tv.fmt(v["result"], lambda k: names.get(int(k or 0), "not usable"), 0)
        return tv.cat("drug screen ", what, " on ", _on_date(v["today"] - v["days_since_screen"]))

    return RuleOutput(
        "screen",
        "irregular screen",
        _points({"points": hit.astype(np.float64)}, rule, None),
        {"days_since_screen": (since, 0)},
        text,
        hidden={"today": today, "result": days.irregular_kind_last},
        terms={"points": hit.astype(np.float64)},
    )


def _discordance_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    """A positive screen while the check-ins of its window (the screen's day and the
    ``window_days`` before it) answered "no use" and none answered "use".

    The reason lasts ``days`` after the screen unless the client answers "use" after it: the
    report and the screen then agree, and "reported no use since ..." would no longer be true
    beside "reported use on ..." of the recent-use rule."""
    rule = cfg.discordance
    w = rule.window_days
    denied_n = rolling_sum(days.denied_use.astype(np.float64), w + 1)
    used_n = rolling_sum(days.used_reported.astype(np.float64), w + 1)
    event = days.screen_positive & (denied_n > 0) & (used_n == 0)
    # The earliest "no use" answer of the window: "reported no use since Nov 20".
    earliest = np.full(event.shape, np.nan)
    for back in range(w, -1, -1):
        shifted = np.zeros_like(days.denied_use)
        shifted[:, back:] = days.denied_use[:, : days.n_days - back]
        earliest = np.where(np.isnan(earliest) & shifted, back, earliest)
    since = days_since(event, np.full(len(days.client_keys), np.nan))
    idx = np.arange(days.n_days)[None, :]
    pos = np.maximum.accumulate(np.where(event, idx, -1), axis=1)
    told = np.maximum.accumulate(np.where(days.used_reported, idx, -1), axis=1)
    hit = _within(since, rule.days) & (told < pos)  # no "use" answer since the screen
    at = np.maximum(pos, 0)
    denied_back = np.take_along_axis(earliest, at, axis=1)
    substance = np.take_along_axis(days.positive_substance, at, axis=1)
    today = np.broadcast_to(days.days[None, :].astype(np.float64), since.shape)
    names = np.array([*days.substances, ""], dtype=object)

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        screen_day = v["today"] - v["days_since_screen"]
        code = np.nan_to_num(v["substance"], nan=len(names) - 1).astype(np.int64)
        what = tv.cat_where(names[code] != "", " for ", names[code])
        return tv.cat(
            "reported no use since ",
            _on_date(screen_day - v["denied_days_before"]),
            "; the screen on ",
            _on_date(screen_day),
            " was positive",
            what,
        )

    terms = {"points": hit.astype(np.float64)}
    return RuleOutput(
        DISCORDANCE,
        DISCORDANCE,
        _points(terms, rule, None),
        {"days_since_screen": (since, 0)},
        text,
        hidden={"today": today, "denied_days_before": denied_back, "substance": substance},
        terms=terms,
    )


def _bam_rule(days: ClientDays, cfg: RiskConfig) -> RuleOutput:
    """The latest BAM form's Risk and Protective scales, against the instrument's cut-offs."""
    rule = cfg.bam
    risk, protective, age = days.bam_risk, days.bam_protective, days.bam_age
    assert risk is not None and protective is not None and age is not None
    risk_hit = _nz(risk) >= rule.risk_at
    low_hit = ~np.isnan(protective) & (protective <= rule.protective_at)
    pts = np.where(
        risk_hit, rule.risk_points + rule.points_per_risk_step * (_nz(risk) - rule.risk_at), 0.0
    ) + np.where(
        low_hit,
        rule.protective_points
        + rule.points_per_protective_step * (rule.protective_at - _nz(protective)),
        0.0,
    )
    today = np.broadcast_to(days.days[None, :].astype(np.float64), risk.shape)

    def text(v: dict[str, np.ndarray]) -> np.ndarray:
        risk_t = tv.cat_where(
            v["risk_hit"] > 0,
            "risk factors ",
            tv.text_number(v["risk_score"], "d"),
            f" (flag at {rule.risk_at})",
        )
        low_t = tv.cat_where(
            v["low_hit"] > 0,
            "protective factors ",
            tv.text_number(v["protective_score"], "d"),
            f" (flag at {rule.protective_at} or less)",
        )
        return tv.cat(
            "on the BAM of ",
            _on_date(v["today"] - v["form_age"]),
            ": ",
            tv.join([risk_t, low_t], ", "),
        )

    return RuleOutput(
        "bam",
        "BAM risk factors",
        np.minimum(pts, rule.max_points),
        {
            "risk_score": (risk, 0),
            "protective_score": (protective, 0),
            "form_age": (age, 0),
        },
        text,
        hidden={
            "today": today,
            "risk_hit": risk_hit.astype(np.float64),
            "low_hit": low_hit.astype(np.float64),
        },
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
    if cfg.discordance.enabled:
        out.append(_discordance_rule(days, cfg))
    if cfg.bam.enabled and days.bam_risk is not None:
        out.append(_bam_rule(days, cfg))
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
