"""FHIR Bulk NDJSON ingest of check-ins against the CSV ingest of the same check-ins.

Generates the ingest benchmark's roster and N check-ins (``bench_ingest.generate``), writes the
same check-ins as QuestionnaireResponse NDJSON by the published contract, then for each
database loads the roster and times ``caseload ingest`` of the CSV file into one fresh
warehouse and of the NDJSON file into another, in child processes. Prints both load times,
the ratio NDJSON / CSV and the NDJSON load's peak memory. Every resource is validated against
its ``fhir.resources`` R4B model, which is where most of the NDJSON time goes.

    python -m benchmarks.bench_ingest_fhir --rows 1000000        # the goal's size
    python -m benchmarks.bench_ingest_fhir --rows 20000 --backends sqlite   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.bench_ingest import OUT, _fresh_sqlite, _migrate, _PgDatabase, generate
from etl.fhir import contract as c

GOAL_RATIO = 3.0
GOAL_PEAK_MIB = 1024
_INT = ("craving", "stress", "mood", "sleep_quality")


def to_ndjson(checkins_csv: Path, out: Path) -> Path:
    """The check-in CSV as QuestionnaireResponses, one per line (reused once written)."""
    if out.exists():
        return out
    url = f"{c.QUESTIONNAIRES['daily-checkin']}|1.0.0"
    partial = out.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as fh:
        for frame in pd.read_csv(checkins_csv, dtype=str, keep_default_na=False, chunksize=50_000):
            for row in frame.itertuples(index=False):
                items = []
                for name in _INT:
                    if getattr(row, name):
                        items.append(
                            {"linkId": name, "answer": [{"valueInteger": int(getattr(row, name))}]}
                        )
                if row.sleep_hours:
                    items.append(
                        {
                            "linkId": "sleep_hours",
                            "answer": [{"valueDecimal": float(row.sleep_hours)}],
                        }
                    )
                for name in ("used_since_last", "support_contact"):
                    value = getattr(row, name)
                    if value:
                        items.append({"linkId": name, "answer": [{"valueBoolean": value == "yes"}]})
                if row.triggers:
                    items.append(
                        {
                            "linkId": "triggers",
                            "answer": [
                                {"valueCoding": {"system": c.TRIGGER_SYSTEM, "code": t}}
                                for t in row.triggers.split(";")
                            ],
                        }
                    )
                for name in ("coping", "note"):
                    if getattr(row, name):
                        items.append(
                            {"linkId": name, "answer": [{"valueString": getattr(row, name)}]}
                        )
                resource = {
                    "resourceType": "QuestionnaireResponse",
                    "id": row.checkin_id,
                    "questionnaire": url,
                    "status": "completed",
                    "subject": {"identifier": {"system": c.CLIENT_SYSTEM, "value": row.client_id}},
                    "authored": row.submitted_at + "Z",  # FHIR: a time needs its offset
                    "item": items,
                }
                fh.write(json.dumps(resource, separators=(",", ":")))
                fh.write("\n")
    partial.replace(out)
    return out


_PROBE = (
    "import resource,subprocess,sys,time,json;"
    "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
    "d=time.perf_counter()-t;u=resource.getrusage(resource.RUSAGE_CHILDREN);"
    "print(json.dumps({'rc':p.returncode,'s':d,'kib':u.ru_maxrss,'cpu':u.ru_utime+u.ru_stime,"
    "'out':p.stdout,'err':p.stderr}))"
)


def _ingest(url: str, files: list[Path], env: dict[str, str]) -> dict:
    """``caseload ingest`` in a child: its report, peak memory and CPU seconds. CPU time is
    kept beside the wall time because a shared machine's load stretches the wall time only."""
    cmd = [
        sys.executable,
        "-m",
        "etl.cli",
        "ingest",
        *map(str, files),
        "--json",
        "--no-refresh",
        "--database-url",
        url,
    ]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *cmd], capture_output=True, text=True, env=env, check=True
    )
    info = json.loads(done.stdout)
    if info["rc"] != 0:
        raise RuntimeError(f"ingest failed ({info['rc']}): {info['err'][-2000:]}")
    return {"report": json.loads(info["out"]), "peak_mib": info["kib"] / 1024, "cpu_s": info["cpu"]}


