"""How well the stored scores predicted lapses, next to simple baselines (``evaluate-risk``).

For every scored client-day D whose horizon is fully in the data (D + horizon <= the last
scored day), the label is whether a lapse followed: self-reported use or a positive screen on
any day in (D, D + horizon]. The score is judged as a ranking (AUROC, PR-AUC), as a morning
list (precision among each counselor's top k per day: the alert budget) and as tiers (the
observed lapse rate per tier: calibration). The same figures are computed in the same run for
baselines a program could use without any model, and, on synthetic data, for the simulator's
own latent risk (the ceiling no score built from the files can beat).

Labels come from what the program recorded: a lapse never disclosed and never screened is
invisible, and a client who stops checking in has no reported lapses. On real data the figures
are therefore optimistic about silence; docs/risk-rules.md says how to read them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score
from sqlalchemy import Engine, Text, cast, select

from etl.models import DimClient, FctClientDay, FctDrugScreen, FctRiskScore
from etl.risk.rules import RULE_CODES
from etl.vocabulary import TIERS

AGE_BANDS = (
    (0, 25, "<25"),
    (25, 35, "25-34"),
    (35, 45, "35-44"),
    (45, 55, "45-54"),
    (55, 200, "55+"),
)


def load_scored_days(
    engine: Engine, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Scored client-days with what labels and baselines need, sorted by client and date."""
    stmt = (
        select(
            FctRiskScore.client_key,
            FctRiskScore.date,
            FctRiskScore.score,
            FctRiskScore.tier,
            # As stored text: a substring test per code, no JSON parsing of every row.
            cast(FctRiskScore.reasons, Text).label("reasons"),
            FctClientDay.craving,
            FctClientDay.days_since_checkin,
            FctClientDay.days_since_use,
            FctClientDay.used_reported,
            FctClientDay.screen_positive,
            FctClientDay.is_received,
            DimClient.client_id,
            DimClient.counselor_key,
            DimClient.program_key,
            DimClient.sex,
            DimClient.birth_year,
        )
        .join(
            FctClientDay,
            (FctClientDay.client_key == FctRiskScore.client_key)
            & (FctClientDay.date == FctRiskScore.date),
        )
        .join(DimClient, DimClient.client_key == FctRiskScore.client_key)
        .order_by(FctRiskScore.client_key, FctRiskScore.date)
    )
    if start:
        stmt = stmt.where(FctRiskScore.date >= start)
    if end:
        stmt = stmt.where(FctRiskScore.date <= end)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=list(stmt.selected_columns.keys()))
    frame["date"] = pd.to_datetime(frame["date"])
    frame["observed"] = frame["is_received"].astype(bool)
    if len(frame):
        screened = _screen_days(engine, frame["client_key"].min(), frame["date"].min())
        keys = pd.MultiIndex.from_frame(frame[["client_key", "date"]])
        frame["observed"] |= keys.isin(screened)
    return frame


