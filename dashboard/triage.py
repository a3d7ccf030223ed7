"""The morning triage as pure functions: rank a caseload and summarise it for the cards.

Separated from the queries so the ranking rules can be read and unit-tested on their own.
Ranking: snoozed clients last; then newly high, then by tier (critical first), then by score
within a tier, the change since yesterday breaking ties (a rising score first), then the
missed-check-in streak. So scores read down each tier in order.

Dates follow the risk engine: the latest scored day may be today while it is still in
progress (a morning load), when today's expected check-ins not yet in are *pending*, not
missed. So "missed" always means a day that is over: the card counts yesterday's misses as the
engine settled them, and the page says which day the scores are for and when they were made.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from etl.vocabulary import DISCORDANCE, HIGH_TIERS, TIER_RANK

TOP_REASONS = 2


def reasons_list(value) -> list[dict]:
    """A stored reasons value (JSON text or a list) as a list of reason dicts."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return [r for r in value if isinstance(r, dict)]


def discordance_reason(value) -> dict | None:
    """The "reported no use, screen positive" reason, if the score carries one. It is shown
    apart from the others (a marker on the client page, a card on Today) because it asks for a
    conversation about the screen, not a louder alarm."""
    return next((r for r in reasons_list(value) if r.get("code") == DISCORDANCE), None)


def _initial_cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# The engine states deviations in standard deviations ("2.1 SD above own baseline (usual
# 5.0)"); a counselor says "much higher than usual for them (usually about 5)".
_SD_CLAUSE = re.compile(
    r"(?P<sd>\d+(?:\.\d+)?) SD (?P<dir>above|below) own baseline(?: \(usual (?P<usual>[\d.]+)\))?"
)
_SD_SLEEP = re.compile(
    r"slept (?P<sd>\d+(?:\.\d+)?) SD less than own usual(?: \((?P<usual>[\d.]+) h\))?"
)


def _about(number: str) -> str:
    """To the nearest half: 5.2 -> '5', 6.5 -> '6.5'."""
    return f"{round(float(number) * 2) / 2:g}"


def _how_far(sd: str) -> str:
    value = float(sd)
    return "much " if value >= 2 else "a little " if value < 1.5 else ""


def plain_words(text: str) -> str:
    """Statistics jargon in a reason, said in plain words (numbers kept)."""

    def deviation(m: re.Match) -> str:
        word = "higher" if m["dir"] == "above" else "lower"
        usual = f" (usually about {_about(m['usual'])})" if m["usual"] else ""
        return f"{_how_far(m['sd'])}{word} than usual for them{usual}"

    def sleep(m: re.Match) -> str:
        usual = f" (usually about {_about(m['usual'])} h)" if m["usual"] else ""
        return f"slept {_how_far(m['sd'])}less than usual for them{usual}"

    return _SD_SLEEP.sub(sleep, _SD_CLAUSE.sub(deviation, text))


def clock(moment: dt.datetime | dt.time) -> str:
    """The one clock format of every screen: the programs' locale (US), 12-hour."""
    return f"{moment:%-I:%M %p}"


def reason_line(reason: dict) -> str:
    """One reason in words a counselor can say: 'Poor sleep: slept under 6 h on ...'.

    The signal's name leads unless the engine's text already starts with it ('craving 9/10
    yesterday' needs no 'Craving:' in front)."""
    signal, text = str(reason.get("signal") or ""), plain_words(str(reason.get("text") or ""))
    if reason.get("code") == DISCORDANCE:  # "Discordance:" is a word for a lab, not a client
        signal = ""
    if not (signal and text):
        return _initial_cap(text or signal)
    lowered = text.lower()
    names = {signal.lower(), str(reason.get("code") or "").lower()} - {""}
    if any(lowered.startswith(n) for n in names):
        return _initial_cap(text)
    return f"{_initial_cap(signal)}: {text}"


def reasons_text(value, top: int | None = TOP_REASONS, sep: str = "\n") -> str:
    """The top reasons (every one with ``top=None``), one per line by default (a reason's own
    clauses are joined by '; ', so reasons need a stronger separator to be told apart)."""
    return sep.join(line for r in reasons_list(value)[:top] if (line := reason_line(r)))


def week_starts(dates) -> np.ndarray:
    """The Monday of each date's week (weeks run Monday to Sunday, as ISO weeks do), as
    ``datetime64[D]``; ``.tolist()`` gives ``datetime.date`` values. In numpy because the
    Outcomes page passes whole columns on every request (1970-01-01 was a Thursday)."""
    days = np.asarray(pd.to_datetime(dates).to_numpy(), dtype="datetime64[D]")
    return days - ((days.astype("int64") + 3) % 7).astype("timedelta64[D]")


