"""``caseload risk fit`` on a large program: wall time and peak memory of the whole command
(reading, the engine's features, the fit, the holdout figures with their bootstrap).

Data: ``caseload synth`` with one program (20,000 clients over 365 days by default) written
straight into a SQLite warehouse (``benchmarks.risk_data``); only the fit command is timed,
in a child process whose peak resident memory is its own. Goals on the 2-core machine: under
2 minutes and under 2 GiB.

    python -m benchmarks.bench_fit                          # 20,000 x 365
    python -m benchmarks.bench_fit --clients 1000 --days 365
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_ingest import measured
from benchmarks.risk_data import load_synth
from etl.db import make_engine
from etl.models import Base

AS_OF = dt.date(2026, 6, 30)
GOAL_SECONDS = 120
GOAL_PEAK_MIB = 2048


def run(clients: int, days: int, seed: int) -> dict[str, float]:
    from etl.synth import SynthConfig, generate

    with tempfile.TemporaryDirectory(prefix="bench_fit_") as tmp:
        scratch = Path(tmp)
        url = f"sqlite:///{scratch / 'bench.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        out = scratch / "synth"
        generate(
            SynthConfig(
                out=out, clients=clients, days=days, seed=seed, programs=1, as_of=AS_OF, truth=False
            )
        )
        load_synth(engine, out)
        engine.dispose()
        env = dict(os.environ, CASELOAD_RISK_CONFIG_DIR=str(scratch / "config"))
        cmd = [sys.executable, "-m", "etl.cli", "risk", "fit", "--program", "P01"]
        cmd += ["--out", str(scratch / "P01.toml"), "--database-url", url]
        result = measured(cmd, env)
    first = result.output.splitlines()[0] if result.output else ""
    print(f"  {first}")
    return {"fit_seconds": result.seconds, "fit_peak_mib": result.peak_mib}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_fit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"risk fit, sqlite, synth data, {args.clients} clients x {args.days} days", flush=True)
    figures = run(args.clients, args.days, args.seed)
    print(
        f"  fit {figures['fit_seconds']:.1f} s (goal < {GOAL_SECONDS} s), peak "
        f"{figures['fit_peak_mib']:,.0f} MiB (goal < {GOAL_PEAK_MIB} MiB)",
        flush=True,
    )


if __name__ == "__main__":
    main()