def _screen_days(engine: Engine, _min_key, start) -> pd.MultiIndex:
    """(client_key, date) of every drug screen: a screen observes the day as a check-in does."""
    stmt = select(FctDrugScreen.client_key, FctDrugScreen.local_date).where(
        FctDrugScreen.local_date >= start.date()
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["client_key", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    return pd.MultiIndex.from_frame(frame)


def _ahead(values: np.ndarray, client: np.ndarray, horizon: int) -> np.ndarray:
    """Per row, the sum of ``values`` over the client's next ``horizon`` rows (days)."""
    n = len(values)
    if not n:
        return np.zeros(0)
    csum = np.concatenate([[0], np.cumsum(values)])
    last_row = np.r_[np.flatnonzero(client[1:] != client[:-1]), n - 1]
    group_end = np.repeat(last_row, np.diff(np.r_[-1, last_row]))
    idx = np.arange(n)
    end = np.minimum(idx + horizon, group_end)
    return csum[end + 1] - csum[idx + 1]


def lapse_labels(frame: pd.DataFrame, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(label, eligible) per row: a lapse in the next ``horizon`` days, and whether that can
    be known: the horizon lies within the data and holds at least one check-in or screen.

    Rows are one per client per consecutive day. A client-day followed by total silence has
    no label (a lapse then would be unseen): counting it as "no lapse" would reward a score
    for ignoring disengagement, so it is left out and counted apart as ``unobserved``.
    """
    n = len(frame)
    client = frame["client_key"].to_numpy()
    lapse = frame["used_reported"].astype(bool) | frame["screen_positive"].astype(bool)
    label = _ahead(lapse.to_numpy(dtype=np.int64), client, horizon) > 0
    seen = frame["observed"].to_numpy(dtype=np.int64) if "observed" in frame else np.ones(n)
    observed = _ahead(seen, client, horizon) > 0
    if not n:
        return label, observed
    last_day = frame["date"].max()
    complete = (frame["date"] + pd.Timedelta(days=horizon) <= last_day).to_numpy()
    return label, complete & observed


def precision_at_k(frame: pd.DataFrame, score: np.ndarray, label: np.ndarray, k: int):
    """Share of lapses among each counselor's top ``k`` clients per day (ties by client key),
    and the share of all lapses those lists caught."""
    order = np.lexsort(
        (
            frame["client_key"].to_numpy(),
            -score,
            frame["date"].to_numpy(),
            frame["counselor_key"].fillna(-1).to_numpy(),
        )
    )
    grp = frame["counselor_key"].fillna(-1).to_numpy()[order].astype(np.int64) * 100_000 + (
        frame["date"].to_numpy()[order].astype("datetime64[D]").astype(np.int64)
    )
    starts = np.r_[True, grp[1:] != grp[:-1]]
    group_id = np.cumsum(starts) - 1
    first_pos = np.flatnonzero(starts)
    rank = np.arange(len(order)) - first_pos[group_id]
    top = rank < k
    picked = label[order][top]
    precision = float(picked.mean()) if len(picked) else float("nan")
    recall = float(picked.sum() / label.sum()) if label.sum() else float("nan")
    return precision, recall


def _scores(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    if y.all() or not y.any():
        return float("nan"), float("nan")
    return float(roc_auc_score(y, s)), float(average_precision_score(y, s))


def baselines(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Rankings a program could use without the score, for comparison."""
    craving = frame.groupby("client_key")["craving"].ffill().fillna(0).to_numpy(np.float64)
    silent = frame["days_since_checkin"].fillna(999).to_numpy(np.float64)
    since_use = frame["days_since_use"].fillna(9999).to_numpy(np.float64)
    return {
        "craving_today": craving,
        "days_since_checkin": silent,
        "recent_use": -since_use,
    }


def evaluate(
    engine: Engine,
    *,
    horizon: int = 7,
    k: int = 5,
    truth_dir: Path | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    frame = load_scored_days(engine, start, end)
    label, eligible = lapse_labels(frame, horizon)
    last_day = frame["date"].max() if len(frame) else None
    complete = (frame["date"] + pd.Timedelta(days=horizon) <= last_day) if len(frame) else []
    unobserved = int((np.asarray(complete, dtype=bool) & ~eligible).sum())
    data = frame[eligible].reset_index(drop=True)
    y = label[eligible]
    score = data["score"].to_numpy(np.float64)
    auroc, pr_auc = _scores(y, score)
    prec, recall = precision_at_k(data, score, y, k)
    result: dict[str, Any] = {
        "auroc": auroc,
        "pr_auc": pr_auc,
        "precision_at_k": prec,
        "recall_at_k": recall,
        "k": k,
        "horizon_days": horizon,
        "n": int(len(y)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
        "unobserved": unobserved,
        "from": data["date"].min().date().isoformat() if len(data) else None,
        "to": data["date"].max().date().isoformat() if len(data) else None,
    }
    result["baselines"] = {}
    for name, values in baselines(data).items():
        b_auroc, b_pr = _scores(y, values)
        b_prec, b_recall = precision_at_k(data, values, y, k)
        result["baselines"][name] = {
            "auroc": b_auroc,
            "pr_auc": b_pr,
            "precision_at_k": b_prec,
            "recall_at_k": b_recall,
        }
    result["tiers"] = {}
    for tier in TIERS:
        sel = (data["tier"] == tier).to_numpy()
        result["tiers"][tier] = {
            "n": int(sel.sum()),
            "positives": int(y[sel].sum()),
            "lapse_rate": float(y[sel].mean()) if sel.any() else None,
        }
    result["rules"] = _rules(data, y)
    result["groups"] = _groups(data, y, score)
    if truth_dir is not None:
        result["ceiling"] = _ceiling(data, y, Path(truth_dir))
    return result


def _rules(data: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """Per reason code: the client-days it was given on and the lapse rate that followed."""
    text = data["reasons"].fillna("").astype(str).str.replace(" ", "", regex=False)
    out: dict[str, Any] = {}
    for code in RULE_CODES:
        sel = text.str.contains(f'"code":"{code}"', regex=False).to_numpy()
        out[code] = {
            "n": int(sel.sum()),
            "positives": int(y[sel].sum()),
            "lapse_rate": float(y[sel].mean()) if sel.any() else None,
        }
    return out


def _groups(data: pd.DataFrame, y: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    """AUROC by sex, age band and program, so a worse score for some clients is visible."""
    age = data["date"].dt.year - data["birth_year"].astype("float64")
    band = pd.Series(np.full(len(data), "unknown", dtype=object))
    for lo, hi, name in AGE_BANDS:
        band[((age >= lo) & (age < hi)).to_numpy()] = name
    out: dict[str, Any] = {}
    for key, values in (
        ("sex", data["sex"].fillna("unknown").astype(str).to_numpy()),
        ("age_band", band.to_numpy()),
        ("program_key", data["program_key"].astype(str).to_numpy()),
    ):
        out[key] = {}
        for value in sorted(set(values)):
            sel = values == value
            a, _ = _scores(y[sel], score[sel])
            out[key][str(value)] = {"n": int(sel.sum()), "positives": int(y[sel].sum()), "auroc": a}
    return out


def _ceiling(data: pd.DataFrame, y: np.ndarray, truth_dir: Path) -> dict[str, Any]:
    """AUROC of the simulator's latent risk on the same client-days and labels."""
    path = truth_dir / "daily.csv"
    if not path.exists():
        path = truth_dir / "truth" / "daily.csv"
    if not path.exists():
        path = path.with_suffix(".csv.gz")
    truth = pd.read_csv(path, usecols=["client_id", "date", "latent_risk"])
    truth["date"] = pd.to_datetime(truth["date"])
    merged = data[["client_id", "date"]].merge(truth, on=["client_id", "date"], how="left")
    have = merged["latent_risk"].notna().to_numpy()
    a, p = _scores(y[have], merged["latent_risk"].to_numpy()[have])
    return {"auroc": a, "pr_auc": p, "n": int(have.sum())}


def _ranking(data: pd.DataFrame, y: np.ndarray, score: np.ndarray, k: int) -> dict[str, Any]:
    auroc, pr_auc = _scores(y, score)
    prec, recall = precision_at_k(data, score, y, k)
    return {"auroc": auroc, "pr_auc": pr_auc, "precision_at_k": prec, "recall_at_k": recall}


def _with_fresh_form(engine: Engine, data: pd.DataFrame, max_age: int) -> np.ndarray:
    """Per row, whether the client had a BAM form in the ``max_age`` days up to that day."""
    from etl.models import FctBam

    with engine.connect() as conn:
        rows = conn.execute(select(FctBam.client_key, FctBam.local_date)).all()
    forms = pd.DataFrame(rows, columns=["client_key", "form_date"])
    if forms.empty or data.empty:
        return np.zeros(len(data), dtype=bool)
    forms["form_date"] = pd.to_datetime(forms["form_date"]).astype("datetime64[ns]")
    forms["client_key"] = forms["client_key"].astype(np.int64)
    left = data[["client_key", "date"]].assign(row=np.arange(len(data)))
    left = left.astype({"date": "datetime64[ns]", "client_key": np.int64}).sort_values("date")
    merged = pd.merge_asof(
        left,
        forms.sort_values("form_date"),
        left_on="date",
        right_on="form_date",
        by="client_key",
        direction="backward",
        tolerance=pd.Timedelta(days=max_age),
    ).sort_values("row")
    return merged["form_date"].notna().to_numpy()


def compare_bam(
    engine: Engine,
    *,
    horizon: int = 7,
    k: int = 5,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    """The same client-days and labels ranked with the BAM rule off and on (both recomputed,
    whatever the stored scores used), overall and on the days a client had a recent form."""
    from etl.risk.config import load_config
    from etl.risk.whatif import rescored, with_bam

    frame = load_scored_days(engine, start, end)
    label, eligible = lapse_labels(frame, horizon)
    data = frame[eligible].reset_index(drop=True)
    y = label[eligible]
    keys = ["client_key", "date"]
    scores = {}
    for name, enabled in (("off", False), ("on", True)):
        s = rescored(engine, with_bam(enabled)).rename(columns={"score": name})
        data = data.merge(s, on=keys, how="left")
        scores[name] = data[name].fillna(0).to_numpy(np.float64)
    max_age = load_config().bam.max_age_days
    fresh = _with_fresh_form(engine, data, max_age)
    result: dict[str, Any] = {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "changed_days": int((scores["on"] != scores["off"]).sum()),
        "off": _ranking(data, y, scores["off"], k),
        "on": _ranking(data, y, scores["on"], k),
        "with_form": {
            "n": int(fresh.sum()),
            "positives": int(y[fresh].sum()),
            "max_age_days": max_age,
        },
    }
    for name in ("off", "on"):
        a, p = _scores(y[fresh], scores[name][fresh])
        result["with_form"][name] = {"auroc": a, "pr_auc": p}
    return result
