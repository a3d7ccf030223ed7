"""Brief Addiction Monitor forms from the simulated clients' latent days.

A client fills in the weekly form (7-day recall) at admission and in each of the first three
weeks, then the monthly form (30-day recall) every four weeks from day 28, as long as they are
in contact. Answers summarise the latent days of the recall period the way the BAM asks
about them, so the scales carry the same signal as the check-ins:

* day-count items (sleep trouble, distress, use, risky situations, meetings, support) count
  the matching latent days and are scored 0-4 by the BAM's bins (0, 1-3, 4-8, 9-15, 16-30
  days; a weekly form's counts are scaled to 30 days first);
* rating items (health, craving, confidence, satisfaction) follow the mean latent risk, with
  per-client traits for the steadier ones (spirituality, work or school, income);
* use is reported as often as this client discloses lapses on check-ins: the BAM is
  self-report too.

Forms use a random stream of their own, so adding them changed no other file's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etl import bam
from etl.synth.calendar import Window
from etl.synth.model import EMOTIONS_BIT, Latent

WEEKLY_DAYS = (0, 7, 14, 21)
MONTHLY_EVERY = 28
ALCOHOL = 3  # index in roster.SUBSTANCES
# roster.SUBSTANCES -> the item 7 drug class (a cannabis, c cocaine, d stimulants, e opiates).
ITEM_7_OF = np.array([2, 3, 3, -1, 4, 0])
ITEM_INDEX = {name: i for i, name in enumerate(bam.ITEMS)}
FORM_HOURS = (9.5, 17.5)  # a clinic visit, local time


@dataclass
class Forms:
    client: np.ndarray  # index in the chunk
    day: np.ndarray  # day index in the window
    seconds: np.ndarray  # local seconds after midnight
    recall: np.ndarray  # 7 or 30
    answers: np.ndarray  # (forms, len(bam.ITEMS)) int, -1 for blank


def _bins(days: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """A count of days scored 0-4 the BAM's way, weekly counts scaled to a month first."""
    month = days * (30.0 / recall)
    return np.searchsorted(np.array([0.5, 3.5, 8.5, 15.5]), month).astype(np.int64)


def _rating(rng: np.random.Generator, centre: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(centre + rng.normal(0.0, 0.55, centre.shape)), 0, 4).astype(np.int64)


def schedule(latent: Latent, admission: np.ndarray, window: Window) -> tuple[np.ndarray, ...]:
    """(client, day, recall) of every form due while the client is enrolled and in contact."""
    offsets = np.array([*WEEKLY_DAYS, *range(MONTHLY_EVERY, window.days + 400, MONTHLY_EVERY)])
    day = admission[:, None] + offsets[None, :]
    recall = np.where(offsets < MONTHLY_EVERY, 7, 30)[None, :].repeat(len(admission), 0)
    client = np.arange(len(admission))[:, None].repeat(len(offsets), 1)
    inside = (day >= 0) & (day < window.days)
    client, day, recall = client[inside], day[inside], recall[inside]
    keep = latent.enrolled[client, day] & ~latent.gone[client, day]
    return client[keep], day[keep], recall[keep]


def make_forms(
    rng: np.random.Generator,
    window: Window,
    latent: Latent,
    admission: np.ndarray,
    substance: np.ndarray,
    disclosure: np.ndarray,
    cutoff_seconds: int,
) -> Forms:
    n = len(admission)
    spirit = rng.uniform(0.0, 4.0, n)
    work = rng.uniform(0.5, 3.5, n)
    income = rng.uniform(0.5, 4.0, n)
    meetings = rng.uniform(0.1, 0.8, n)

    client, day, recall = schedule(latent, admission, window)
    # A form is skipped more often as engagement fades before a drop-out.
    done = rng.random(len(day)) < 0.92 * (1.0 - latent.fade[client, day])
    client, day, recall = client[done], day[done], recall[done]
    seconds = (rng.uniform(*FORM_HOURS, len(day)) * 3600).astype(np.int64)
    last = window.days - 1
    on_time = (day < last) | (seconds < cutoff_seconds)
    client, day, recall, seconds = client[on_time], day[on_time], recall[on_time], seconds[on_time]

    m = len(day)
    # Per form: the latent days of its recall period (the form's day included).
    span = np.arange(30)[None, :]
    first = day - recall + 1
    days = first[:, None] + span
    inside = (span < recall[:, None]) & (days >= 0)
    days = np.clip(days, 0, last)
    c = client[:, None]

    def count(flags: np.ndarray) -> np.ndarray:
        return (flags[c, days] & inside).sum(axis=1)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.where(inside, values[c, days], 0.0).sum(axis=1) / np.maximum(
            inside.sum(axis=1), 1
        )

    risk = mean(latent.risk)
    lapses = count(latent.lapse)
    told = rng.binomial(lapses, np.clip(disclosure[client] + 0.1, 0.0, 1.0))
    cue_bits = ~np.uint8(1 << EMOTIONS_BIT)
    any_cue = (latent.cues & cue_bits) > 0

    answers = np.full((m, len(bam.ITEMS)), -1, np.int64)

    def put(item: str, values: np.ndarray) -> None:
        answers[:, ITEM_INDEX[item]] = values

    put("item_1", _rating(rng, 0.6 + 9.0 * (risk - 0.1)))
    put("item_2", _bins(count(latent.sleep < -0.7), recall))
    put("item_3", _bins(count((latent.stress > 1.2) | (latent.mood < -1.2)), recall))
    alcohol = substance[client] == ALCOHOL
    put("item_4", _bins(np.where(alcohol, told, 0), recall))
    put("item_5", _bins(np.where(alcohol, told // 2, 0), recall))
    put("item_6", _bins(np.where(alcohol, 0, told), recall))
    for k, item in enumerate(bam.ITEM_7):
        put(item, np.where(ITEM_7_OF[substance[client]] == k, _bins(told, recall), 0))
    put("item_8", _rating(rng, 0.6 + 12.0 * (risk - 0.1)))
    put("item_9", _rating(rng, 3.4 - 10.0 * (risk - 0.1)))
    put("item_10", _bins(rng.binomial(count(latent.support), meetings[client]), recall))
    put("item_11", _bins(count(any_cue), recall))
    put("item_12", _rating(rng, spirit[client]))
    put("item_13", _rating(rng, work[client] - 4.0 * (risk - 0.1)))
    put("item_14", _rating(rng, income[client]))
    put("item_15", _bins(count(latent.episode) // 2, recall))
    put("item_16", _bins(count(latent.support), recall))
    put("item_17", _rating(rng, 3.2 - 9.0 * (risk - 0.1) - 0.4 * np.minimum(lapses, 3)))
    return Forms(client=client, day=day, seconds=seconds, recall=recall, answers=answers)
