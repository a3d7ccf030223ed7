"""How long ``caseload`` takes to answer before it does any work.

Each command imports what it needs when it runs, so ``--help`` and small commands must answer
in under 0.5 s. Baseline, measured in the same run: ``python -c pass`` (the interpreter's own
start-up, which no command can beat). Also prints the slowest imports of each command module
(``python -X importtime``), which is where a regression shows first.

    python -m benchmarks.bench_cli            # 7 runs of each
    python -m benchmarks.bench_cli --runs 15
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 0.5
CASES = [
    ["--help"],
    ["--version"],
    ["ingest", "--help"],
    ["synth", "--help"],
    ["score", "--help"],
    ["serve", "--help"],
    ["init-db", "--help"],
    ["users", "--help"],
    ["users", "add", "--help"],
]


def _caseload() -> list[str]:
    script = Path(sys.executable).with_name("caseload")
    return [str(script)] if script.exists() else [sys.executable, "-m", "etl.cli"]


def _seconds(argv: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - began)
    return out


def slowest_imports(module: str, top: int = 3) -> list[tuple[str, float]]:
    """(module, cumulative seconds) of the ``top`` slowest imports below ``module``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].strip(), int(parts[1]) / 1e6))
    rows = [r for r in rows if r[0] != module]
    return sorted(rows, key=lambda r: -r[1])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    base = statistics.median(_seconds([sys.executable, "-c", "pass"], args.runs))
    print(f"python -c pass: median {base:.3f} s (baseline)")
    print(f"{'command':<28}{'median':>9}{'max':>9}{'x baseline':>12}   target < {TARGET_SECONDS} s")
    slow = 0
    for case in CASES:
        times = _seconds([*_caseload(), *case], args.runs)
        med = statistics.median(times)
        slow += med >= TARGET_SECONDS
        flag = "" if med < TARGET_SECONDS else "  SLOW"
        label = "caseload " + " ".join(case)
        print(f"{label:<28}{med:>8.3f}s{max(times):>8.3f}s{med / base:>11.1f}x{flag}")
    from etl.cli import COMMANDS

    print("slowest imports per command module (python -X importtime, cumulative):")
    for module in sorted({target.split(":")[0] for target, _help in COMMANDS.values()}):
        tops = ", ".join(f"{name} {sec:.2f} s" for name, sec in slowest_imports(module))
        print(f"  {module:<22} {tops}")
    print(f"{slow} of {len(CASES)} commands at or over {TARGET_SECONDS} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
