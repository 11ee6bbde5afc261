"""Whole-process benchmark of `planner sweep`: cases per minute, pool vs serial, reuse or not.

A 24-case sweep of the default model (carbon price 6 values x 2025 intelligent share
4 values) runs as a fresh `planner sweep` process into an empty folder, in four ways:
serial (``--workers 1``, in the client process) and a pool of 2 worker processes, each
with and without reuse (``--no-reuse``: every case loads its inputs, builds its model and
compiles it afresh; with reuse a worker keeps them and sets each case's numbers on the
last case's model and HiGHS instance)::

    python benchmarks/bench_sweep.py                 # 2 representative days, 1 run each
    python benchmarks/bench_sweep.py --days 8 --runs 3

Reports the median wall time, cases per minute, the speed-up over serial without reuse,
and the median per-case stage timings (load = inputs, build, solve) from the cases'
summary.json files. Printed as a Markdown table; saved to benchmarks/results/sweep.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "national_2025.yaml"
RESULTS = ROOT / "benchmarks" / "results"
VARY = [
    "--vary",
    "carbon_price_cny_per_tco2=0,50,100,200,400,800",
    "--vary",
    "target.intelligent_share.2025=0.35,0.4,0.45,0.5",
]
CONFIGS = {  # label -> extra arguments
    "serial, rebuild per case": ["--workers", "1", "--no-reuse"],
    "serial, reuse model": ["--workers", "1"],
    "pool 2, rebuild per case": ["--workers", "2", "--no-reuse"],
    "pool 2, reuse model": ["--workers", "2"],
}


def _command() -> list[str]:
    """`planner sweep` through the CLI group once registered, else the command directly."""
    probe = subprocess.run(
        [sys.executable, "-m", "planner.cli", "sweep", "--help"], capture_output=True, cwd=ROOT
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "planner.cli", "sweep"]
    launcher = "from planner.sweep_cli import sweep_command; sweep_command(prog_name='sweep')"
    return [sys.executable, "-c", launcher]


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: some cases failed (counted in the table)
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return wall


def _stages(out: Path) -> dict[str, float]:
    """Median per-case stage timings, and the number of failed cases (first reason shown)."""
    rows = [json.loads(p.read_text())["timings_s"] for p in out.glob("cases/*/summary.json")]
    keys = ("load", "build", "solve", "duals_and_extract", "write")
    stages = {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys if rows}
    records = [json.loads(p.read_text()) for p in out.glob("cases/*/case.json")]
    failed = [r for r in records if r["state"] != "done"]
    if failed:
        print(f"  {len(failed)} failed, e.g.: {failed[0]['reason'][:300]}", file=sys.stderr)
    return {**stages, "failed": float(len(failed))}


def bench(days: int, runs: int) -> list[dict]:
    cmd = _command()
    rows = []
    for label, extra in CONFIGS.items():
        walls, stages = [], []
        for i in range(runs):
            work = Path(tempfile.mkdtemp(prefix="planner-bench-sweep-"))
            try:
                out = work / "sweep"
                args = [str(MODEL), *VARY, "--set", f"time.representative_days={days}"]
                wall = _run([*cmd, *args, *extra, "--out", str(out)])
                stages.append(_stages(out))
            finally:
                shutil.rmtree(work, ignore_errors=True)
            walls.append(wall)
            print(f"  {label} run {i + 1}/{runs}: {wall:.1f} s", file=sys.stderr)
        wall = statistics.median(walls)
        rows.append(
            {
                "config": label,
                "runs": runs,
                "wall_s_median": wall,
                "cases_per_min": 24 / wall * 60,
                **{
                    ("failed_cases" if k == "failed" else f"case_{k}_s"): statistics.median(
                        s[k] for s in stages
                    )
                    for k in stages[0]
                },
                "wall_s_all": walls,
            }
        )
    base = rows[0]["cases_per_min"]
    serial_reuse = rows[1]["cases_per_min"]
    for r in rows:
        r["speedup_vs_serial_rebuild"] = r["cases_per_min"] / base
        r["speedup_vs_serial_reuse"] = r["cases_per_min"] / serial_reuse
    return rows


def _markdown(rows: list[dict], cols: list[str]) -> str:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [f"{r[c]:.3g}" if isinstance(r.get(c), float) else str(r.get(c)) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2, help="representative days per case")
    parser.add_argument("--runs", type=int, default=1, help="runs of each configuration")
    args = parser.parse_args()
    rows = bench(args.days, args.runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sweep.json").write_text(json.dumps(rows, indent=2))
    print(
        f"24-case sweep of {MODEL.name}, {args.days} representative days, "
        f"median of {args.runs} run(s), {os.cpu_count()} CPUs\n"
    )
    cols = [c for c in rows[0] if c not in ("wall_s_all", "runs")]
    print(_markdown(rows, cols))


if __name__ == "__main__":
    main()