def local_time(utc_naive: dt.datetime | pd.Timestamp, tz: str) -> dt.datetime:
    ts = pd.Timestamp(utc_naive).to_pydatetime()
    return ts.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz))


def _sparks(history: pd.DataFrame, as_of: dt.date, days: int) -> dict[int, list]:
    """Per client, the last ``days`` scores in date order (None where a day has none).
    Plain Python: for one caseload (~2,000 values) it is faster than a pivot."""
    first = as_of - dt.timedelta(days=days - 1)
    sparks: dict[int, list] = {}
    for key, day, score in zip(
        history["client_key"].tolist(),
        history["date"].tolist(),
        history["score"].tolist(),
        strict=True,
    ):
        offset = (day - first).days  # the read model hands out datetime.date values
        if 0 <= offset < days and score == score:  # skip NaN
            sparks.setdefault(int(key), [None] * days)[offset] = round(float(score), 1)
    return sparks


def as_date(value) -> dt.date | None:
    """A date from the read model (``datetime.date``, a Timestamp, or missing)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def rank_caseload(
    rows: pd.DataFrame,
    last_checkins: pd.DataFrame,
    history: pd.DataFrame,
    followups: pd.DataFrame,
    snoozes: pd.DataFrame,
    *,
    as_of: dt.date,
    today: dt.date,
    time_zone: str,
    spark_days: int = 14,
) -> pd.DataFrame:
    """The Today table: one ranked row per client with display-ready columns."""
    if rows.empty:
        return rows.assign(rank=pd.Series(dtype="int64"))
    # Plain lists per column: on one caseload, pandas' per-column machinery costs more than the
    # work (this runs on every Today load).
    df = rows.copy()
    tiers = [t if isinstance(t, str) else None for t in df["tier"].tolist()]
    df["tier"] = pd.Series(tiers, index=df.index, dtype=object)
    df["tier_rank"] = [TIER_RANK.get(t, -1) if t else -1 for t in tiers]
    df["score_change"] = pd.to_numeric(df["score_change"], errors="coerce")
    df["is_newly_high"] = df["is_newly_high"].fillna(False).astype(bool)
    df["is_rising"] = df["score_change"].fillna(0) > 0
    df["missed_streak"] = pd.to_numeric(df["missed_streak"], errors="coerce").fillna(0).astype(int)
    reasons = [reasons_list(v) for v in df["reasons"].tolist()]
    df["reasons_text"] = [reasons_text(r) for r in reasons]
    df["reasons_all"] = [reasons_text(r, top=None) for r in reasons]
    df["is_discordant"] = [discordance_reason(r) is not None for r in reasons]
    df["name"] = [f"{f} {la}" for f, la in zip(df["first_name"], df["last_name"], strict=True)]

    last = dict(
        zip(last_checkins.get("client_key", []), last_checkins.get("last_checkin", []), strict=True)
    )
    keys = [int(k) for k in df["client_key"].tolist()]
    last_days = [as_date(last.get(k)) for k in keys]
    df["last_checkin"] = pd.Series(last_days, index=df.index, dtype=object)
    # Counted from today, not from the scored day: "3 d ago" must stay true on stale data.
    df["days_since_checkin"] = pd.Series(
        [None if d is None else (today - d).days for d in last_days], index=df.index, dtype=object
    )

    sparks = _sparks(history, as_of, spark_days)
    df["spark"] = [sparks.get(k, [None] * spark_days) for k in keys]

    latest_contact: dict[int, dict] = {}
    answered: set[int] = set()
    for contact in followups.to_dict("records"):  # oldest first: the last one wins
        latest_contact[int(contact["client_key"])] = contact
        if contact["risk_date"] == as_of:
            answered.add(int(contact["client_key"]))
    snoozed: dict[int, dt.date] = {}
    snoozed_by: dict[int, str] = {}
    by = snoozes["snoozed_by"].tolist() if "snoozed_by" in snoozes else [None] * len(snoozes)
    for key, until, who in zip(
        snoozes["client_key"].tolist(), snoozes["until_date"].tolist(), by, strict=True
    ):
        if until >= snoozed.get(int(key), until):
            snoozed[int(key)], snoozed_by[int(key)] = until, who

    kinds, texts = [], []
    for key, tier in zip(df["client_key"].tolist(), df["tier"].tolist(), strict=True):
        contact = latest_contact.get(int(key))
        if key in answered and contact is not None:
            local = local_time(contact["contacted_at"], time_zone)
            when = clock(local) if local.date() == today else f"{local:%b %-d}, {clock(local)}"
            outcome = f" · {contact['outcome'].replace('_', ' ')}" if contact["outcome"] else ""
            kinds.append("done")
            texts.append(f"Contacted {when} · {contact['method'].replace('_', ' ')}{outcome}")
        elif key in snoozed:
            kinds.append("snoozed")
            who = f" by {snoozed_by[key]}" if snoozed_by.get(key) else ""
            texts.append(f"Snoozed until {snoozed[key]:%b %-d}{who}")
        elif tier in HIGH_TIERS:
            kinds.append("due")
            texts.append("Due today")
        elif contact is not None:
            kinds.append("none")
            texts.append(f"Last contact {local_time(contact['contacted_at'], time_zone):%b %-d}")
        else:
            kinds.append("none")
            texts.append("")
    df["followup_kind"] = kinds
    df["followup_text"] = texts
    df["is_snoozed"] = df["followup_kind"] == "snoozed"

    df = df.sort_values(
        ["is_snoozed", "is_newly_high", "tier_rank", "score", "score_change", "missed_streak"],
        ascending=[True, False, False, False, False, False],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    df["rank"] = range(1, len(df) + 1)
    return df


def _is_open(day: dt.date, scored_at: dt.datetime | None) -> bool:
    """Whether ``day`` was still in progress (program time) when it was last scored."""
    return scored_at is not None and scored_at.date() <= day


@dataclass(frozen=True)
class MissedDay:
    """Yesterday's missed check-ins: the count, or None with the reason it is not known."""

    day: dt.date
    count: int | None
    note: str


