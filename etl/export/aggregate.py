"""The aggregate report: program-outcome figures by program, counselor and period.

Every figure comes from ``dashboard.read.outcomes.program_outcomes`` (the page and
``caseload outcomes`` read the same numbers); this module only slices the period, picks the
figures that may leave the program and lays them out one row per (program, counselor, period),
with the program's own row (counselor ``All``) beside its counselors'. Counselors get random
labels drawn with ``secrets`` for each export, never derived from staff ids or names, in an
order that says nothing about them.

Small cells (``suppression``): counts of clients below 11 are suppressed, then the
complementary cells a subtraction would need. Rates are published without their numerators
or denominators, so only their own client base decides (a rate resting on fewer than 11
clients is suppressed). Callers pass program keys they resolved against the caller's access.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select

from etl.export.suppression import Cell, suppress
from etl.models import DimClient, DimProgram, FctClientDay
from etl.vocabulary import HIGH_TIERS

SMALL_N = 11
ALL = "All"
SUPPRESSED = "*"
KEYS = ("program", "counselor", "period", "period_start", "period_end")
# Counts of clients: primary and complementary suppression. Columns summing over counselors.
COUNTS = ("census_end", "admissions", "discharges")
# Rates (0-1) and a median, each with the name of the client base that decides suppression.
RATES: dict[str, str] = {
    "retention_30": "retention_30",
    "retention_60": "retention_60",
    "retention_90": "retention_90",
    "adherence": "adherence",
    "abstinence": "abstinence",
    "screens_negative": "screens",
    "high_risk_share": "adherence",
    "followup_24h": "followup",
    "followup_median_hours": "followup",
}
COLUMN_DOCS: dict[str, str] = {
    "program": "Program code",
    "counselor": "All = the whole program; otherwise a random label drawn for this export "
    "(not derived from staff ids; labels differ between exports)",
    "period": "Calendar month (YYYY-MM) or ISO week (YYYY-Www)",
    "period_start": "First day of the period covered (program calendar, not a client date)",
    "period_end": "Last day of the period covered",
    "census_end": "Clients enrolled on the period's last day",
    "admissions": "Clients admitted in the period",
    "discharges": "Clients discharged in the period",
    "retention_30": "Share of the period's admissions still enrolled 30 days after admission "
    "(those 30 days old by the period end)",
    "retention_60": "The same at 60 days",
    "retention_90": "The same at 90 days",
    "adherence": "Share of settled expected check-ins that were met",
    "abstinence": "Share of answered client-days with no reported use",
    "screens_negative": "Share of drug screens collected that were negative",
    "high_risk_share": "Share of scored client-days in the high or critical tier",
    "followup_24h": "Share of new high-risk flags with a contact attempt within 24 hours",
    "followup_median_hours": "Median hours from a new high-risk flag to the first contact attempt",
}
COLUMNS: tuple[str, ...] = tuple(COLUMN_DOCS)
SUPPRESSION_DOC = (
    f"{SUPPRESSED} = suppressed: a count of 1 to 10 clients, a rate resting on fewer than 11 "
    "clients, or a cell that would let a suppressed one be recovered by subtraction "
    "(complementary suppression). Empty = no data for the period."
)


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date


def periods(start: dt.date, end: dt.date, grain: str) -> list[Period]:
    """Whole calendar months (``month``) or ISO weeks (``week``) from the one holding
    ``start`` on, the last one ending on ``end``. Periods always begin on the calendar's own
    boundary: a period starting on the first day of the data would print the earliest
    admission date."""
    if grain not in ("month", "week"):
        raise ValueError(f"aggregate grain must be month or week, not {grain!r}")
    out = []
    day = start.replace(day=1) if grain == "month" else start - dt.timedelta(days=start.weekday())
    while day <= end:
        if grain == "month":
            nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            label = f"{day.year:04d}-{day.month:02d}"
        else:
            nxt = day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=7)
            iso = day.isocalendar()
            label = f"{iso.year:04d}-W{iso.week:02d}"
        last = min(nxt - dt.timedelta(days=1), end)
        out.append(Period(label, day, last))
        day = nxt
    return out


def default_range(conn: Connection, program_keys: Iterable[int]) -> tuple[dt.date, dt.date]:
    """The client-days held for these programs, at most the last twelve calendar months."""
    keys = list(program_keys)
    first, latest = conn.execute(
        select(func.min(FctClientDay.date), func.max(FctClientDay.date))
        .join(DimClient, DimClient.client_key == FctClientDay.client_key)
        .where(DimClient.program_key.in_(keys))
    ).one()
    end = pd.Timestamp(latest).date() if latest is not None else dt.date.today()
    start = (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    if first is not None:
        start = max(start, pd.Timestamp(first).date().replace(day=1))
    return start, end


def counselor_labels(staff_keys: Iterable[int]) -> dict[int, str]:
    """Random labels: ``secrets`` shuffles the order, so label order is not staff order."""
    keys = list(staff_keys)
    secrets.SystemRandom().shuffle(keys)
    width = max(2, len(str(len(keys))))
    return {k: f"Counselor {n:0{width}d}" for n, k in enumerate(keys, 1)}


def _high_share(risk_mix: list[dict]) -> float | None:
    days = sum(w["scored_days"] for w in risk_mix)
    if not days:
        return None
    high = sum(w["scored_days"] * sum(w[t] for t in HIGH_TIERS) for w in risk_mix)
    return high / days


def figures(result: dict) -> tuple[dict, dict]:
    """The exportable values of one ``program_outcomes`` result and the client base of each."""
    ret = result["retention"]
    values = {
        "census_end": result["census_end"],
        "admissions": result["admissions"],
        "discharges": result["discharges"],
        **{f"retention_{n}": ret[str(n)]["rate"] for n in (30, 60, 90)},
        "adherence": result["adherence"]["rate"],
        "abstinence": result["abstinence"]["rate"],
        "screens_negative": result["screens"]["negative_rate"],
        "high_risk_share": _high_share(result["risk_mix"]),
        "followup_24h": result["followup"]["within_24h_rate"],
        "followup_median_hours": result["followup"]["median_hours"],
    }
    bases = {
        **{f"retention_{n}": ret[str(n)]["eligible"] for n in (30, 60, 90)},
        "adherence": result["adherence"]["clients"],
        "abstinence": result["abstinence"]["clients"],
        "screens": result["screens"]["clients"],
        "followup": result["followup"]["clients"],
    }
    for name in RATES:
        if values[name] is not None:
            values[name] = round(float(values[name]), 4)
    return values, bases


@dataclass
class Report:
    table: pd.DataFrame  # COLUMNS, suppressed cells as "*"
    cells: int  # published count and rate cells
    suppressed_primary: int
    suppressed_complementary: int
    smallest_cell: int | None  # fewest clients behind any published cell (the report's "k")
    programs: list[str]
    counselors: int

    @property
    def suppressed(self) -> int:
        return self.suppressed_primary + self.suppressed_complementary


Progress = Callable[[int, int], None]


def build(
    conn: Connection,
    program_keys: Iterable[int],
    start: dt.date,
    end: dt.date,
    grain: str = "month",
    progress: Progress | None = None,
) -> Report:
    """Compute, lay out and suppress. ``program_keys`` must already be access-checked."""
    from dashboard.read import outcomes

    keys = sorted(set(int(k) for k in program_keys))
    slices = periods(start, end, grain)
    ids = dict(
        conn.execute(
            select(DimProgram.program_key, DimProgram.program_id).where(
                DimProgram.program_key.in_(keys)
            )
        ).all()
    )
    rows: list[dict] = []
    bases: list[dict] = []
    n_counselors = 0
    work = [(pk, outcomes.counselors(conn, pk)) for pk in keys]
    total = sum(len(slices) * (1 + len(staff)) for _, staff in work)
    done = 0
    for pk, staff in work:
        labels = counselor_labels(staff["staff_key"].astype(int))
        n_counselors += len(labels)
        who: list[tuple[str, int | None]] = [(ALL, None)]
        who += sorted(((lab, key) for key, lab in labels.items()), key=lambda t: t[0])
        for period in slices:
            for label, staff_key in who:
                result = outcomes.program_outcomes(conn, pk, period.start, period.end, staff_key)
                values, base = figures(result)
                rows.append(
                    {
                        "program": ids[pk],
                        "counselor": label,
                        "period": period.label,
                        "period_start": period.start.isoformat(),
                        "period_end": period.end.isoformat(),
                        **values,
                    }
                )
                bases.append(base)
                done += 1
                if progress:
                    progress(done, total)
    return _suppressed(rows, bases, [ids[k] for k in keys], n_counselors)


def _cells(rows: list[dict], bases: list[dict]) -> list[Cell]:
    cells = []
    for i, (row, base) in enumerate(zip(rows, bases, strict=True)):
        for col in COUNTS:
            if row[col] is not None:
                cells.append(Cell((i, col), int(row[col]), counts=True))
        for col, base_name in RATES.items():
            if row[col] is not None:
                cells.append(Cell((i, col), int(base[base_name] or 0), counts=False))
    return cells


def groups(rows: list[dict]) -> list[list[tuple[int, str]]]:
    """The sets of count cells tied by an addition a reader could do.

    Per program, period and count: the program row and its counselors' rows (the program's
    clients are its counselors' clients; anyone without a counselor is a remainder the reader
    is assumed to know). Per row: admissions and discharges (with two published censuses they
    differ by a known amount)."""
    by_total: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        by_total.setdefault((row["program"], row["period"]), []).append(i)
    out = []
    for members in by_total.values():
        for col in COUNTS:
            out.append([(i, col) for i in members])
    out += [[(i, "admissions"), (i, "discharges")] for i in range(len(rows))]
    return out


def _suppressed(rows: list[dict], bases: list[dict], programs: list[str], n: int) -> Report:
    cells = _cells(rows, bases)
    result = suppress(cells, groups(rows), threshold=SMALL_N)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table = table.astype(object)
    for i, col in result.primary | result.complementary:
        table.at[i, col] = SUPPRESSED
    published = [c for c in cells if c.key not in result.primary | result.complementary]
    sizes = [c.clients for c in published if c.clients > 0]
    return Report(
        table=table,
        cells=len(cells),
        suppressed_primary=len(result.primary),
        suppressed_complementary=len(result.complementary),
        smallest_cell=min(sizes) if sizes else None,
        programs=programs,
        counselors=n,
    )
