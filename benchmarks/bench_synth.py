"""How fast ``caseload synth`` writes a program, and how that compares with plain CSV writing.

Baseline, measured in the same run: re-writing the generated check-in and truth rows with the
standard ``csv`` module (no simulation at all). The ratio says what the whole simulation and
formatting cost relative to merely writing the same rows the simplest way.

    python -m benchmarks.bench_synth                      # 1,000 clients x 365 days
    python -m benchmarks.bench_synth --clients 100 --days 60
    python -m benchmarks.bench_synth --large 20000        # also 20,000 x 365
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from etl.synth import SynthConfig, generate

AS_OF = dt.date(2026, 11, 27)


def _csv_module_seconds(folder: Path) -> tuple[float, int]:
    """Time to write the check-in and daily-truth rows again with ``csv.writer``."""
    rows = []
    for name in ("checkins.csv", "truth/daily.csv"):
        with open(folder / name, encoding="utf-8", newline="") as stream:
            rows.append(list(csv.reader(stream)))
    with tempfile.TemporaryDirectory(prefix="bench_synth_csv_") as scratch:
        began = time.perf_counter()
        for i, table in enumerate(rows):
            target = Path(scratch) / f"baseline_{i}.csv"
            with open(target, "w", encoding="utf-8", newline="") as stream:
                csv.writer(stream, lineterminator="\n").writerows(table)
        seconds = time.perf_counter() - began
    return seconds, sum(len(t) - 1 for t in rows)


def run(clients: int, days: int, folder: Path, baseline: bool) -> dict[str, float]:
    result = generate(SynthConfig(out=folder, clients=clients, days=days, seed=7, as_of=AS_OF))
    total = sum(result.rows.values())
    figures = {
        "seconds": result.seconds,
        "rows": float(total),
        "rows_per_s": total / result.seconds,
        "checkins": float(result.rows["checkins"]),
        "screens": float(result.rows["drug_screens"]),
        "truth_days": float(result.rows.get("truth_daily", 0)),
        "megabytes": sum(p.stat().st_size for p in folder.rglob("*.csv")) / 1e6,
    }
    if baseline:
        seconds, rows = _csv_module_seconds(folder)
        figures["csv_module_seconds"] = seconds
        figures["csv_module_rows_per_s"] = rows / seconds
    return figures


def _report(label: str, f: dict[str, float]) -> None:
    print(
        f"{label}: {f['seconds']:.2f} s, {f['rows']:,.0f} rows ({f['checkins']:,.0f} check-ins, "
        f"{f['screens']:,.0f} screens, {f['truth_days']:,.0f} truth client-days), "
        f"{f['rows_per_s']:,.0f} rows/s, {f['megabytes']:.0f} MB"
    )
    if "csv_module_seconds" in f:
        print(
            f"  baseline csv.writer, check-in + truth rows only: {f['csv_module_seconds']:.2f} s "
            f"({f['csv_module_rows_per_s']:,.0f} rows/s); whole synth / baseline = "
            f"{f['seconds'] / f['csv_module_seconds']:.2f}x the time"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--large", type=int, default=0, help="also run this many clients")
    parser.add_argument("--out", type=Path, default=None, help="keep the files here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp:
        root = args.out or Path(tmp)
        small = run(args.clients, args.days, root / "main", baseline=True)
        _report(f"synth {args.clients:,} clients x {args.days} days", small)
        if args.large:
            large = run(args.large, args.days, root / "large", baseline=False)
            _report(f"synth {args.large:,} clients x {args.days} days", large)
            print(
                f"  scaling: {args.large / args.clients:.0f}x the clients took "
                f"{large['seconds'] / small['seconds']:.1f}x the time"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