def missed_yesterday(
    facts: pd.DataFrame, *, today: dt.date, as_of: dt.date, scored_at: dt.datetime | None
) -> MissedDay:
    """Clients whose expected check-in of yesterday never came (``is_missed`` as the engine
    settled it). ``facts`` holds yesterday's client-day rows of the caseload; ``scored_at`` is
    when the latest scores were made, in the program's time zone."""
    day = today - dt.timedelta(days=1)
    label = f"{day:%a %b %-d}"
    if as_of < day or facts.empty:
        return MissedDay(day, None, f"no check-in data for {label}")
    if as_of == day and _is_open(day, scored_at):
        return MissedDay(day, None, f"{label} was not over at the last load")
    count = int(facts["is_missed"].fillna(False).astype(bool).sum())
    return MissedDay(day, count, f"expected {label}, not received")


def as_of_status(
    as_of: dt.date, today: dt.date, scored_at: dt.datetime | None, received_today: int
) -> tuple[str, bool]:
    """The line under the page title: which day the scores are for, when they were made, and
    whether that day was still in progress. Returns (text, stale)."""
    day = f"{as_of:%A %b %-d}"
    if as_of == today:
        text = f"Scores for today, {day}"
        if _is_open(as_of, scored_at):
            plural = "" if received_today == 1 else "s"
            text += (
                f" · scored {clock(scored_at)} from the {received_today} check-in{plural} "
                "in so far today; expected check-ins not in yet are pending, not missed"
            )
        return text, False
    if as_of == today - dt.timedelta(days=1):
        text = f"Latest scores: yesterday, {day} · no check-ins for today loaded yet"
        if _is_open(as_of, scored_at):
            text += f" · scored {clock(scored_at)}, before the day was over"
        return text, False
    age = (today - as_of).days
    return (
        f"Latest scores: {day}, {as_of:%Y} · data is {age} days old: "
        "reasons, streaks and 'yesterday' are as of that day",
        True,
    )


def missed_keys(facts: pd.DataFrame) -> set[int]:
    """Clients whose check-in of the day in ``facts`` was settled as missed."""
    if facts.empty:
        return set()
    missed = facts["is_missed"].fillna(False).astype(bool)
    return {int(k) for k in facts.loc[missed, "client_key"]}


def card_counts(ranked: pd.DataFrame, missed: MissedDay) -> dict[str, int | None]:
    """The cards' numbers; ``missed`` is None when the day it counts is not settled."""
    if ranked.empty:
        return {"high": 0, "newly_high": 0, "missed": missed.count, "due": 0, "discordant": 0}
    return {
        "high": int(ranked["tier"].isin(HIGH_TIERS).sum()),
        "newly_high": int(ranked["is_newly_high"].sum()),
        "missed": missed.count,
        "due": int((ranked["followup_kind"] == "due").sum()),
        "discordant": int(ranked["is_discordant"].sum()),
    }