def _load(url: str, paths: dict[str, Path], facts: Path, env: dict[str, str]) -> dict:
    _migrate(url)
    _ingest(url, [paths["programs"], paths["staff"], paths["clients"]], env)
    run = _ingest(url, [facts], env)
    (f,) = run["report"]["files"]
    return {"seconds": f["seconds"], "peak_mib": run["peak_mib"], "cpu_s": run["cpu_s"], "file": f}


def bench_backend(name: str, urls, paths: dict[str, Path], ndjson: Path, rows: int, env) -> dict:
    with urls() as csv_url:
        csv = _load(csv_url, paths, paths["checkins"], env)
    with urls() as fhir_url:
        fhir = _load(fhir_url, paths, ndjson, env)
    for label, got in (("csv", csv), ("ndjson", fhir)):
        if got["file"]["status"] != "loaded" or got["file"]["inserted"] != rows:
            raise RuntimeError(f"{name}: {label} load did not insert every row: {got['file']}")
    return {
        "backend": name,
        "rows": rows,
        "csv_s": csv["seconds"],
        "ndjson_s": fhir["seconds"],
        "ndjson_rows_per_s": rows / fhir["seconds"],
        "ratio": fhir["seconds"] / csv["seconds"],
        "csv_cpu_s": csv["cpu_s"],
        "ndjson_cpu_s": fhir["cpu_s"],
        "cpu_ratio": fhir["cpu_s"] / csv["cpu_s"],
        "ndjson_peak_mib": fhir["peak_mib"],
        "csv_peak_mib": csv["peak_mib"],
    }


def _print(results: list[dict]) -> None:
    print(
        f"{'backend':<11}{'rows':>10}{'csv s':>9}{'ndjson s':>10}{'ndjson rows/s':>15}"
        f"{'ratio':>7}{'peak MiB':>10}{'csv cpu':>9}{'ndjson cpu':>12}{'cpu ratio':>11}"
    )
    for r in results:
        print(
            f"{r['backend']:<11}{r['rows']:>10,}{r['csv_s']:>9.2f}{r['ndjson_s']:>10.2f}"
            f"{r['ndjson_rows_per_s']:>15,.0f}{r['ratio']:>7.2f}{r['ndjson_peak_mib']:>10.0f}"
            f"{r['csv_cpu_s']:>9.2f}{r['ndjson_cpu_s']:>12.2f}{r['cpu_ratio']:>11.2f}"
        )
    print(
        f"goal: ratio <= {GOAL_RATIO} and NDJSON peak < {GOAL_PEAK_MIB} MiB. 'csv s' and "
        "'ndjson s' are the file loads as the ingest records them (wall); the cpu columns are "
        "the whole commands' CPU seconds, which a busy machine does not stretch."
    )
    for r in results:
        met = r["ratio"] <= GOAL_RATIO and r["ndjson_peak_mib"] < GOAL_PEAK_MIB
        print(
            f"  {r['backend']}: {'met' if met else 'NOT met'} "
            f"(ratio {r['ratio']:.2f}, peak {r['ndjson_peak_mib']:.0f} MiB)"
        )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_ingest_fhir", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CASELOAD_BENCH_POSTGRES_URL")
        or os.environ.get("CASELOAD_TEST_POSTGRES_URL"),
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    clients = args.clients or max(50, args.rows // 200)
    began = time.perf_counter()
    paths = generate(args.out, args.rows, clients)
    ndjson = to_ndjson(paths["checkins"], paths["checkins"].with_suffix(".ndjson"))
    print(
        f"data: {args.rows:,} check-ins of {clients:,} clients, NDJSON "
        f"{ndjson.stat().st_size / 2**20:.0f} MiB, ready in {time.perf_counter() - began:.1f}s"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    )
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="caseload-bench-fhir-") as tmp:
        work = Path(tmp)
        if "sqlite" in backends:

            class _Sqlite:
                def __enter__(self) -> str:
                    return _fresh_sqlite(work)

                def __exit__(self, *exc) -> None:
                    pass

            results.append(bench_backend("sqlite", _Sqlite, paths, ndjson, args.rows, env))
        if "postgresql" in backends:
            if not args.pg_url:
                print("postgresql: skipped (give --pg-url)")
            else:
                results.append(
                    bench_backend(
                        "postgresql",
                        lambda: _PgDatabase(args.pg_url),
                        paths,
                        ndjson,
                        args.rows,
                        env,
                    )
                )
    _print(results)
    if args.json:
        print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
