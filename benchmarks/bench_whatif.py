"""Whole-process benchmark of what-ifs against the default plan, side by side (issue 15).

Each round runs, as fresh processes in an empty working folder, the default plan and then
every what-if below; rounds repeat so that each figure is a median of several runs taken
under the same conditions as the default plan's, and each is reported as a multiple of
the default plan's median::

    python benchmarks/bench_whatif.py --runs 5
    python benchmarks/bench_whatif.py --runs 3 --python /tmp/venv/bin/python   # README env
    python benchmarks/bench_whatif.py --only plan,carbon_200 --runs 5

Targets: `planner plan` <= 4 s; each single case <= 2x the plan; the 8-case sweep on 2
workers <= 4x (reuse on and off both measured); the 8-point frontier <= 8x. Prints a
Markdown table and saves benchmarks/results/whatif.json.
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
MODELS = ROOT / "models"
MODEL = str(MODELS / "national_2025.yaml")
RESULTS = ROOT / "benchmarks" / "results"
SWEEP_VARY = [
    "--vary",
    "carbon_price_cny_per_tco2=0,100,200,400",
    "--vary",
    "target.intelligent_share.2025=0.35,0.40",
]

# name -> (planner arguments, target as a multiple of the default plan's median)
CASES: dict[str, tuple[list[str], float | None]] = {
    "plan": (["plan", MODEL], None),
    "carbon_100": (["solve", MODEL, "--set", "carbon_price_cny_per_tco2=100"], 2.0),
    "carbon_200": (["solve", MODEL, "--set", "carbon_price_cny_per_tco2=200"], 2.0),
    "carbon_400": (["solve", MODEL, "--set", "carbon_price_cny_per_tco2=400"], 2.0),
    "ai_share_0.40": (["solve", MODEL, "--set", "target.intelligent_share.2025=0.40"], 2.0),
    "ai_share_0.45": (["solve", MODEL, "--set", "target.intelligent_share.2025=0.45"], 2.0),
    "east_price_shock": (["solve", str(MODELS / "east_price_shock.yaml")], 2.0),
    "green_24x7": (["solve", str(MODELS / "green_24x7.yaml")], 2.0),
    "sweep_8_reuse": (["sweep", MODEL, *SWEEP_VARY, "--workers", "2"], 4.0),
    "sweep_8_no_reuse": (["sweep", MODEL, *SWEEP_VARY, "--workers", "2", "--no-reuse"], 4.0),
    "pareto_8": (["pareto", MODEL, "--points", "8", "--workers", "2"], 8.0),
}


def _run(python: str, args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Run ``planner ARGS --out cwd/out``; (wall s, peak RSS MiB of the process tree's
    largest process, exit code)."""
    cmd = [python, "-m", "planner.cli", *args, "--out", str(cwd / "out")]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err}")
    return wall, usage.ru_maxrss / 1024, code


def _case_stats(out: Path) -> dict:
    """Objective, status and HiGHS time of a run folder (or the sum over a sweep's cases)."""
    summaries = [out / "summary.json"] if (out / "summary.json").is_file() else []
    summaries += sorted(out.glob("cases/*/summary.json"))
    rows = [json.loads(p.read_text()) for p in summaries]
    return {
        "statuses": sorted({r.get("status") for r in rows}),
        "highs_s": sum(r.get("timings_s", {}).get("highs", 0.0) for r in rows),
        "objective_cny": rows[0].get("objective_cny") if len(rows) == 1 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable, help="interpreter with planner")
    parser.add_argument("--only", default="", help="comma-separated case names (plan always)")
    args = parser.parse_args()
    names = list(CASES) if not args.only else ["plan", *args.only.split(",")]
    names = list(dict.fromkeys(names))
    measured: dict[str, list[dict]] = {n: [] for n in names}
    for i in range(args.runs):
        for name in names:
            work = Path(tempfile.mkdtemp(prefix="planner-whatif-"))
            try:
                wall, rss, code = _run(args.python, CASES[name][0], work)
                stats = _case_stats(work / "out")
            finally:
                shutil.rmtree(work, ignore_errors=True)
            measured[name].append({"wall_s": wall, "peak_rss_mib": rss, "exit": code, **stats})
            print(f"  round {i + 1}/{args.runs} {name}: {wall:.2f} s, {rss:.0f} MiB, "
                  f"{stats['statuses']}", file=sys.stderr)  # fmt: skip
    plan_s = statistics.median(r["wall_s"] for r in measured["plan"])
    rows = []
    for name in names:
        walls = [r["wall_s"] for r in measured[name]]
        median = statistics.median(walls)
        target = CASES[name][1]
        rows.append(
            {
                "case": name,
                "command": "planner "
                + " ".join(a.replace(str(ROOT) + "/", "") for a in CASES[name][0]),
                "wall_s_median": median,
                "wall_s_range": f"{min(walls):.2f}-{max(walls):.2f}",
                "x_plan": median / plan_s,
                "target_x_plan": target,
                "met": (median <= 4.0) if target is None else (median / plan_s <= target),
                "highs_s_median": statistics.median(r["highs_s"] for r in measured[name]),
                "peak_rss_mib_median": statistics.median(r["peak_rss_mib"] for r in measured[name]),
                "statuses": sorted({s for r in measured[name] for s in r["statuses"]}),
                "objective_cny": measured[name][0]["objective_cny"],
            }
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "whatif.json").write_text(json.dumps({"runs": args.runs, "rows": rows}, indent=2))
    cols = ["case", "wall_s_median", "wall_s_range", "x_plan", "target_x_plan", "met"]
    cols += ["highs_s_median", "peak_rss_mib_median", "statuses"]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        cells = [f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
