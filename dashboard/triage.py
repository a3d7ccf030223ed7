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
from collections.abc import Mapping, Sequence
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


def _sparks(history: Sequence[Mapping], as_of: dt.date, days: int) -> dict[int, list]:
    """Per client, the last ``days`` scores in date order (None where a day has none)."""
    first = as_of - dt.timedelta(days=days - 1)
    # Each day's place looked up, not computed: ~2,000 rows on every Today load.
    offsets = {first + dt.timedelta(days=i): i for i in range(days)}
    sparks: dict[int, list] = {}
    for h in history:
        day, score = h["date"], h["score"]
        offset = offsets.get(day if type(day) is dt.date else as_date(day))
        if offset is not None and score is not None and score == score:
            sparks.setdefault(h["client_key"], [None] * days)[offset] = round(score, 1)
    return sparks


def as_date(value) -> dt.date | None:
    """A date from the read model (``datetime.date``, a Timestamp, or missing)."""
    if (
        value is None
        or value is pd.NaT
        or value is pd.NA
        or (isinstance(value, float) and value != value)
    ):
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def number(value, digits: int | None = None) -> float | None:
    """A number from the read model as a float (rounded to ``digits`` if given), None for a
    missing one (None, NaN, NA)."""
    if value is None or value is pd.NA or value != value:
        return None
    return float(value) if digits is None else round(float(value), digits)


def flags(column: pd.Series) -> np.ndarray:
    """A yes/no column of the read model as booleans; missing is no."""
    if column.dtype.kind == "b":
        return column.to_numpy()
    return column.fillna(False).astype(bool).to_numpy()


def floats(column: pd.Series) -> np.ndarray:
    """A numeric column of the read model as floats; missing (or not a number) is NaN."""
    if column.dtype.kind == "f":
        return column.to_numpy()
    return pd.to_numeric(column, errors="coerce").to_numpy(np.float64)


def _followup(contact, answered, snoozed, tier, today, time_zone) -> tuple[str, str]:
    """The follow-up column: (kind, words). Contacted about today's score, snoozed, due (high
    or critical, not yet contacted), or just the last contact's day."""
    if answered and contact is not None:
        local = local_time(contact["contacted_at"], time_zone)
        when = clock(local) if local.date() == today else f"{local:%b %-d}, {clock(local)}"
        outcome = f" · {contact['outcome'].replace('_', ' ')}" if contact["outcome"] else ""
        return "done", f"Contacted {when} · {contact['method'].replace('_', ' ')}{outcome}"
    if snoozed is not None:
        until, who = snoozed
        return "snoozed", f"Snoozed until {until:%b %-d}{f' by {who}' if who else ''}"
    if tier in HIGH_TIERS:
        return "due", "Due today"
    if contact is not None:
        return "none", f"Last contact {local_time(contact['contacted_at'], time_zone):%b %-d}"
    return "none", ""


def _descending(value: float | None) -> tuple[bool, float]:
    """A sort key putting larger values first and missing ones last."""
    return (True, 0.0) if value is None else (False, -value)


def rank_caseload(
    rows: Sequence[Mapping],
    history: Sequence[Mapping],
    followups: Sequence[Mapping],
    snoozes: Sequence[Mapping],
    *,
    as_of: dt.date,
    today: dt.date,
    time_zone: str,
    spark_days: int = 14,
) -> list[dict]:
    """The Today table: one ranked row (a dict) per client with display-ready fields.

    ``rows`` are the caseload's clients with their day's facts and ``last_checkin``;
    ``followups`` oldest first; ``snoozes`` running ones. Plain dicts, not a frame: on one
    caseload of ~150 clients pandas' per-column machinery costs more than the work, and this
    runs on every Today load."""
    latest_contact: dict[int, Mapping] = {}
    answered: set[int] = set()
    for contact in followups:  # oldest first: the last one wins
        latest_contact[int(contact["client_key"])] = contact
        if as_date(contact["risk_date"]) == as_of:
            answered.add(int(contact["client_key"]))
    snoozed: dict[int, tuple[dt.date, str | None]] = {}
    for s in snoozes:
        key, until = int(s["client_key"]), as_date(s["until_date"])
        if key not in snoozed or until >= snoozed[key][0]:
            snoozed[key] = (until, s.get("snoozed_by"))
    sparks = _sparks(history, as_of, spark_days)

    ranked = []
    for r in rows:
        key = int(r["client_key"])
        tier = r["tier"] if isinstance(r["tier"], str) else None
        reasons = reasons_list(r["reasons"])
        kind, words = _followup(
            latest_contact.get(key), key in answered, snoozed.get(key), tier, today, time_zone
        )
        streak = number(r["missed_streak"])
        change = number(r["score_change"])
        ranked.append(
            {
                **r,
                "client_key": key,
                "tier": tier,
                "tier_rank": TIER_RANK.get(tier, -1) if tier else -1,
                "score": number(r["score"]),
                "score_change": change,
                "is_newly_high": bool(r["is_newly_high"] is True or r["is_newly_high"] == 1),
                "is_rising": (change or 0) > 0,
                "missed_streak": int(streak or 0),
                "reasons_text": reasons_text(reasons),
                "reasons_all": reasons_text(reasons, top=None),
                "is_discordant": discordance_reason(reasons) is not None,
                "name": f"{r['first_name']} {r['last_name']}",
                "last_checkin": as_date(r.get("last_checkin")),
                "spark": sparks.get(key, [None] * spark_days),
                "followup_kind": kind,
                "followup_text": words,
                "is_snoozed": kind == "snoozed",
            }
        )
    ranked.sort(
        key=lambda c: (
            c["is_snoozed"],
            not c["is_newly_high"],
            -c["tier_rank"],
            _descending(c["score"]),
            _descending(c["score_change"]),
            -c["missed_streak"],
        )
    )
    for i, c in enumerate(ranked, start=1):
        c["rank"] = i
    return ranked


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
    missed: Sequence, *, today: dt.date, as_of: dt.date, scored_at: dt.datetime | None
) -> MissedDay:
    """Clients whose expected check-in of yesterday never came (``is_missed`` as the engine
    settled it). ``missed`` holds ``is_missed`` of each of the caseload's client-days of
    yesterday; ``scored_at`` is when the latest scores were made, in the program's time zone."""
    day = today - dt.timedelta(days=1)
    label = f"{day:%a %b %-d}"
    if as_of < day or len(missed) == 0:
        return MissedDay(day, None, f"no check-in data for {label}")
    if as_of == day and _is_open(day, scored_at):
        return MissedDay(day, None, f"{label} was not over at the last load")
    count = sum(1 for m in missed if m is True or m == 1)
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


def card_counts(ranked: Sequence[Mapping], missed: MissedDay) -> dict[str, int | None]:
    """The cards' numbers; ``missed`` is None when the day it counts is not settled."""
    return {
        "high": sum(1 for r in ranked if r["tier"] in HIGH_TIERS),
        "newly_high": sum(1 for r in ranked if r["is_newly_high"]),
        "missed": missed.count,
        "due": sum(1 for r in ranked if r["followup_kind"] == "due"),
        "discordant": sum(1 for r in ranked if r["is_discordant"]),
    }
