"""Whole-process benchmarks of `planner plan` / `planner solve` (not timed tests).

Each measurement runs the real command in a fresh process, several times, and reports
medians of wall time and peak resident memory (from ``os.wait4``'s rusage of that one
child), plus the stage timings the run writes to its summary.json::

    python benchmarks/bench_plan.py plan          # the default national model, end to end
    python benchmarks/bench_plan.py full          # the same model at 8760 hours
    python benchmarks/bench_plan.py days          # representative-day accuracy study

Results are printed as Markdown tables and saved under benchmarks/results/.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "national_2025.yaml"
RESULTS = ROOT / "benchmarks" / "results"
PLANNER = [sys.executable, "-m", "planner.cli"]


def measure(cmd: list[str], cwd: Path, ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MiB) of that process alone.

    ``ok_codes``: exit codes that still count as a measurement (the full-year run may
    stop at its time limit without a plan, exit 1, and still report its stage times).
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in ok_codes:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def bench(cmd_args: list[str], runs: int, label: str, ok_codes: tuple[int, ...] = (0,)) -> dict:
    walls, rss, stages, statuses = [], [], [], []
    for i in range(runs):
        work = Path(tempfile.mkdtemp(prefix="planner-bench-"))
        try:
            out = work / "run"
            wall, peak = measure([*PLANNER, *cmd_args, "--out", str(out)], ROOT, ok_codes)
            summary = json.loads((out / "summary.json").read_text())
        finally:
            shutil.rmtree(work, ignore_errors=True)
        walls.append(wall)
        rss.append(peak)
        stages.append(summary["timings_s"])
        statuses.append(summary["status"])
        print(
            f"  {label} run {i + 1}/{runs}: {wall:.2f} s, {peak:.0f} MiB, {summary['status']}",
            file=sys.stderr,
        )
    med = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    total = statistics.median(walls)
    return {
        "label": label,
        "command": "planner " + " ".join(cmd_args),
        "runs": runs,
        "wall_s_median": total,
        "wall_s_all": walls,
        "peak_rss_mib_median": statistics.median(rss),
        "stage_s_median": med,
        "pyomo_overhead_share": (total - med.get("highs", 0.0)) / total,
        "status": statuses,
    }


def accuracy_study(
    days_list: list[int],
    runs_full: bool,
    full_time_limit_s: float | None = None,
    full_run: Path | None = None,
) -> list[dict]:
    """Objective, emissions and build plan at N representative days vs the full year.

    ``full_run``: a run folder of the full year solved before (``planner solve
    models/national_2025.yaml --hours full --out DIR``) used as the reference instead
    of solving it again.
    """
    from planner.results import read_run
    from planner.run import run_model

    cases: dict[str, object] = {str(d): d for d in days_list}
    if runs_full and full_run is None:
        cases["full"] = "full"
    rows = {}
    plans = {}
    if full_run is not None:
        results, summary = read_run(full_run)
        rows["full"] = {
            "days": "full",
            "objective_cny": summary["objective_cny"],
            "emissions_2025_tco2": summary["per_year"]["2025"]["emissions_tco2"],
            "status": summary["status"],
            "seconds": sum(v for k, v in summary["timings_s"].items() if k != "highs"),
        }
        if summary["objective_cny"] is not None:
            plans["full"] = results["racks_new_std"].sum("year")
    for name, days in cases.items():
        t0 = time.perf_counter()
        limit = full_time_limit_s if days == "full" else None
        run = run_model(MODEL, days=days, time_limit_s=limit)
        rows[name] = {
            "days": name,
            "objective_cny": run.summary["objective_cny"],
            "emissions_2025_tco2": run.summary["per_year"]["2025"]["emissions_tco2"],
            "status": run.summary["status"],
            "seconds": time.perf_counter() - t0,
        }
        if run.summary["objective_cny"] is not None:
            plans[name] = run.results["racks_new_std"].sum("year")
        print(f"  {name} days: {rows[name]['seconds']:.1f} s", file=sys.stderr)
    ref = "full" if "full" in plans else str(max(days_list))
    if "full" in rows and ref != "full":
        status = rows["full"]["status"]
        print(f"  the full year has no plan ({status}): vs {ref} days", file=sys.stderr)
    for name, row in rows.items():
        if name not in plans:
            continue
        row["objective_err"] = row["objective_cny"] / rows[ref]["objective_cny"] - 1
        row["emissions_err"] = row["emissions_2025_tco2"] / rows[ref]["emissions_2025_tco2"] - 1
        diff = float(np.abs(plans[name] - plans[ref]).sum())
        row["build_plan_diff_frac"] = diff / max(float(plans[ref].sum()), 1.0)
    return list(rows.values())


def _markdown(rows: list[dict], cols: list[str]) -> str:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["plan", "full", "days"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--days", default="4,8,12,24,48")
    parser.add_argument("--no-full", action="store_true", help="days: skip the full-year run")
    parser.add_argument(
        "--full-run", type=Path, help="days: a full-year run folder to compare with (not re-solved)"
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=300.0,
        help="full: HiGHS time limit [s] (the target); days: that of the full-year run",
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.what == "plan":
        res = bench(["plan", str(MODEL)], args.runs, "plan (default model)")
        rows = [res]
    elif args.what == "full":
        cmd = ["solve", str(MODEL), "--hours", "full", "--time-limit", str(args.time_limit)]
        res = bench(cmd, args.runs, "solve --hours full", ok_codes=(0, 1))
        rows = [res]
    else:
        days = [int(d) for d in args.days.split(",")]
        rows = accuracy_study(days, not args.no_full, args.time_limit, args.full_run)
    (RESULTS / f"{args.what}.json").write_text(json.dumps(rows, indent=2))
    if args.what == "days":
        cols = ["days", "objective_cny", "objective_err", "emissions_2025_tco2"]
        cols += ["emissions_err", "build_plan_diff_frac", "seconds", "status"]
        print(_markdown(rows, cols))
    else:
        flat = []
        for r in rows:
            flat.append(
                {
                    "command": r["command"],
                    "runs": r["runs"],
                    "wall_s_median": r["wall_s_median"],
                    "peak_rss_mib_median": r["peak_rss_mib_median"],
                    **{f"{k}_s": v for k, v in r["stage_s_median"].items()},
                    "pyomo_overhead_share": r["pyomo_overhead_share"],
                    "status": ", ".join(r["status"]),
                }
            )
        print(_markdown(flat, list(flat[0])))


if __name__ == "__main__":
    main()
