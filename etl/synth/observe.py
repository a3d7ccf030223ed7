"""What a program records of the latent state: check-ins, missed days and drug screens.

The view is deliberately imperfect, as in a real program:

* check-ins go missing more often on high-risk days, after a lapse, on weekends and
  holidays, and more and more in the weeks before a drop-out; clients check in at their own
  usual hour, from an app (local time with offset), by text message (UTC) or at a kiosk
  (local time without offset); a few send two in a day; a few skip a question;
* reported values are the latent deviations on the client's own scale, plus noise: one
  client's usual stress is 2, another's 6;
* a lapse happens after that day's check-in and is reported, or not, on the next one
  (``used_since_last``); clients differ in how often they disclose use;
* screens are collected about weekly on clinic days and detect use for a few days, depending
  on the substance, so some undisclosed use is caught (discordance) and some is missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.synth.calendar import Window
from etl.synth.model import EMOTIONS_BIT, Latent

# Days after use during which a urine screen detects it, by primary substance (low, high).
DETECTION_DAYS = np.array([(2, 4), (2, 5), (2, 4), (1, 3), (1, 3), (5, 20)])
RESULTS = np.array(["positive", "negative", "dilute", "invalid", "refused"], dtype=object)
RESULT_P_USED = [0.84, 0.05, 0.06, 0.01, 0.04]
RESULT_P_CLEAN = [0.006, 0.955, 0.025, 0.009, 0.005]
CHANNELS = 3  # 0: app (local time with offset), 1: text message (UTC, Z), 2: kiosk (naive)
ITEM_SKIP = 0.01  # chance that a client leaves a question blank
DAY_START, DAY_END = 6 * 3600, 86399 - 60


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Checkins:
    """One entry per submitted check-in, ordered by client, then time."""

    client: np.ndarray  # index into the chunk
    day: np.ndarray  # index into the window
    seconds: np.ndarray  # local seconds since midnight
    channel: np.ndarray
    craving: np.ndarray  # -1 = blank
    stress: np.ndarray
    mood: np.ndarray
    sleep_tenths: np.ndarray  # sleep hours x 10
    sleep_quality: np.ndarray
    used: np.ndarray  # 1 yes, 0 no, -1 blank
    triggers: np.ndarray  # bit set, see model.N_CUES
    support: np.ndarray  # 1 yes, 0 no, -1 blank
    coping: np.ndarray  # index into the coping pool, -1 blank
    note_category: np.ndarray  # index into text.NOTE_CATEGORIES, -1 no note
    note: np.ndarray  # index into that category's pool

    def __len__(self) -> int:
        return int(self.client.shape[0])


@dataclass
class Screens:
    client: np.ndarray
    day: np.ndarray
    seconds: np.ndarray
    result: np.ndarray  # index into RESULTS

    def __len__(self) -> int:
        return int(self.client.shape[0])


@dataclass
class DayTruth:
    """Per client-day facts the files do not state directly, for ``truth/daily.csv``."""

    expected: np.ndarray  # a check-in is due by the client's schedule
    checkins: np.ndarray  # check-ins submitted that local day
    screens: np.ndarray  # screens collected that local day
    reported: np.ndarray  # that day's lapse was disclosed on a later check-in
    detected: np.ndarray  # that day's lapse was caught by a positive screen


@dataclass
class Observed:
    checkins: Checkins
    screens: Screens
    truth: DayTruth
    disclosure: np.ndarray  # per client: probability of disclosing a lapse


def expected_days(
    window: Window, schedule: np.ndarray, admission: np.ndarray, enrolled: np.ndarray
) -> np.ndarray:
    """Days on which the schedule asks for a check-in: every day, Monday to Friday, or once a
    week on the weekday of admission."""
    weekday = window.weekday[None, :]
    admit_weekday = (int(window.weekday[0]) + admission) % 7
    due = np.where(
        schedule[:, None] == 0,
        True,
        np.where(schedule[:, None] == 1, weekday < 5, weekday == admit_weekday[:, None]),
    )
    return due & enrolled


def _next_checkin_day(submitted_day: np.ndarray) -> np.ndarray:
    """For each (client, day), the first later day with a check-in (``days`` if none)."""
    n, days = submitted_day.shape
    nxt = np.full((n, days), days, np.int64)
    later = np.full(n, days, np.int64)
    for t in range(days - 1, -1, -1):
        nxt[:, t] = later
        later = np.where(submitted_day[:, t], t, later)
    return nxt


def observe(
    rng: np.random.Generator,
    window: Window,
    latent: Latent,
    schedule: np.ndarray,
    substance: np.ndarray,
    admission: np.ndarray,
    cutoff_seconds: int,
    coping_size: int,
    note_size: int,
) -> Observed:
    n, days = latent.risk.shape
    last = days - 1

    # Personal habits and reporting styles.
    engagement = rng.normal(2.4, 0.8, n)
    habit_hour = rng.uniform(7.0, 21.0, n)
    channel_main = rng.choice(CHANNELS, size=n, p=[0.7, 0.15, 0.15])
    disclosure = rng.beta(5.0, 3.0, n)
    craving_base = rng.uniform(0.0, 2.5, n)
    stress_scale = rng.uniform(0.7, 1.4, n)
    mood_scale = rng.uniform(0.7, 1.4, n)
    quality_shift = rng.normal(0.0, 0.4, n)
    screen_weekday = rng.integers(0, 5, n)

    enrolled, gone, post = latent.enrolled, latent.gone, np.minimum(latent.post_lapse, 2.0)
    expected = expected_days(window, schedule, admission, enrolled)
    weekend = window.is_weekend[None, :].astype(float)
    holiday = window.is_holiday[None, :].astype(float)

    # ---- which check-ins arrive, and when
    logit = (
        engagement[:, None]
        - 2.5 * (latent.risk - 0.2)
        - 0.9 * post
        - 0.7 * weekend
        - 0.8 * holiday
        - 4.5 * latent.fade
    )
    logit = np.where(expected, logit, logit - 5.0)
    submitted = enrolled & ~gone & (rng.random((n, days)) < _logistic(logit))
    seconds = (
        (habit_hour[:, None] * 3600 + rng.normal(0, 4700, (n, days)) + 3600 * weekend)
        .clip(DAY_START, DAY_END)
        .astype(np.int64)
    )
    submitted[:, last] &= seconds[:, last] < cutoff_seconds

    ci, cd = np.nonzero(submitted)
    secs = seconds[ci, cd]
    # A few clients send a second check-in later the same day.
    again = rng.random(ci.shape[0]) < 0.012
    second = secs[again] + rng.integers(3600, 6 * 3600, int(again.sum()))
    keep = (second <= DAY_END) & ((cd[again] != last) | (second < cutoff_seconds))
    ci = np.concatenate([ci, ci[again][keep]])
    cd = np.concatenate([cd, cd[again][keep]])
    is_second = np.concatenate([np.zeros(secs.shape[0], bool), np.ones(int(keep.sum()), bool)])
    secs = np.concatenate([secs, second[keep]])
    order = np.lexsort((secs, cd, ci))
    ci, cd, secs, is_second = ci[order], cd[order], secs[order], is_second[order]
    m = ci.shape[0]

    # ---- use disclosed on the next check-in
    next_day = _next_checkin_day(submitted)
    li, ld = np.nonzero(latent.lapse)
    covering = next_day[li, ld]
    has_cover = covering < days
    covers = np.zeros((n, days), bool)
    covers[li[has_cover], covering[has_cover]] = True
    said_yes = covers & (rng.random((n, days)) < disclosure[:, None])
    used = np.where(said_yes[ci, cd], 1, 0)
    used = np.where(is_second, 0, used)
    used_blank = rng.random(m) < 0.03
    used = np.where(used_blank, -1, used)
    answered_yes = np.zeros((n, days), bool)
    answered_yes[ci[used == 1], cd[used == 1]] = True
    reported = np.zeros((n, days), bool)
    reported[li[has_cover], ld[has_cover]] = answered_yes[li[has_cover], covering[has_cover]]

    # ---- reported values, on each client's own scale
    risk = latent.risk[ci, cd]
    stress_z, mood_z, sleep_z = latent.stress[ci, cd], latent.mood[ci, cd], latent.sleep[ci, cd]
    cue_bits = latent.cues[ci, cd].astype(np.int64)
    n_cues = np.unpackbits(cue_bits.astype(np.uint8)[:, None], axis=1).sum(axis=1)
    n_cues = n_cues - ((cue_bits >> EMOTIONS_BIT) & 1)
    post_row = post[ci, cd]

    def scale_0_10(x: np.ndarray) -> np.ndarray:
        return np.rint(x).clip(0, 10).astype(np.int8)

    craving = scale_0_10(
        craving_base[ci] + 6.5 * risk + 0.4 * n_cues + 0.8 * post_row + rng.normal(0, 1.0, m)
    )
    stress = scale_0_10(
        latent.traits.stress_base[ci] + 1.4 * stress_scale[ci] * stress_z + rng.normal(0, 0.7, m)
    )
    mood = scale_0_10(
        latent.traits.mood_base[ci] + 1.3 * mood_scale[ci] * mood_z + rng.normal(0, 0.7, m)
    )
    sleep_tenths = (
        np.rint(10 * (latent.traits.sleep_base[ci] + 1.0 * sleep_z + rng.normal(0, 0.45, m)))
        .clip(0, 160)
        .astype(np.int16)
    )
    quality = (
        np.rint(3 + quality_shift[ci] + 0.8 * sleep_z - 0.2 * stress_z + rng.normal(0, 0.6, m))
        .clip(1, 5)
        .astype(np.int8)
    )
    for col in (craving, stress, mood, sleep_tenths, quality):
        col[rng.random(m) < ITEM_SKIP] = -1

    # Clients name most, not all, of the cues they met.
    noticed = (rng.random((m, 6)) < 0.85) * (1 << np.arange(6))
    triggers = cue_bits & noticed.sum(axis=1)
    support = latent.support[ci, cd].astype(np.int8)
    support[rng.random(m) < ITEM_SKIP] = -1
    coping = np.where(
        rng.random(m) < 0.3 + 0.3 * (stress_z < 0), -1, rng.integers(0, coping_size, m)
    )

    # Notes: more often on hard days; the category follows what stands out that day.
    has_note = rng.random(m) < 0.07 + 0.12 * (stress_z > 1.2) + 0.3 * (used == 1)
    scores = np.stack(
        [np.full(m, 0.9), stress_z, -mood_z, -sleep_z, 0.8 * n_cues, 5.0 * (used == 1)], axis=1
    )
    note_category = np.where(has_note, scores.argmax(axis=1), -1)
    note = rng.integers(0, note_size, m)

    channel = np.where(rng.random(m) < 0.85, channel_main[ci], rng.integers(0, CHANNELS, m))

    checkins = Checkins(
        client=ci,
        day=cd,
        seconds=secs,
        channel=channel,
        craving=craving,
        stress=stress,
        mood=mood,
        sleep_tenths=sleep_tenths,
        sleep_quality=quality,
        used=used,
        triggers=triggers,
        support=support,
        coping=coping,
        note_category=note_category,
        note=note,
    )
    per_day = np.zeros((n, days), np.int16)
    np.add.at(per_day, (ci, cd), 1)

    screens, screen_count, detected = _screens(
        rng,
        window,
        latent,
        schedule,
        substance,
        admission,
        screen_weekday,
        post,
        cutoff_seconds,
    )
    truth = DayTruth(
        expected=expected,
        checkins=per_day,
        screens=screen_count,
        reported=reported,
        detected=detected,
    )
    return Observed(checkins=checkins, screens=screens, truth=truth, disclosure=disclosure)


def _screens(
    rng: np.random.Generator,
    window: Window,
    latent: Latent,
    schedule: np.ndarray,
    substance: np.ndarray,
    admission: np.ndarray,
    screen_weekday: np.ndarray,
    post: np.ndarray,
    cutoff_seconds: int,
) -> tuple[Screens, np.ndarray, np.ndarray]:
    """About one screen a week on a clinic day (every other week for weekly check-ins), an
    intake screen on admission, and which lapses each positive screen caught."""
    n, days = latent.risk.shape
    last = days - 1
    clinic = (window.weekday < 5) & ~window.is_holiday
    n_weeks = int(window.week[-1]) + 1
    chosen = np.where(
        rng.random((n, n_weeks)) < 0.75, screen_weekday[:, None], rng.integers(0, 5, (n, n_weeks))
    )
    planned = chosen[:, window.week] == window.weekday[None, :]
    biweekly = (window.week[None, :] + np.arange(n)[:, None]) % 2 == 0
    planned &= np.where(schedule[:, None] == 2, biweekly, True)
    planned |= rng.random((n, days)) < 0.02
    planned |= np.arange(days)[None, :] == admission[:, None]
    attend = _logistic(2.6 - 0.8 * post - 3.0 * latent.fade)
    taken = (
        planned
        & clinic[None, :]
        & latent.enrolled
        & ~latent.gone
        & (rng.random((n, days)) < attend)
    )
    seconds = rng.integers(8 * 3600, 17 * 3600, (n, days))
    taken[:, last] &= seconds[:, last] < cutoff_seconds

    # Each lapse stays detectable for a substance-dependent number of days after the day of use.
    low, high = DETECTION_DAYS[substance, 0], DETECTION_DAYS[substance, 1]
    width = (high - low + 1)[:, None]
    drawn = low[:, None] + (rng.random((n, days)) * width).astype(np.int64)
    span = np.where(latent.lapse, drawn, 0)
    max_span = int(DETECTION_DAYS[:, 1].max())
    detectable = np.zeros((n, days), bool)
    for lag in range(1, min(max_span, days - 1) + 1):
        detectable[:, lag:] |= span[:, :-lag] >= lag

    si, sd = np.nonzero(taken)
    k = si.shape[0]
    u = rng.random(k)
    cum_used, cum_clean = np.cumsum(RESULT_P_USED), np.cumsum(RESULT_P_CLEAN)
    result = np.where(
        detectable[si, sd],
        np.searchsorted(cum_used, u, side="right"),
        np.searchsorted(cum_clean, u, side="right"),
    ).clip(0, len(RESULTS) - 1)

    positive = np.zeros((n, days), bool)
    positive[si[result == 0], sd[result == 0]] = True
    detected = np.zeros((n, days), bool)
    for lag in range(1, min(max_span, days - 1) + 1):
        detected[:, :-lag] |= (span[:, :-lag] >= lag) & positive[:, lag:]

    screens = Screens(client=si, day=sd, seconds=seconds[si, sd], result=result)
    return screens, taken.astype(np.int8), detected
