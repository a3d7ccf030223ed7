"""Each risk rule on hand-made client histories: the pure functions, no database.

A history is a list of daily check-ins for one client; ``score_history`` runs the whole chain
(grid, baselines, rules, reasons) and returns the last day's score row and client-day row.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from etl.risk.client_day import to_day
from etl.risk.compute import compute, to_frames
from etl.risk.config import RiskConfig, default_config

START = dt.date(2026, 9, 1)  # a Tuesday
CODES = {
    "stress",
    "cues",
    "mood",
    "sleep",
    "isolation",
    "disengagement",
    "craving",
    "use",
    "screen",
    "discordance",
}


def calm(day: int, **changes) -> dict:
    row = dict(
        day=day,
        craving=2,
        stress=3,
        mood=7,
        sleep_hours=7.5,
        sleep_quality=4,
        used_since_last=0,
        support_contact=1,
    )
    row.update(changes)
    return row


def history(days: int, changes: dict[int, dict | None] | None = None) -> list[dict]:
    """``days`` calm daily check-ins; ``changes`` maps a day to changed fields or None (missed)."""
    changes = changes or {}
    out = []
    for d in range(days):
        change = changes.get(d, {})
        if change is None:
            continue
        out.append(calm(d, **change))
    return out


def frames(rows: list[dict], client_key: int = 1) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["client_key"] = client_key
    frame["local_date"] = [START + dt.timedelta(days=int(d)) for d in frame.pop("day")]
    triggers = frame.pop("triggers") if "triggers" in frame else pd.Series([()] * len(frame))
    for name in ("people", "places", "music", "routines", "emotions", "other"):
        frame[f"trigger_{name}"] = [isinstance(t, tuple) and name in t for t in triggers]
    return frame


def score_history(
    rows: list[dict],
    days: int,
    *,
    schedule: str = "daily",
    screens: list[tuple[int, str]] = (),
    cfg: RiskConfig | None = None,
    admission_day: int = 0,
    open_day: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    clients = pd.DataFrame(
        {
            "client_key": [1],
            "admission_date": [START + dt.timedelta(days=admission_day)],
            "discharge_date": [None],
            "checkin_schedule": [schedule],
        }
    )
    screen_frame = pd.DataFrame(
        {
            "client_key": [1] * len(screens),
            "local_date": [START + dt.timedelta(days=s[0]) for s in screens],
            "result": [s[1] for s in screens],
            "substance": [s[2] if len(s) > 2 else "cocaine" for s in screens],
        },
        columns=["client_key", "local_date", "result", "substance"],
    )
    checkins = frames(rows) if rows else pd.DataFrame(columns=["client_key", "local_date"])
    result = compute(
        clients,
        checkins,
        screen_frame,
        START,
        START + dt.timedelta(days=days - 1),
        cfg or default_config(),
        open_day=None if open_day is None else to_day(START) + open_day,
    )
    day, score = to_frames(result)
    return day, score


def reason(score_row, code: str) -> dict | None:
    return next((r for r in score_row["reasons"] if r["code"] == code), None)


# --------------------------------------------------------------------------- sleep


def test_four_short_nights_in_seven_raise_the_sleep_reason():
    changes = {d: dict(sleep_hours=5.0) for d in (33, 35, 37, 39)}
    _, score = score_history(history(40, changes), 40)
    last = score.iloc[-1]
    sleep = reason(last, "sleep")
    assert sleep is not None
    assert "slept under 6 h on 4 of the last 7 nights" in sleep["text"]
    assert sleep["values"]["short_nights"] == 4
    assert sleep["values"]["nights_reported"] == 7
    assert sleep["signal"] == "poor sleep"


def test_two_short_nights_are_not_yet_a_pattern():
    changes = {d: dict(sleep_hours=5.0) for d in (20, 39)}
    _, score = score_history(history(40, changes), 40)
    sleep = reason(score.iloc[-1], "sleep")
    assert sleep is None or "slept under 6 h" not in sleep["text"]


# --------------------------------------------------------------------------- disengagement


def test_a_missed_streak_raises_disengagement():
    _, score = score_history(history(30), 33)
    last = score.iloc[-1]
    dis = reason(last, "disengagement")
    assert dis is not None
    assert dis["text"].startswith("3 check-ins missed in a row (last check-in 3 days ago)")
    assert dis["values"]["missed_in_a_row"] == 3
    assert dis["points"] == 30.0


def test_a_single_missed_day_is_not_disengagement():
    _, score = score_history(history(30, {29: None}), 30)
    assert reason(score.iloc[-1], "disengagement") is None


def test_five_days_without_check_ins_is_high_not_low_and_keeps_rising():
    day, score = score_history(history(30), 35)
    silent = score.iloc[-5:]
    assert silent.iloc[-1]["tier"] in ("high", "critical")
    assert list(silent["score"]) == sorted(silent["score"])
    assert silent["score"].iloc[-1] > silent["score"].iloc[0]
    assert day.iloc[-1]["missed_streak"] == 5
    assert day.iloc[-1]["is_missed"]
    assert day.iloc[-1]["days_since_checkin"] == 5


def test_a_client_who_never_checked_in_rises_too():
    _, score = score_history([], 6)
    assert score.iloc[-1]["tier"] in ("high", "critical")
    dis = reason(score.iloc[-1], "disengagement")
    assert "no check-in since admission" in dis["text"]


def test_weekly_schedule_expects_one_check_in_per_week():
    rows = [calm(d) for d in (2, 9, 16)]  # any day of each admission week
    day, score = score_history(rows, 21, schedule="weekly")
    assert day["is_expected"].sum() == 3  # days 6, 13, 20
    assert not day["is_missed"].any()
    assert reason(score.iloc[-1], "disengagement") is None
    # No check-in in the fourth week: the due day is missed and counts as 3 daily misses.
    day, score = score_history(rows, 28, schedule="weekly")
    assert day.iloc[-1]["is_missed"] and day.iloc[-1]["missed_streak"] == 1
    dis = reason(score.iloc[-1], "disengagement")
    assert dis["text"].startswith("1 weekly check-in missed in a row")
    assert dis["points"] == 30.0


def test_weekdays_schedule_does_not_expect_weekends():
    rows = [calm(d) for d in range(14) if (START + dt.timedelta(days=d)).weekday() < 5]
    day, _ = score_history(rows, 14, schedule="weekdays")
    weekend = [(START + dt.timedelta(days=d)).weekday() >= 5 for d in range(14)]
    assert not day["is_expected"][weekend].any()
    assert not day["is_missed"].any()
    assert day.iloc[-1]["adherence_7d"] == 1.0


def test_adherence_counts_answered_expected_days():
    day, _ = score_history(history(28, {20: None, 25: None, 26: None}), 28)
    last = day.iloc[-1]
    assert last["adherence_7d"] == pytest.approx(5 / 7, abs=1e-4)
    assert last["adherence_28d"] == pytest.approx(25 / 28, abs=1e-4)
    assert last["missed_streak"] == 0
    assert day.iloc[26]["missed_streak"] == 2


# --------------------------------------------------------------------------- signals


def test_stress_far_above_own_baseline_for_three_days():
    rows = history(33, {30: dict(stress=8), 31: dict(stress=8), 32: dict(stress=8)})
    rows = [dict(r, stress=r["stress"] + (r["day"] % 2)) for r in rows]  # some spread
    _, score = score_history(rows, 33)
    stress = reason(score.iloc[-1], "stress")
    assert stress is not None
    assert re.match(
        r"stress 8/10 today; \d+\.\d SD above own baseline \(usual 3\.\d\) "
        r"on 3 of the last 5 days",
        stress["text"],
    ), stress["text"]
    assert stress["values"]["days_deviating"] == 3
    assert stress["values"]["sd_from_baseline"] > 2


def test_low_mood():
    _, score = score_history(history(30, {29: dict(mood=2)}), 30)
    mood = reason(score.iloc[-1], "mood")
    assert mood["signal"] == "low mood"
    assert mood["text"].startswith("mood 2/10 today")


def test_high_craving_points_follow_the_level():
    _, score = score_history(history(30, {29: dict(craving=7)}), 30)
    craving = reason(score.iloc[-1], "craving")
    assert craving["text"].startswith("craving 7/10 today")
    cfg = default_config().craving
    level_points = cfg.level_points + cfg.points_per_step * (7 - cfg.level)
    assert craving["points"] >= level_points
    assert craving["values"]["latest"] == 7.0


def _with(section: str, **changes) -> RiskConfig:
    cfg = default_config()
    return cfg.model_copy(update={section: getattr(cfg, section).model_copy(update=changes)})


def test_a_fortnight_of_craving_gives_points_per_step_of_its_average():
    # Craving 3/10 on days 16-29, under the level of 4: only the 14-day average can count.
    # The day-29 window holds days 16..29, two of them missed: mean 3, 2 steps above 1.
    rows = history(30, {**{d: dict(craving=3) for d in range(16, 30)}, 20: None, 25: None})
    cfg = _with("craving", points_per_average_step=2.5, average_level=1)
    _, score = score_history(rows, 30, cfg=cfg)
    craving = reason(score.iloc[-1], "craving")
    assert craving["values"]["average"] == 3.0
    assert craving["text"] == "craving averaged 3.0/10 over the last 14 days"
    assert craving["points"] == 2.5 * (3 - 1)
    # Day 20's window (days 7..20, one missed): 9 days of 2 and 4 of 3, mean 2.3.
    day20 = reason(score.iloc[20], "craving")
    assert day20["points"] == pytest.approx(2.5 * ((9 * 2 + 4 * 3) / 13 - 1), abs=0.05)
    # With the shipped points (0 for the average) the same history gives no craving reason.
    _, plain = score_history(rows, 30)
    assert default_config().craving.points_per_average_step == 0
    assert reason(plain.iloc[-1], "craving") is None


def test_low_average_mood_counts_below_its_level():
    rows = history(30, {d: dict(mood=4) for d in range(16, 30)})  # mood 4: not under 3
    cfg = _with("mood", points_per_average_step=3, average_level=5)
    _, score = score_history(rows, 30, cfg=cfg)
    mood = reason(score.iloc[-1], "mood")
    assert mood["text"] == "mood averaged 4.0/10 over the last 14 days"
    assert mood["points"] == 3 * (5 - 4)


def test_cues_on_four_of_seven_days():
    triggers = {d: dict(triggers=("people",)) for d in (33, 34, 36, 39)}
    triggers[39] = dict(triggers=("people", "places"))
    _, score = score_history(history(40, triggers), 40)
    cues = reason(score.iloc[-1], "cues")
    assert cues["text"] == "reported cues on 4 of the last 7 days (people 4, places 1)"
    assert cues["values"]["cue_days"] == 4


def test_isolation_needs_answers_not_silence():
    no_support = {d: dict(support_contact=0) for d in range(20, 30)}
    day, score = score_history(history(30, no_support), 30)
    iso = reason(score.iloc[-1], "isolation")
    assert iso["text"].startswith("no contact with support reported in 10 days")
    assert day.iloc[-1]["days_since_support"] == 10
    # Silence is disengagement, not isolation.
    _, score = score_history(history(20), 30)
    assert reason(score.iloc[-1], "isolation") is None
    assert reason(score.iloc[-1], "disengagement") is not None


def test_recent_use_reported_and_screened():
    _, score = score_history(
        history(30, {28: dict(used_since_last=1)}), 30, screens=[(20, "positive")]
    )
    use = reason(score.iloc[-1], "use")
    used_on = START + dt.timedelta(days=28)
    screened = START + dt.timedelta(days=20)
    assert use["text"] == (
        f"reported use on {used_on:%b} {used_on.day}; "
        f"positive screen on {screened:%b} {screened.day}"
    )
    assert use["points"] == 35.0
    assert use["values"]["days_since_use"] == 1


def test_use_points_step_down_with_time():
    _, score = score_history(history(30), 30, screens=[(19, "positive")])
    assert reason(score.iloc[-1], "use")["points"] == 15.0  # 10 days ago
    _, score = score_history(history(60), 60, screens=[(19, "positive")])
    assert reason(score.iloc[-1], "use") is None  # 40 days ago


def test_refused_screen():
    _, score = score_history(history(30), 30, screens=[(27, "refused")])
    screen = reason(score.iloc[-1], "screen")
    day = START + dt.timedelta(days=27)
    assert screen["text"] == f"drug screen refused on {day:%b} {day.day}"


# --------------------------------------------------------------------------- score


def test_calm_client_is_low_with_no_reasons():
    _, score = score_history(history(40), 40)
    last = score.iloc[-1]
    assert last["score"] == 0 and last["tier"] == "low" and last["reasons"] == []


def test_score_is_the_sum_of_ranked_reasons():
    changes = {d: dict(sleep_hours=5.0, stress=8, mood=2, craving=6) for d in (36, 37, 38, 39)}
    changes[39]["used_since_last"] = 1
    _, score = score_history(history(40, changes), 40)
    last = score.iloc[-1]
    points = [r["points"] for r in last["reasons"]]
    assert points == sorted(points, reverse=True)
    assert last["score"] == pytest.approx(min(100.0, sum(points)))
    assert {r["code"] for r in last["reasons"]} <= CODES
    assert last["tier"] == "critical"


def test_change_since_yesterday_and_newly_high():
    _, score = score_history(history(30), 35)
    rows = score.set_index("date")
    today = rows.iloc[-1]
    yesterday = rows.iloc[-2]
    assert today["score_change"] == pytest.approx(today["score"] - yesterday["score"])
    assert np.isnan(score.iloc[0]["score_change"])
    high = [t in ("high", "critical") for t in score["tier"]]
    first_high = high.index(True)
    assert score.iloc[first_high]["is_newly_high"]
    assert not score.iloc[first_high + 1 :]["is_newly_high"].any()


def test_risk_does_not_fade_with_time_in_treatment():
    pattern = {0: dict(stress=8), 1: dict(stress=8), 2: dict(craving=6)}
    early = {30 + k: v for k, v in pattern.items()}
    late = {300 + k: v for k, v in pattern.items()}
    _, s_early = score_history(history(33, early), 33)
    _, s_late = score_history(history(303, late), 303)
    assert s_early.iloc[-1]["score"] == s_late.iloc[-1]["score"] > 0


def test_tiers_follow_the_configuration():
    rows = history(30, {29: dict(craving=8)})
    _, default = score_history(rows, 30)
    data = default_config().model_dump()
    data["tiers"] = {"moderate": 5, "high": 10, "critical": 95}
    _, strict = score_history(rows, 30, cfg=RiskConfig.model_validate(data))
    assert default.iloc[-1]["score"] == strict.iloc[-1]["score"]
    assert strict.iloc[-1]["tier"] == "high"


def test_disabled_rule_gives_no_points():
    rows = history(30, {29: dict(craving=9)})
    data = default_config().model_dump()
    data["craving"]["enabled"] = False
    _, score = score_history(rows, 30, cfg=RiskConfig.model_validate(data))
    assert reason(score.iloc[-1], "craving") is None


def test_reasons_are_valid_json_in_the_shared_shape():
    changes = {
        d: dict(
            sleep_hours=4.5,
            stress=9,
            mood=1,
            craving=9,
            support_contact=0,
            triggers=("people", "music"),
        )
        for d in range(25, 40)
    }
    changes[38] = None
    _, score = score_history(history(40, changes), 40, screens=[(35, "dilute"), (36, "positive")])
    seen = set()
    for reasons in score["reasons"]:
        for r in reasons:
            assert set(r) == {"code", "signal", "text", "points", "values"}
            assert isinstance(r["points"], float) and r["points"] > 0
            assert '"' not in r["text"] and "\\" not in r["text"] and r["text"]
            assert all(v is None or isinstance(v, (int, float)) for v in r["values"].values())
            seen.add(r["code"])
    assert {"sleep", "stress", "mood", "craving", "cues", "use", "screen", "isolation"} <= seen


# --------------------------------------------------------------------------- baselines


def test_baseline_is_the_trailing_window_without_missed_days():
    values = [2, 4] * 14
    rows = [calm(d, stress=v) for d, v in enumerate(values)]
    rows.append(calm(29, stress=9))  # day 28 missed, day 29 checked in
    day, _ = score_history(rows, 30)
    last = day.iloc[-1]
    # Day 29's window is days 1-28: day 0 has left it, day 28 was missed, day 29 is today.
    assert last["stress_baseline"] == pytest.approx(np.mean(values[1:]), abs=1e-3)
    assert last["stress_sd"] == pytest.approx(np.std(values[1:], ddof=1), abs=1e-3)
    assert day.iloc[5]["stress_baseline"] is None or np.isnan(day.iloc[5]["stress_baseline"])


def test_trend_is_the_slope_over_the_last_week():
    rows = history(30, {d: dict(craving=d - 23) for d in range(23, 30)})  # 0..6
    day, _ = score_history(rows, 30)
    assert day.iloc[-1]["craving_trend"] == pytest.approx(1.0)


def test_today_not_yet_answered_is_pending_not_missed():
    day, score = score_history(history(30, {28: None, 29: None}), 30, open_day=29)
    today = day.iloc[-1]
    assert today["is_expected"] and not today["is_missed"]
    assert today["missed_streak"] == 1  # yesterday only
    assert today["adherence_7d"] == pytest.approx(5 / 6, abs=1e-4)  # today not counted yet
    assert reason(score.iloc[-1], "disengagement") is None
    # The same history once the day is over: two missed in a row.
    day, score = score_history(history(30, {28: None, 29: None}), 30)
    assert day.iloc[-1]["missed_streak"] == 2
    assert reason(score.iloc[-1], "disengagement")["values"]["missed_in_a_row"] == 2


# --------------------------------------------------------------------------- discordance


def _on(day: int) -> str:
    date = START + dt.timedelta(days=day)
    return f"{date:%b} {date.day}"


def _discordance(rows, screens, days=30, cfg=None):
    _, score = score_history(rows, days, screens=screens, cfg=cfg)
    return reason(score.iloc[-1], "discordance"), score


def test_no_use_reported_on_the_screen_day_of_a_positive_screen():
    rows = history(30, {26: None, 27: None, 28: None})  # only the screen day answered
    found, _ = _discordance(rows, [(29, "positive", "Cocaine")])
    assert found is not None
    assert found["text"] == (
        f"reported no use since {_on(29)}; the screen on {_on(29)} was positive for cocaine"
    )
    assert found["points"] == default_config().discordance.points
    assert found["values"]["days_since_screen"] == 0


def test_no_use_reported_three_days_before_counts_four_do_not():
    three = history(30, {27: None, 28: None, 29: None})  # last answer on day 26
    found, _ = _discordance(three, [(29, "positive")])
    assert found is not None and found["text"].startswith(f"reported no use since {_on(26)};")
    four = history(30, {26: None, 27: None, 28: None, 29: None})  # last answer on day 25
    found, _ = _discordance(four, [(29, "positive")])
    assert found is None
    wider = default_config().model_copy(
        update={"discordance": default_config().discordance.model_copy(update={"window_days": 4})}
    )
    found, _ = _discordance(four, [(29, "positive")], cfg=wider)
    assert found is not None and f"since {_on(25)};" in found["text"]


def test_a_negative_screen_is_not_discordant():
    found, score = _discordance(history(30), [(29, "negative")])
    assert found is None
    assert all(reason(r, "discordance") is None for _, r in score.iterrows())


def test_a_blank_use_answer_or_reported_use_is_not_discordant():
    blank = history(30, {d: dict(used_since_last=None) for d in range(26, 30)})
    found, _ = _discordance(blank, [(29, "positive")])
    assert found is None
    told = history(30, {28: dict(used_since_last=1)})  # use disclosed in the window
    found, _ = _discordance(told, [(29, "positive")])
    assert found is None


def test_discordance_stays_for_its_days_then_goes():
    rows = history(40)
    _, score = score_history(rows, 40, screens=[(29, "positive")])
    days = default_config().discordance.days
    flagged = [i for i, r in score.iterrows() if reason(r, "discordance") is not None]
    assert flagged == list(range(29, 29 + days + 1))


def test_a_later_use_answer_ends_the_discordance():
    # Screen positive on day 29 after "no use" answers; the client says "use" on day 32.
    rows = history(40, {32: dict(used_since_last=1)})
    _, score = score_history(rows, 40, screens=[(29, "positive")])
    flagged = [i for i, r in score.iterrows() if reason(r, "discordance") is not None]
    assert flagged == [29, 30, 31]  # the screen day and the two days before the "use" answer
    # Day 32: recent use names both the answer and the screen, and nothing says "no use".
    use = reason(score.iloc[32], "use")
    assert use["text"] == f"reported use on {_on(32)}; positive screen on {_on(29)}"
    assert use["points"] == default_config().use.points[0]
    assert score.iloc[32]["score"] == default_config().use.points[0]
    # A second positive screen after more "no use" answers is discordant again.
    _, score = score_history(rows, 40, screens=[(29, "positive"), (36, "positive")])
    flagged = [i for i, r in score.iterrows() if reason(r, "discordance") is not None]
    assert flagged == [29, 30, 31, *range(36, 40)]
    assert reason(score.iloc[39], "discordance")["text"] == (
        f"reported no use since {_on(33)}; the screen on {_on(36)} was positive for cocaine"
    )
