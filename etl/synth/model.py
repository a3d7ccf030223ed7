"""Latent daily dynamics of relapse risk, vectorised over a chunk of clients.

Each client has personal baselines and a personal vulnerability. Around them, the drivers
named in the clinical model move from day to day as autocorrelated processes:

* **stress**: an AR(1) deviation plus occasional episodes (a job loss, a court date) that
  build over a few days, last about a week and fade;
* **mood**: its own AR(1), pulled down by stress and by guilt after a lapse;
* **sleep**: its own AR(1), shortened by stress; a sleep debt accumulates over nights;
* **cue exposure**: people, places, music, routines and other cues, more on weekends and
  holidays, with a persistent component (weeks spent around old places); emotional
  triggers follow stress and mood instead;
* **isolation**: days since the last contact with a supportive person.

Risk is a smoothed logistic combination of these deviations, so it builds over days and the
signals are visible before a lapse. Deviations from the client's own baseline drive risk, not
the absolute level: a client whose usual stress is 6 is not at risk merely for being at 6.
Risk has no term for time in treatment: it does not fade by itself. A lapse raises risk,
lowers mood and engagement for a while (``post_lapse``), and sustained high risk or recent use
raises the hazard of dropping out, which starts weeks of fading engagement before contact
stops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl.synth.calendar import Window

N_CUES = 6  # bit order: people, places, music, routines, emotions, other
EMOTIONS_BIT = 4
CUE_OFFSETS = np.array([0.0, -0.3, -0.9, -0.4, 0.0, -1.6])  # emotions handled apart

# Risk model coefficients, on the logit scale.
RISK_INTERCEPT = -2.55
W_STRESS = 0.55
W_STRESS_LEVEL = 0.08  # small: chronic level counts a little, deviation counts most
W_CUES = 0.32
W_MOOD = 0.45
W_SLEEP_DEBT = 0.55
W_ISOLATION = 0.30
W_POST_LAPSE = 0.85
RISK_SMOOTHING = 0.55  # weight of yesterday's risk logit: risk builds over days
LAPSE_SCALE = 0.30  # P(lapse | risk) = LAPSE_SCALE * risk ** 2
# Substances differ in how often a vulnerable day turns into use.
SUBSTANCE_SHIFT = np.array([0.0, 0.05, -0.1, 0.25, -0.15, 0.35])

DROPOUT_HAZARD = 0.0018  # per day at risk 0.2, outside the first month
FADE_DAYS = (7, 22)  # engagement fades over this many days before contact stops
DISCHARGE_LAG = (10, 31)  # days from the last contact to the administrative discharge


def _ar_step(state: np.ndarray, phi: float, noise: np.ndarray) -> np.ndarray:
    return phi * state + np.sqrt(1.0 - phi * phi) * noise


@dataclass
class Traits:
    """Person-level parameters: the personal baselines that make clients differ."""

    stress_base: np.ndarray  # usual reported stress, 0-10
    mood_base: np.ndarray
    sleep_base: np.ndarray  # usual hours
    cue_base: np.ndarray  # logit of daily exposure to a cue
    emotion_base: np.ndarray
    support_base: np.ndarray  # logit of a daily supportive contact
    vulnerability: np.ndarray  # logit shift of risk

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> Traits:
        return cls(
            stress_base=np.clip(rng.normal(4.0, 1.6, n), 0.5, 8.5),
            mood_base=np.clip(rng.normal(6.0, 1.3, n), 2.0, 9.0),
            sleep_base=np.clip(rng.normal(7.0, 0.8, n), 4.5, 9.0),
            cue_base=rng.normal(-2.0, 0.6, n),
            emotion_base=rng.normal(-1.6, 0.5, n),
            support_base=rng.normal(0.7, 0.9, n),
            vulnerability=rng.normal(0.0, 0.7, n),
        )


@dataclass
class Latent:
    """The true daily state of a chunk of clients: arrays of shape (clients, days)."""

    traits: Traits
    enrolled: np.ndarray  # bool: between admission and discharge (inclusive)
    gone: np.ndarray  # bool: enrolled but no longer in contact (dropped out, not discharged)
    fade: np.ndarray  # float 0-1: how far engagement has faded before a drop-out
    risk: np.ndarray  # float 0-1
    lapse: np.ndarray  # bool: used that day (after that day's check-in)
    post_lapse: np.ndarray  # float: recent-use load before that day's lapse draw
    stress: np.ndarray  # standardised deviations from the client's baseline
    mood: np.ndarray
    sleep: np.ndarray
    support: np.ndarray  # bool: contact with a supportive person that day
    cues: np.ndarray  # uint8 bit set of cue categories met that day
    episode: np.ndarray  # bool: inside a stress episode
    discharge: np.ndarray  # per client: discharge day index (may be past the window)
    dropped_out: np.ndarray  # per client: bool
    fade_start: np.ndarray  # per client: day index, -1 if none


def simulate(
    rng: np.random.Generator,
    window: Window,
    admission: np.ndarray,
    planned_end: np.ndarray,
    substance: np.ndarray,
) -> Latent:
    """Run the daily dynamics for one chunk of clients over the whole window."""
    n, days = admission.shape[0], window.days
    tr = Traits.draw(rng, n)
    shape = (n, days)
    f32 = np.float32
    out = {
        name: np.zeros(shape, f32)
        for name in ("risk", "post_lapse", "stress", "mood", "sleep", "fade")
    }
    lapse = np.zeros(shape, bool)
    enrolled = np.zeros(shape, bool)
    gone = np.zeros(shape, bool)
    support = np.zeros(shape, bool)
    episode_on = np.zeros(shape, bool)
    cues = np.zeros(shape, np.uint8)

    # Stationary starting points: the window opens on processes already running.
    s_ar, m_ar, sl_ar = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)
    cue_ar, sup_ar = rng.standard_normal(n), rng.standard_normal(n)
    ep_left = np.zeros(n, np.int64)
    ep_amp = np.zeros(n)
    ep_level = np.zeros(n)
    sleep_debt = np.zeros(n)
    cue_load = np.zeros(n)
    since_support = rng.integers(0, 4, n).astype(float)
    post = np.zeros(n)
    risk_logit = np.full(n, RISK_INTERCEPT)
    risk_prev = np.full(n, 0.1)

    end = planned_end.copy()
    fade_start = np.full(n, -1, np.int64)
    fade_len = rng.integers(*FADE_DAYS, n)
    lag = rng.integers(*DISCHARGE_LAG, n)
    shift = SUBSTANCE_SHIFT[substance]
    level = (tr.stress_base - 4.0) / 2.0

    for t in range(days):
        weekend = float(window.is_weekend[t])
        holiday = float(window.is_holiday[t])
        in_care = (t >= admission) & (t <= end)

        # Drop-out: the hazard of starting to fade rises with risk and recent use, and is
        # higher in the first month of treatment.
        tenure = t - admission
        hazard = DROPOUT_HAZARD * np.exp(3.0 * (risk_prev - 0.2)) * (1.0 + post)
        hazard *= np.where(tenure < 30, 2.0, 1.0)
        starts = in_care & (fade_start < 0) & (t < planned_end - 3) & (rng.random(n) < hazard)
        fade_start[starts] = t
        end[starts] = t + fade_len[starts] + lag[starts]
        fading = fade_start >= 0
        since_fade = t - fade_start
        gone[:, t] = in_care & fading & (since_fade > fade_len)
        out["fade"][:, t] = np.where(in_care & fading, np.minimum(since_fade / fade_len, 1), 0)

        # Stress: AR(1) plus episodes that ramp up and fade.
        s_ar = _ar_step(s_ar, 0.8, rng.standard_normal(n))
        begin = (ep_left == 0) & (rng.random(n) < 1 / 45)
        ep_left[begin] = rng.integers(3, 11, int(begin.sum()))
        ep_amp[begin] = rng.uniform(1.3, 2.6, int(begin.sum()))
        on = ep_left > 0
        ep_level = 0.55 * ep_level + 0.45 * np.where(on, ep_amp, 0.0)
        ep_left = np.maximum(ep_left - 1, 0)
        stress = s_ar + ep_level + 0.3 * holiday

        m_ar = _ar_step(m_ar, 0.85, rng.standard_normal(n))
        mood = 0.8 * m_ar - 0.45 * stress - 0.4 * post
        sl_ar = _ar_step(sl_ar, 0.6, rng.standard_normal(n))
        sleep = 0.85 * sl_ar - 0.35 * stress - 0.2 * post + 0.2 * weekend
        sleep_debt = 0.6 * sleep_debt + 0.4 * np.maximum(-sleep, 0.0)

        sup_ar = _ar_step(sup_ar, 0.85, rng.standard_normal(n))
        p_support = 1 / (1 + np.exp(-(tr.support_base + 0.9 * sup_ar + 0.35 * mood - 0.4 * post)))
        met = rng.random(n) < p_support
        since_support = np.where(met, 0.0, since_support + 1)
        isolation = np.minimum(since_support, 14.0) / 4.0

        cue_ar = _ar_step(cue_ar, 0.75, rng.standard_normal(n))
        cue_logit = tr.cue_base + 0.9 * cue_ar + 0.6 * weekend + 0.9 * holiday + 0.3 * post
        p_cue = 1 / (1 + np.exp(-(cue_logit[:, None] + CUE_OFFSETS[None, :])))
        p_cue[:, EMOTIONS_BIT] = 1 / (1 + np.exp(-(tr.emotion_base + 0.9 * stress - 0.6 * mood)))
        met_cue = rng.random((n, N_CUES)) < p_cue
        bits = (met_cue * (1 << np.arange(N_CUES))).sum(axis=1)
        n_cues = met_cue.sum(axis=1) - met_cue[:, EMOTIONS_BIT]
        cue_load = 0.5 * cue_load + n_cues

        target = (
            RISK_INTERCEPT
            + tr.vulnerability
            + shift
            + W_STRESS * stress
            + W_STRESS_LEVEL * level
            + W_CUES * cue_load
            + W_MOOD * -mood
            + W_SLEEP_DEBT * sleep_debt
            + W_ISOLATION * isolation
            + W_POST_LAPSE * post
            + 0.15 * weekend
        )
        risk_logit = RISK_SMOOTHING * risk_logit + (1 - RISK_SMOOTHING) * target
        risk = 1 / (1 + np.exp(-risk_logit))
        used = in_care & (rng.random(n) < LAPSE_SCALE * risk * risk)

        enrolled[:, t] = in_care
        out["risk"][:, t] = risk
        out["post_lapse"][:, t] = post
        out["stress"][:, t] = stress
        out["mood"][:, t] = mood
        out["sleep"][:, t] = sleep
        support[:, t] = met
        cues[:, t] = bits
        episode_on[:, t] = on
        lapse[:, t] = used

        post = 0.75 * post + used
        risk_prev = risk

    return Latent(
        traits=tr,
        enrolled=enrolled,
        gone=gone,
        fade=out["fade"],
        risk=out["risk"],
        lapse=lapse,
        post_lapse=out["post_lapse"],
        stress=out["stress"],
        mood=out["mood"],
        sleep=out["sleep"],
        support=support,
        cues=cues,
        episode=episode_on,
        discharge=end,
        dropped_out=fade_start >= 0,
        fade_start=fade_start,
    )
