"""Program outcomes for supervisors: every figure of ``docs/outcomes.md``, computed once here.

The page, ``caseload outcomes`` and the tests all call ``program_outcomes``, so the three can
never disagree about what a figure means. Access: a scope holding ``VIEW_ALL_OUTCOMES`` (an
admin, the command line) reads any program, one holding ``VIEW_OUTCOMES`` (a supervisor) its
own program only, anyone else nothing (``resolve_program`` returns ``None``; callers audit the
refusal). The result holds aggregates only: no client ids, no names.

Day figures (adherence, abstinence, screens, the tier mix, and how many clients each rests
on) come from the Outcomes marts the risk refresh keeps per program, counselor and day
(``etl.marts``), so a year costs a few hundred rows; they are as new as the last refresh,
like the scores. The roster, the high-risk flags and the contacts logged are small enough to
read as rows and finish in pandas, where the date rules are easier to read; contacts are read
live, so a call logged a minute ago counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, case, func, or_, select

from dashboard.auth.permissions import VIEW_ALL_OUTCOMES, VIEW_OUTCOMES
from dashboard.read.frames import frame
from dashboard.read.scope import Scope
from dashboard.triage import week_starts
from etl.marts import DAY_SUMS
from etl.models import (
    AppFollowup,
    DimClient,
    DimProgram,
    DimStaff,
    FctRiskScore,
    MartOutcomesDay,
    MartOutcomesReach,
    MartScreenDay,
)
from etl.vocabulary import TIERS

RETENTION_DAYS = (30, 60, 90)
SMALL_N = 11  # a figure resting on fewer clients is marked "n < 11" and suppressed in exports
SCREEN_RESULTS = ("negative", "positive", "dilute", "invalid", "refused")


def resolve_program(conn: Connection, scope: Scope, program_id: Any) -> int | None:
    """The program key for a program id the caller may read, else ``None`` (unknown and
    refused look the same)."""
    if not isinstance(program_id, str) or VIEW_OUTCOMES not in scope.permissions:
        return None
    key = conn.execute(
        select(DimProgram.program_key).where(DimProgram.program_id == program_id)
    ).scalar()
    if key is None:
        return None
    if VIEW_ALL_OUTCOMES in scope.permissions or key == scope.program_key:
        return int(key)
    return None


def programs(conn: Connection, scope: Scope) -> pd.DataFrame:
    """program_id, name of the programs the caller may read (a picker's options)."""
    stmt = select(DimProgram.program_key, DimProgram.program_id, DimProgram.name).order_by(
        DimProgram.name
    )
    if VIEW_OUTCOMES not in scope.permissions:
        stmt = stmt.where(DimProgram.program_key.is_(None))
    elif VIEW_ALL_OUTCOMES not in scope.permissions:
        stmt = stmt.where(DimProgram.program_key == scope.program_key)
    return frame(conn, stmt)


def counselors(conn: Connection, program_key: int) -> pd.DataFrame:
    """staff_key, staff_id, name of the program's counselors (call with a resolved key)."""
    stmt = (
        select(DimStaff.staff_key, DimStaff.staff_id, DimStaff.first_name, DimStaff.last_name)
        .where(DimStaff.program_key == program_key, DimStaff.role == "counselor")
        .order_by(DimStaff.last_name, DimStaff.first_name)
    )
    return frame(conn, stmt)


def counselor_key(conn: Connection, program_key: int, staff_id: Any) -> int | None:
    """A counselor id of this program as its key, else ``None``."""
    if not isinstance(staff_id, str):
        return None
    staff = counselors(conn, program_key)
    match = staff[staff["staff_id"] == staff_id]
    return None if match.empty else int(match["staff_key"].iloc[0])


def _clients(program_key: int, counselor: int | None):
    cond = DimClient.program_key == program_key
    return cond if counselor is None else and_(cond, DimClient.counselor_key == counselor)


def _small(n: int) -> bool:
    return n < SMALL_N


def _rate(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


# --------------------------------------------------------------------------- roster figures


def roster(conn: Connection, program_key: int, counselor: int | None = None) -> pd.DataFrame:
    stmt = select(
        DimClient.client_key,
        DimClient.counselor_key,
        DimClient.admission_date,
        DimClient.discharge_date,
    ).where(_clients(program_key, counselor))
    out = frame(conn, stmt)
    for col in ("admission_date", "discharge_date"):
        out[col] = pd.to_datetime(out[col])
    return out


def enrolled_on(clients: pd.DataFrame, day: dt.date) -> pd.Series:
    d = pd.Timestamp(day)
    return (clients["admission_date"] <= d) & (
        clients["discharge_date"].isna() | (clients["discharge_date"] >= d)
    )


def census(clients: pd.DataFrame, start: dt.date, end: dt.date) -> dict[str, Any]:
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    first = clients["admission_date"].clip(lower=s)
    last = clients["discharge_date"].fillna(e).clip(upper=e)
    days_enrolled = ((last - first).dt.days + 1).clip(lower=0)
    n_days = (e - s).days + 1
    end_count = int(enrolled_on(clients, end).sum())
    return {
        "census_end": end_count,
        "census_avg": float(days_enrolled.sum()) / n_days if n_days > 0 else None,
        "admissions": int(clients["admission_date"].between(s, e).sum()),
        "discharges": int(clients["discharge_date"].between(s, e).sum()),
        "census_small": _small(end_count),
    }


def retention(cohort: pd.DataFrame, end: dt.date) -> dict[str, dict[str, Any]]:
    """Retention at N days of ``cohort`` (clients admitted in the period), as of ``end``."""
    e = pd.Timestamp(end)
    out = {}
    for n in RETENTION_DAYS:
        mark = cohort["admission_date"] + pd.Timedelta(days=n)
        eligible = mark <= e
        kept = eligible & (cohort["discharge_date"].isna() | (cohort["discharge_date"] >= mark))
        out[str(n)] = {
            "eligible": int(eligible.sum()),
            "retained": int(kept.sum()),
            "rate": _rate(kept.sum(), eligible.sum()),
            "small": _small(int(eligible.sum())),
        }
    return out


def cohort_table(cohort: pd.DataFrame, end: dt.date) -> list[dict[str, Any]]:
    """Retention by admission month of the period's admissions."""
    rows = []
    month = cohort["admission_date"].dt.to_period("M")
    for period, group in cohort.groupby(month, sort=True):
        rows.append({"month": str(period), "admitted": int(len(group)), **retention(group, end)})
    return rows


def days_in_treatment(cohort: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """duration (days from admission to discharge, or to ``end``) and ``event`` (discharged
    by ``end``): the input of the survival curve, censored at ``end``."""
    e = pd.Timestamp(end)
    discharged = cohort["discharge_date"].notna() & (cohort["discharge_date"] <= e)
    stop = cohort["discharge_date"].where(discharged, e)
    return pd.DataFrame(
        {
            "duration": (stop - cohort["admission_date"]).dt.days.astype(float),
            "event": discharged.to_numpy(),
        }
    )


def kaplan_meier(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """Product-limit estimate: ``timeline`` and ``survival`` (share still in treatment).
    The same estimator as lifelines' KaplanMeierFitter (tests compare the two)."""
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=bool)
    times, at = np.unique(np.r_[0.0, durations], return_inverse=True)
    leaving = np.bincount(at[1:], minlength=len(times))  # everyone whose spell ends at t
    died = np.bincount(at[1:], weights=events, minlength=len(times))
    at_risk = len(durations) - np.r_[0, np.cumsum(leaving)[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - died / at_risk, 1.0)
    return pd.DataFrame({"timeline": times, "survival": np.cumprod(factor)})


def survival(cohort: pd.DataFrame, end: dt.date) -> dict[str, Any]:
    """The Kaplan-Meier curve of days in treatment of the period's admissions."""
    spells = days_in_treatment(cohort, end)
    curve = kaplan_meier(spells["duration"].to_numpy(), spells["event"].to_numpy())
    return {
        "day": [int(d) for d in curve["timeline"]],
        "share": [float(s) for s in curve["survival"]],
        "clients": int(len(cohort)),
        "small": _small(int(len(cohort))),
    }


# --------------------------------------------------------------------------- day aggregates
#
# Read from the Outcomes marts (``etl.marts``), which the risk refresh keeps per program,
# counselor and day: a period is a few hundred summed rows, not every client-day of it.


def _in_period(mart, program_key: int, start: dt.date, end: dt.date, counselor: int | None):
    cond = [mart.program_key == program_key, mart.date.between(start, end)]
    if counselor is not None:
        cond.append(mart.counselor_key == counselor)
    return and_(*cond)


def day_sums(
    conn: Connection, program_key: int, start: dt.date, end: dt.date, counselor: int | None
) -> pd.DataFrame:
    """date and every sum of ``mart_outcomes_day`` (settled expected and met check-ins,
    answered and abstinent days, scored days per tier, newly-high days) per day."""
    m = MartOutcomesDay
    sums = [func.sum(getattr(m, n)).label(n) for n in DAY_SUMS]
    stmt = (
        select(m.date, *sums)
        .where(_in_period(m, program_key, start, end, counselor))
        .group_by(m.date)
        .order_by(m.date)
    )
    out = frame(conn, stmt)
    for n in DAY_SUMS:
        out[n] = out[n].astype(int) if len(out) else pd.Series(dtype=int)
    return out


def reach(
    conn: Connection,
    program_key: int,
    periods: list[tuple[dt.date, dt.date]],
    counselor: int | None,
) -> list[dict[tuple[str, str], int]]:
    """Per period, (measure, substance) -> how many different clients had it: each client's
    first such day of a period is the one whose previous day is before the period. All
    periods in one statement."""
    r = MartOutcomesReach
    first = [
        func.sum(
            case(
                (
                    and_(r.date.between(s, e), or_(r.prev_date.is_(None), r.prev_date < s)),
                    r.clients,
                ),
                else_=0,
            )
        )
        for s, e in periods
    ]
    lo, hi = min(s for s, _ in periods), max(e for _, e in periods)
    stmt = (
        select(r.measure, r.substance, *first)
        .where(_in_period(r, program_key, lo, hi, counselor))
        .group_by(r.measure, r.substance)
    )
    out: list[dict[tuple[str, str], int]] = [{} for _ in periods]
    for row in conn.execute(stmt):
        for i, n in enumerate(row[2:]):
            if n:
                out[i][(row[0], row[1])] = int(n)
    return out


def screens_by_day(
    conn: Connection, program_key: int, start: dt.date, end: dt.date, counselor: int | None
) -> pd.DataFrame:
    """date, substance, result, screens."""
    m = MartScreenDay
    stmt = (
        select(m.date, m.substance, m.result, func.sum(m.screens).label("screens"))
        .where(_in_period(m, program_key, start, end, counselor))
        .group_by(m.date, m.substance, m.result)
    )
    return frame(conn, stmt)


def tiers_by_day(days: pd.DataFrame) -> pd.DataFrame:
    """date, tier, days: scored client-days per tier (days with none left out)."""
    cols = {f"scored_{t}": t for t in TIERS}
    if days.empty:
        return pd.DataFrame(columns=["date", "tier", "days"])
    long = days.melt(id_vars="date", value_vars=list(cols), var_name="tier", value_name="days")
    long["tier"] = long["tier"].map(cols)
    return long[long["days"] > 0].reset_index(drop=True)


def screen_summary(screens: pd.DataFrame, clients: dict[tuple[str, str], int]) -> dict[str, Any]:
    """Collected, negative and each other result, overall and per substance; ``clients``
    is ``reach``'s answer (``("screen", "")`` overall, ``("screen", substance)`` each)."""

    def block(rows: pd.DataFrame, clients: int) -> dict[str, Any]:
        counts = rows.groupby("result")["screens"].sum() if len(rows) else pd.Series(dtype=int)
        collected = int(counts.sum())
        negative = int(counts.get("negative", 0))
        out = {
            "collected": collected,
            "negative": negative,
            "negative_rate": _rate(negative, collected),
            "clients": clients,
            "small": _small(clients),
        }
        for result in SCREEN_RESULTS[1:]:
            out[result] = int(counts.get(result, 0))
        return out

    summary = block(screens, clients.get(("screen", ""), 0))
    summary["by_substance"] = {
        str(s): block(g, clients.get(("screen", str(s)), 0))
        for s, g in (screens.groupby("substance") if len(screens) else [])
    }
    return summary


def risk_mix(tiers: pd.DataFrame) -> list[dict[str, Any]]:
    """Per ISO week (Monday start): the share of scored client-days in each tier.

    In numpy rather than a pivot table: this runs per period on every Outcomes request."""
    index = tiers["tier"].map({t: i for i, t in enumerate(TIERS)}) if len(tiers) else None
    if index is None or index.notna().sum() == 0:
        return []
    known = index.notna().to_numpy()
    weeks, at = np.unique(week_starts(tiers["date"])[known], return_inverse=True)
    table = np.zeros((len(weeks), len(TIERS)))
    np.add.at(table, (at, index[known].astype(int)), tiers["days"].to_numpy(float)[known])
    total = table.sum(axis=1)
    return [
        {
            "week_start": str(week),
            "scored_days": int(total[w]),
            **{tier: float(table[w, i] / total[w]) for i, tier in enumerate(TIERS)},
        }
        for w, week in enumerate(weeks)
    ]


def weekly(adherence: pd.DataFrame, abstinence: pd.DataFrame, screens: pd.DataFrame) -> list:
    """Adherence, abstinent days and negative screens per ISO week (the trend lines)."""
    parts = []
    if len(adherence):
        parts.append(adherence.groupby(week_starts(adherence["date"]))[["expected", "met"]].sum())
    if len(abstinence):
        cols = ["answered", "abstinent"]
        parts.append(abstinence.groupby(week_starts(abstinence["date"]))[cols].sum())
    if len(screens):
        s = screens.assign(negative=(screens["result"] == "negative") * screens["screens"])
        parts.append(s.groupby(week_starts(s["date"]))[["screens", "negative"]].sum())
    if not parts:
        return []
    table = pd.concat(parts, axis=1).fillna(0).sort_index()
    for col in ("expected", "met", "answered", "abstinent", "screens", "negative"):
        if col not in table:
            table[col] = 0
    return [
        {
            "week_start": str(np.datetime64(r.Index, "D")),
            "adherence": _rate(r.met, r.expected),
            "abstinence": _rate(r.abstinent, r.answered),
            "negative_rate": _rate(r.negative, r.screens),
            "screens": int(r.screens),
        }
        for r in table.itertuples()
    ]


# --------------------------------------------------------------------------- follow-up


def flags(
    conn: Connection,
    program_key: int,
    start: dt.date,
    end: dt.date,
    counselor: int | None,
    tz: str,
) -> pd.DataFrame:
    """Each newly-high day in the period with the first contact attempt logged from the start
    of that day (program time, ``tz``) on: client_key, counselor_key, date, hours (NaN: none
    yet). The newly-high days come through their own partial index."""
    stmt = (
        select(FctRiskScore.client_key, DimClient.counselor_key, FctRiskScore.date)
        .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
        .where(
            _clients(program_key, counselor),
            FctRiskScore.date.between(start, end),
            FctRiskScore.is_newly_high,
        )
        .order_by(FctRiskScore.date)
    )
    raised = frame(conn, stmt)
    if raised.empty:
        return raised.assign(flag_at=pd.Series(dtype="datetime64[ns]"), hours=[])
    raised["flag_at"] = [_day_start_utc(d, tz) for d in raised["date"]]
    contacts = frame(
        conn,
        select(AppFollowup.client_key, AppFollowup.contacted_at)
        .join(DimClient, DimClient.client_key == AppFollowup.client_key)
        .where(
            _clients(program_key, counselor),
            AppFollowup.contacted_at >= raised["flag_at"].min().to_pydatetime(),
        )
        .order_by(AppFollowup.contacted_at),
    )
    raised = raised.sort_values("flag_at", kind="stable").reset_index(drop=True)
    if contacts.empty:
        raised["hours"] = np.nan
        return raised
    contacts["contacted_at"] = pd.to_datetime(contacts["contacted_at"])
    joined = pd.merge_asof(
        raised,
        contacts.sort_values("contacted_at"),
        left_on="flag_at",
        right_on="contacted_at",
        by="client_key",
        direction="forward",
    )
    joined["hours"] = (joined["contacted_at"] - joined["flag_at"]).dt.total_seconds() / 3600
    return joined.drop(columns=["contacted_at"])


def _day_start_utc(day: dt.date, tz: str) -> pd.Timestamp:
    local = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(tz))
    return pd.Timestamp(local.astimezone(dt.UTC).replace(tzinfo=None))


def followup_summary(raised: pd.DataFrame) -> dict[str, Any]:
    if not len(raised):
        return _followup(np.empty(0), np.empty(0, dtype=int))
    return _followup(raised["hours"].to_numpy(float), raised["client_key"].to_numpy())


def _followup(hours: np.ndarray, client_keys: np.ndarray) -> dict[str, Any]:
    """Flags, contacts and the time to the first one (``hours``: NaN where none yet), on
    plain arrays: it runs for the program and again for each counselor."""
    contacted = ~np.isnan(hours)
    within = int((hours[contacted] <= 24).sum())
    clients = len(np.unique(client_keys))
    return {
        "flags": len(hours),
        "contacted": int(contacted.sum()),
        "within_24h": within,
        "within_24h_rate": _rate(within, len(hours)),
        "never_contacted_rate": _rate(int((~contacted).sum()), len(hours)),
        "median_hours": float(np.median(hours[contacted])) if contacted.any() else None,
        "clients": clients,
        "small": _small(clients),
    }


def contacts_by_counselor(
    conn: Connection,
    program_key: int,
    periods: list[tuple[dt.date, dt.date]],
    counselor: int | None,
    tz: str,
) -> list[dict[int, int]]:
    """Per period, contact attempts logged in it (program dates, ``tz``) per client's
    counselor; all periods in one statement."""
    bounds = [
        (
            _day_start_utc(s, tz).to_pydatetime(),
            _day_start_utc(e + dt.timedelta(days=1), tz).to_pydatetime(),
        )
        for s, e in periods
    ]
    at = AppFollowup.contacted_at
    counts = [func.sum(case((and_(at >= lo, at < hi), 1), else_=0)) for lo, hi in bounds]
    stmt = (
        select(DimClient.counselor_key, *counts)
        .select_from(AppFollowup)
        .join(DimClient, DimClient.client_key == AppFollowup.client_key)
        .where(
            _clients(program_key, counselor),
            at >= min(lo for lo, _ in bounds),
            at < max(hi for _, hi in bounds),
        )
        .group_by(DimClient.counselor_key)
    )
    out: list[dict[int, int]] = [{} for _ in periods]
    for row in conn.execute(stmt):
        if row[0] is None:
            continue
        for i, n in enumerate(row[1:]):
            if n:
                out[i][int(row[0])] = int(n)
    return out


# --------------------------------------------------------------------------- the whole


def program_outcomes(
    conn: Connection,
    program_key: int,
    start: dt.date,
    end: dt.date,
    counselor: int | None = None,
) -> dict[str, Any]:
    """Every figure of docs/outcomes.md for one program (and optionally one counselor's
    current caseload) over ``start``..``end``, both included. Call with a key from
    ``resolve_program`` (and ``counselor_key``): the access check happens there."""
    return period_outcomes(conn, program_key, [(start, end)], counselor)[0]


def _between(rows: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    if rows.empty:
        return rows
    return rows[(rows["date"] >= start) & (rows["date"] <= end)].reset_index(drop=True)


def period_outcomes(
    conn: Connection,
    program_key: int,
    periods: list[tuple[dt.date, dt.date]],
    counselor: int | None = None,
) -> list[dict[str, Any]]:
    """``program_outcomes`` of several periods (the page's period and the one before it)
    from one read of each source: the statements do not grow with the periods."""
    if not periods or any(end < start for start, end in periods):
        raise ValueError("the period ends before it starts")
    lo, hi = min(s for s, _ in periods), max(e for _, e in periods)
    program_id, tz = conn.execute(
        select(DimProgram.program_id, DimProgram.time_zone).where(
            DimProgram.program_key == program_key
        )
    ).one()
    clients = roster(conn, program_key, counselor)
    staff = counselors(conn, program_key)
    if counselor is not None:
        staff = staff[staff["staff_key"] == counselor]
    all_days = day_sums(conn, program_key, lo, hi, counselor)
    all_screens = screens_by_day(conn, program_key, lo, hi, counselor)
    all_raised = flags(conn, program_key, lo, hi, counselor, tz)
    reached = reach(conn, program_key, periods, counselor)
    contacted = contacts_by_counselor(conn, program_key, periods, counselor, tz)
    return [
        _figures(
            program_id,
            (start, end),
            counselor,
            clients,
            staff,
            _between(all_days, start, end),
            _between(all_screens, start, end),
            _between(all_raised, start, end),
            clients_of,
            contacts,
        )
        for (start, end), clients_of, contacts in zip(periods, reached, contacted, strict=True)
    ]


def _figures(
    program_id: str,
    period: tuple[dt.date, dt.date],
    counselor: int | None,
    clients: pd.DataFrame,
    staff: pd.DataFrame,
    days: pd.DataFrame,
    screens: pd.DataFrame,
    raised: pd.DataFrame,
    clients_of: dict[tuple[str, str], int],
    contacts: dict[int, int],
) -> dict[str, Any]:
    """One period's figures from what ``period_outcomes`` read (no database here)."""
    start, end = period
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    cohort = clients[clients["admission_date"].between(s, e)]
    adherence = days[["date", "expected", "met"]]
    abstinence = days[["date", "answered_days", "abstinent_days"]].rename(
        columns={"answered_days": "answered", "abstinent_days": "abstinent"}
    )
    expected, met = int(adherence["expected"].sum()), int(adherence["met"].sum())
    answered = int(abstinence["answered"].sum())
    abstinent = int(abstinence["abstinent"].sum())
    adherence_clients = clients_of.get(("adherence", ""), 0)
    abstinence_clients = clients_of.get(("abstinence", ""), 0)
    result: dict[str, Any] = {
        "program_id": program_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "counselor_id": None if counselor is None or staff.empty else staff["staff_id"].iloc[0],
        **census(clients, start, end),
        "retention": retention(cohort, end),
        "cohorts": cohort_table(cohort, end),
        "survival": survival(cohort, end),
        "adherence": {
            "expected": expected,
            "met": met,
            "rate": _rate(met, expected),
            "clients": adherence_clients,
            "small": _small(adherence_clients),
        },
        "abstinence": {
            "answered_days": answered,
            "abstinent_days": abstinent,
            "rate": _rate(abstinent, answered),
            "clients": abstinence_clients,
            "small": _small(abstinence_clients),
        },
        "screens": screen_summary(screens, clients_of),
        "risk_mix": risk_mix(tiers_by_day(days)),
        "weekly": weekly(adherence, abstinence, screens),
        "followup": followup_summary(raised),
        "counselors": [],
    }
    enrolled_end = clients["counselor_key"].to_numpy()[enrolled_on(clients, end).to_numpy()]
    flagged_by = raised["counselor_key"].to_numpy() if len(raised) else np.empty(0)
    hours = raised["hours"].to_numpy(float) if len(raised) else np.empty(0)
    flagged = raised["client_key"].to_numpy() if len(raised) else np.empty(0)
    for row in staff.itertuples():
        caseload = int((enrolled_end == row.staff_key).sum())
        mine = flagged_by == row.staff_key
        summary = _followup(hours[mine], flagged[mine])
        result["counselors"].append(
            {
                "staff_id": row.staff_id,
                "name": f"{row.first_name} {row.last_name}",
                "caseload_end": caseload,
                "contacts": contacts.get(int(row.staff_key), 0),
                "flags": summary["flags"],
                "within_24h": summary["within_24h"],
                "within_24h_rate": summary["within_24h_rate"],
                "median_hours": summary["median_hours"],
                "small": _small(caseload),
            }
        )
    return result


def suppress_small(result: dict[str, Any]) -> dict[str, Any]:
    """The same figures with every block resting on fewer than 11 clients blanked (counts and
    rates become ``None``): what may leave the program."""

    def blank(block: dict[str, Any]) -> dict[str, Any]:
        keep = {"small", "staff_id", "name", "month"}
        return {k: (v if k in keep or not block.get("small") else None) for k, v in block.items()}

    out = dict(result)
    if result["census_small"]:
        for key in ("census_end", "census_avg", "admissions", "discharges"):
            out[key] = None
    out["retention"] = {n: blank(b) for n, b in result["retention"].items()}
    out["adherence"] = blank(result["adherence"])
    out["abstinence"] = blank(result["abstinence"])
    screens = blank(result["screens"])
    screens["by_substance"] = {s: blank(b) for s, b in result["screens"]["by_substance"].items()}
    out["screens"] = screens
    out["followup"] = blank(result["followup"])
    out["counselors"] = [blank(c) for c in result["counselors"]]
    return out
