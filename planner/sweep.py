"""What-if sweeps and the cost-carbon frontier, on local processes or a Dask cluster.

A sweep is a list of *cases*, each the model file plus ``KEY=VALUE`` overrides (the
``--set`` keys, validated by :mod:`planner.model_file`)::

    plan = plan_sweep("models/national_2025.yaml", ["carbon_price_cny_per_tco2=0,100,200"])
    ds = run_sweep(plan, "runs/sweep", executor="pool", workers=2)
    sweep_table(ds)                # one row per case, for the report

Layers, each usable alone:

- *expansion*: :func:`parse_vary`, :func:`expand_cases` (cartesian or zip), stable case ids;
  :func:`plan_sweep` validates every case's model up front: a problem no case escapes (an
  unknown key, a bad ``--set`` value) is an :class:`~planner.errors.InputError` before
  anything runs; a case whose own values are bad (``--vary ...=0.3,.nan``) is recorded as
  failed with that reason, and the others run.
- *worker*: :func:`run_case` turns a :class:`CaseTask` (the case's resolved model file as
  text and where the data are) into a plain picklable outcome: the run's summary and its
  run folder as bytes. Workers never write to the output folder; the client does, so a
  Dask worker needs no disk shared with the client. Loaded and time-sliced inputs are
  cached per worker process (:func:`solve_case`).
- *executors*: serial (in this process), a pool of spawned processes, or a Dask cluster;
  each yields ``(task, outcome)`` as cases finish.
- *store*: the sweep folder must be new, empty or a sweep folder planner wrote
  (:func:`planner.outputs.check_sweep_out`); :class:`CaseStore` commits each finished
  case atomically to
  ``OUT/cases/<case_id>/`` (the run folder plus ``case.json``, the done marker), so an
  interrupted sweep resumes where it stopped; ``sweep.nc`` is rebuilt from the case
  folders at the end (:func:`assemble_sweep`).
- *Pareto*: :func:`run_pareto` traces minimum-cost plans under emission caps between the
  least-cost and the least-carbon ends (epsilon-constraint).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from planner import schema
from planner.atomic import usual_dir_mode
from planner.errors import InputError, OutputError, Problem
from planner.model_file import (
    ModelFile,
    apply_overrides,
    load_model,
    parse_model,
    read_model_raw,
    resolved_yaml,
)
from planner.outputs import SWEEP_FORMAT, check_sweep_out
from planner.results.summary import has_plan
from planner.session import Session, data_fingerprint

log = logging.getLogger(__name__)

"""Run statuses that come with a plan; any other status makes the case count as failed."""

CASES_DIR = "cases"
CASE_FILE = "case.json"  # the done marker, written last into a case folder
MANIFEST_FILE = "sweep.json"
SWEEP_FILE = "sweep.nc"
ANCHORS_DIR = "anchors"

PER_YEAR_VARS = {  # summary per_year key -> units, from the one table of quantities
    name: schema.QUANTITIES[name].unit
    for name in (
        "total_eflops",
        "intelligent_eflops",
        "intelligent_share",
        "emissions_tco2",
        "green_share",
        "energy_mwh",
        "racks_new_std",
        "racks_total_std",
    )
}

LEAST_CARBON_PRICE_CNY_PER_T = 5000.0
"""Carbon price of the least-carbon end of the frontier [CNY/tCO2].

About 50x the 2024 national ETS price: above the cost of the dearest abatement the model
offers (a new hub rack's grid energy replaced by solar, wind and batteries), so a higher
price buys no further cut; it stays well below the soft-cap penalty
(``penalty.carbon_cap_cny_per_tco2``, 1e5), which keeps the cap the binding instrument
along the frontier. ``planner pareto --least-carbon-price`` changes it.
"""


# --------------------------------------------------------------------------- expansion


@dataclass(frozen=True)
class Vary:
    """One varied key and its values (as given, parsed as YAML scalars later)."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """One case of a sweep: the base overrides followed by its varied ``KEY=VALUE`` pairs."""

    index: int
    case_id: str
    varied: tuple[tuple[str, str], ...]
    overrides: tuple[str, ...]


def parse_vary(items: Sequence[str]) -> list[Vary]:
    """``KEY=V1,V2,...`` strings -> :class:`Vary`; raise InputError for malformed ones."""
    out: list[Vary] = []
    problems = []
    seen: set[str] = set()
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        values = tuple(v.strip() for v in text.split(","))
        if not sep or not key or not text.strip() or any(v == "" for v in values):
            problems.append(
                Problem("--vary", None, item, "must look like KEY=V1,V2,... with no empty value")
            )
            continue
        if key in seen:
            problems.append(Problem("--vary", None, key, "is varied twice; give it once"))
            continue
        seen.add(key)
        out.append(Vary(key, values))
    if problems:
        raise InputError(problems)
    return out


def case_id(index: int, overrides: Sequence[str]) -> str:
    """A stable id: zero-padded index and a short hash of the case's overrides."""
    digest = hashlib.sha256(json.dumps(list(overrides)).encode("utf-8")).hexdigest()[:8]
    return f"{index:04d}-{digest}"


def expand_cases(
    varies: Sequence[Vary],
    *,
    zip_values: bool = False,
    base_overrides: Sequence[str] = (),
) -> list[Case]:
    """The cases of a sweep: the cartesian product of the values, or paired (``zip``).

    Raises
    ------
    InputError
        If nothing is varied, or ``zip_values`` is set and the value lists differ in length.
    """
    if not varies:
        raise InputError([Problem("--vary", None, None, "give at least one KEY=V1,V2,...")])
    if zip_values:
        lengths = {v.key: len(v.values) for v in varies}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise InputError(
                [
                    Problem(
                        "--zip",
                        None,
                        None,
                        f"pairs the values of every --vary, so each needs as many values: {detail}",
                    )
                ]
            )
        combos = list(zip(*(v.values for v in varies), strict=True))
    else:
        combos = list(itertools.product(*(v.values for v in varies)))
    keys = [v.key for v in varies]
    cases = []
    for i, combo in enumerate(combos):
        varied = tuple(zip(keys, combo, strict=True))
        overrides = (*base_overrides, *(f"{k}={v}" for k, v in varied))
        cases.append(Case(i, case_id(i, overrides), varied, overrides))
    return cases


@dataclass
class SweepPlan:
    """A validated sweep: the cases and each one's resolved model, ready to run."""

    model_path: Path
    data_dir: Path
    keys: tuple[str, ...]
    cases: list[Case]
    models: dict[str, ModelFile]
    base_overrides: tuple[str, ...] = ()
    mode: str = "product"
    extra_coords: dict[str, list[Any]] = field(default_factory=dict)
    invalid: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Cases whose own values are bad: case id -> (why, as one paragraph; their model
    file as given, for the case folder). They are recorded as failed, never run."""

    def model_yaml(self, case: Case) -> str:
        if case.case_id in self.invalid:
            return self.invalid[case.case_id][1]
        return resolved_yaml(self.models[case.case_id])


def plan_sweep(
    model_path: Path | str,
    vary: Sequence[str | Vary],
    *,
    zip_values: bool = False,
    base_overrides: Sequence[str] = (),
    threads: int | None = 1,
) -> SweepPlan:
    """Expand and validate a sweep; every case's model is loaded before anything runs.

    ``threads`` is appended as ``solver.threads`` to every case (one HiGHS thread per
    worker process by default); ``None`` keeps the model file's.

    Raises
    ------
    InputError
        Listing every problem of every case (an unknown key is named once).
    """
    varies = [v for v in vary if isinstance(v, Vary)]
    varies += parse_vary([v for v in vary if not isinstance(v, Vary)])
    base = [*base_overrides, *([f"solver.threads={threads}"] if threads is not None else [])]
    cases = expand_cases(varies, zip_values=zip_values, base_overrides=base)
    labels = ["--set"] * len(base_overrides) + ["--threads"] * (len(base) - len(base_overrides))
    return _validate(
        Path(model_path),
        cases,
        keys=tuple(v.key for v in varies),
        base_overrides=tuple(base),
        mode="zip" if zip_values else "product",
        labels=[*labels, *["--vary"] * len(varies)],
    )


def _given_yaml(model_path: Path, case: Case, reason: str) -> str:
    """A bad case's model file as given (overrides applied), headed by why it is bad."""
    head = "".join(f"# {line}\n" for line in ["not run:", *reason.splitlines()])
    try:
        raw = apply_overrides(read_model_raw(model_path), list(case.overrides), str(model_path))
    except InputError:
        return head
    return head + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


def _validate(
    model_path: Path,
    cases: list[Case],
    *,
    keys: tuple[str, ...],
    base_overrides,
    mode: str,
    labels: Sequence[str] | None = None,
) -> SweepPlan:
    models: dict[str, ModelFile] = {}
    problems: list[Problem] = []
    bad: dict[str, InputError] = {}
    data_dir: Path | None = None
    for case in cases:
        try:
            model, case_data = load_model(model_path, list(case.overrides), labels=labels)
        except InputError as exc:
            bad[case.case_id] = exc
            continue
        if data_dir is None:
            data_dir = case_data
        elif case_data != data_dir:
            problems.append(
                Problem(str(model_path), None, "data_dir", "must be the same in every case")
            )
            continue
        # The resolved model names its data folder absolutely, so a case folder's
        # model.yaml reproduces the case on its own from anywhere.
        models[case.case_id] = model.model_copy(update={"data_dir": str(case_data)})
    if not models:  # no case escapes: refuse the sweep, naming each problem once
        seen: set[str] = set()
        for exc in bad.values():
            for p in exc.problems:
                if str(p) not in seen:
                    seen.add(str(p))
                    problems.append(p)
    if problems:
        raise InputError(problems)
    assert data_dir is not None
    plan = SweepPlan(model_path.resolve(), data_dir, keys, cases, models, base_overrides, mode)
    by_id = {c.case_id: c for c in cases}
    plan.invalid = {
        cid: (exc.render(), _given_yaml(model_path, by_id[cid], exc.render()))
        for cid, exc in bad.items()
    }
    return plan


# --------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class CaseTask:
    """What a worker needs to solve one case; plain data, cheap to pickle."""

    case_id: str
    model_yaml: str
    data_dir: str
    data_fingerprint: str
    reuse: bool = True


CaseFn = Callable[[CaseTask], dict[str, Any]]

# Per worker process: inputs, the last case's model and its HiGHS instance.
_SESSION: Session | None = None


def worker_session(*, reuse: bool = True) -> Session:
    """This process's :class:`planner.session.Session` (a fresh one without ``reuse``)."""
    global _SESSION
    if not reuse:
        return Session(reuse=False)
    if _SESSION is None:
        _SESSION = Session()
    return _SESSION


def solve_case(model: ModelFile, data_dir: Path, *, reuse: bool = True):
    """Solve one case; with ``reuse``, on this process's :class:`planner.session.Session`.

    Returns a :class:`planner.run.Run`.
    """
    return worker_session(reuse=reuse).solve(model, data_dir)


def _read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _failure(task: CaseTask, reason: str, tb: str = "", t0: float | None = None) -> dict[str, Any]:
    return {
        "case_id": task.case_id,
        "ok": False,
        "status": "error",
        "reason": reason,
        "traceback": tb,
        "summary": None,
        "files": {},
        "elapsed_s": time.perf_counter() - t0 if t0 is not None else None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def run_case(task: CaseTask) -> dict[str, Any]:
    """Solve one case and return its outcome; never raises for a failing case.

    The outcome is a plain dict: ``ok``, ``status`` (the run's, or ``error``), ``reason``
    (why it failed, one paragraph), ``summary`` (the run's summary), ``files`` (the run
    folder as ``{relative path: bytes}``), timing and where it ran.
    """
    return case_outcome(task, lambda model, data_dir: solve_case(model, data_dir, reuse=task.reuse))


def case_outcome(task: CaseTask, solve: Callable[[ModelFile, Path], Any]) -> dict[str, Any]:
    """The outcome of ``solve(model, data_dir)`` (a :class:`planner.run.Run`) on the task's
    model file, as :func:`run_case` returns it; never raises for a failing case."""
    t0 = time.perf_counter()
    try:
        model = parse_model(yaml.safe_load(task.model_yaml), f"case {task.case_id}")
        run = solve(model, Path(task.data_dir))
        with tempfile.TemporaryDirectory(prefix="planner-case-") as tmp:
            files = _read_tree(run.write(Path(tmp) / "run"))
    except InputError as exc:
        return _failure(task, exc.render(), t0=t0)
    except Exception as exc:  # a failing case is recorded, never fatal to the sweep
        return _failure(task, f"{type(exc).__name__}: {exc}", traceback.format_exc(), t0)
    status = str(run.summary.get("status"))
    ok = has_plan(run.summary)  # a time-limited case with no plan is not done
    return {
        "case_id": task.case_id,
        "ok": ok,
        "status": status,
        "reason": "" if ok else str(run.summary.get("explanation") or f"solver status {status}"),
        "traceback": "",
        "summary": run.summary,
        "files": files,
        "elapsed_s": time.perf_counter() - t0,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


# --------------------------------------------------------------------------- executors


Outcomes = Iterator[tuple[CaseTask, dict[str, Any]]]


def guarded(case_fn: CaseFn, task: CaseTask) -> dict[str, Any]:
    """``case_fn(task)``, with an exception turned into a failed outcome (on any executor)."""
    t0 = time.perf_counter()
    try:
        return case_fn(task)
    except Exception as exc:
        return _failure(task, f"{type(exc).__name__}: {exc}", traceback.format_exc(), t0)


def iter_serial(tasks: Sequence[CaseTask], case_fn: CaseFn = run_case) -> Outcomes:
    """Solve the cases one after another in this process."""
    for task in tasks:
        yield task, guarded(case_fn, task)


def _watch_parent(parent_pid: int) -> None:
    """Pool-worker initializer: exit when the client dies, so no orphan keeps solving.

    Ctrl-C is the client's to handle (it stops the workers); a worker ignores it rather
    than print a traceback of its interrupted solve.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True, name="planner-parent-watch").start()


# As Dask's nanny does for its workers: one thread per numeric library in a worker, so
# N workers on N cores do not oversubscribe them (OpenBLAS threads spin while idle and
# slow the other workers' HiGHS solves).
SINGLE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _worker_env() -> Iterator[None]:
    """Set :data:`SINGLE_THREAD_ENV` (unless the user set them) for processes spawned now."""
    added = [k for k in SINGLE_THREAD_ENV if k not in os.environ]
    for key in added:
        os.environ[key] = "1"
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def iter_pool(
    tasks: Sequence[CaseTask],
    workers: int,
    case_fn: CaseFn = run_case,
    *,
    max_attempts: int = 2,
    context: Literal["spawn", "forkserver"] = "spawn",
) -> Outcomes:
    """Solve the cases on ``workers`` spawned processes, yielding them as they finish.

    At most ``workers`` cases are in flight, so a worker that dies takes only the cases it
    could have been running with it: the pool is restarted and those cases are tried again,
    up to ``max_attempts`` times, then recorded as failed.
    """
    with _worker_env():
        yield from _iter_pool(tasks, workers, case_fn, max_attempts, context)


def _iter_pool(tasks, workers, case_fn, max_attempts, context) -> Outcomes:
    pending = list(tasks)
    pending.reverse()  # pop() from the end keeps the original order
    attempts: dict[str, int] = {}
    ctx = multiprocessing.get_context(context)
    while pending:
        pool = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_watch_parent, initargs=(os.getpid(),)
        )
        running: dict[cf.Future, CaseTask] = {}
        broken = False
        try:
            while pending or running:
                while pending and len(running) < workers:
                    task = pending.pop()
                    running[pool.submit(guarded, case_fn, task)] = task
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    task = running.pop(fut)
                    try:
                        outcome = fut.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        running[fut] = task
                        continue
                    except Exception as exc:  # e.g. an outcome that does not pickle
                        outcome = _failure(task, f"{type(exc).__name__}: {exc}")
                    yield task, outcome
                if broken:
                    break
        finally:
            _shutdown(pool, kill=broken or bool(running))
        if broken:
            for task in running.values():
                attempts[task.case_id] = attempts.get(task.case_id, 0) + 1
                if attempts[task.case_id] >= max_attempts:
                    yield (
                        task,
                        _failure(
                            task,
                            f"the worker process solving it died {attempts[task.case_id]} times "
                            "(killed, or out of memory)",
                        ),
                    )
                else:
                    log.warning("a worker died; case %s is tried again", task.case_id)
                    pending.append(task)


def _shutdown(pool: cf.ProcessPoolExecutor, *, kill: bool) -> None:
    if kill:
        # On an interrupt or a broken pool, stop the workers now rather than wait for
        # their solves; their cases were not committed and run again on resume.
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _dask_case(task: CaseTask, bundle: dict[str, Any] | None, case_fn: CaseFn) -> dict[str, Any]:
    """Run a case on a Dask worker, materialising the data folder there if it lacks it."""
    try:
        path = ensure_data(task.data_dir, task.data_fingerprint, bundle)
    except Exception as exc:
        return _failure(task, f"no input data on the worker: {type(exc).__name__}: {exc}")
    return guarded(case_fn, replace(task, data_dir=str(path)))


def data_bundle(data_dir: Path) -> dict[str, Any]:
    """The input files of a data folder as bytes, for workers that do not share its disk."""
    from planner.inputs.load import input_hashes

    names = sorted(input_hashes(data_dir))
    return {
        "fingerprint": data_fingerprint(data_dir),
        "files": {n: (Path(data_dir) / n).read_bytes() for n in names},
    }


def ensure_data(path: str, fingerprint: str, bundle: dict[str, Any] | None) -> Path:
    """The data folder to use on this machine: ``path`` if it holds the same files, else a
    copy written from ``bundle`` into a per-machine cache (atomically, once)."""
    local = Path(path)
    if local.is_dir() and data_fingerprint(local) == fingerprint:
        return local
    if bundle is None:
        raise FileNotFoundError(f"{path} is not on this worker and no data were sent")
    cache = Path(tempfile.gettempdir()) / "planner-data" / fingerprint[:16]
    if not cache.is_dir():
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{cache.name}.", dir=cache.parent))
        for name, data in bundle["files"].items():
            (tmp / name).write_bytes(data)
        try:
            os.replace(tmp, cache)
        except OSError:  # another worker on this machine got there first
            shutil.rmtree(tmp, ignore_errors=True)
    return cache


def iter_dask(
    tasks: Sequence[CaseTask], scheduler: str, case_fn: CaseFn = run_case, *, data_dir: Path
) -> Outcomes:
    """Submit the cases to an existing Dask cluster; yield them as they finish.

    The data folder is sent once to every worker (``scatter(broadcast=True)``); a worker
    that has the same files at the same path uses them in place. Workers return the run
    folder as bytes; nothing is written on the worker's side beyond its temp folder.
    """
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout="15s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            [
                Problem(
                    "--scheduler",
                    None,
                    None,
                    f"cannot reach a Dask scheduler at {scheduler}: {exc}",
                )
            ]
        ) from None
    with client:
        bundle = client.scatter(data_bundle(data_dir), broadcast=True, hash=False)
        futures = {
            client.submit(
                _dask_case,
                task,
                bundle,
                case_fn,
                key=f"planner-case-{task.case_id}-{uuid.uuid4().hex[:8]}",
                pure=False,
            ): task
            for task in tasks
        }
        try:
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    outcome = fut.result()
                except Exception as exc:  # KilledWorker, a lost worker, a pickling error
                    outcome = _failure(task, f"the Dask worker failed: {type(exc).__name__}: {exc}")
                yield task, outcome
        finally:
            client.cancel(list(futures))


def iter_outcomes(
    tasks: Sequence[CaseTask],
    case_fn: CaseFn = run_case,
    *,
    executor: Literal["serial", "pool", "dask"] = "pool",
    workers: int | None = None,
    scheduler: str | None = None,
    data_dir: Path,
) -> Outcomes:
    """The outcomes of ``tasks`` on the chosen executor, as they finish.

    ``serial`` runs them in this process, ``pool`` on ``workers`` spawned processes (the
    CPU count by default, never more than there are tasks), ``dask`` on the cluster at
    ``scheduler``, sending it the data folder ``data_dir``.
    """
    if executor == "dask" and tasks:
        if not scheduler:
            raise ValueError("the dask executor needs a scheduler address")
        return iter_dask(tasks, scheduler, case_fn, data_dir=data_dir)
    if executor == "pool" and tasks:
        n = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
        return iter_pool(tasks, n, case_fn)
    return iter_serial(tasks, case_fn)


# --------------------------------------------------------------------------- store


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a temporary file, then a rename)."""
    from planner.results import jsonable

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(jsonable(data), indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, path)


_STALE_CASE = re.compile(r"\.[\w-]+\.(?:\w+\.tmp|old-[0-9a-f]+)")


class CaseStore:
    """The case folders of a sweep under ``OUT/cases``; each committed atomically.

    A case folder is complete iff it holds ``case.json`` (written last, then the folder is
    renamed into place). ``case.json`` records the case's overrides, its state (``done`` or
    ``failed``), the reason of a failure, and a fingerprint of the resolved model and the
    data files: a rerun skips a case only if the fingerprint still matches.
    """

    def __init__(self, out_dir: Path | str):
        self.out_dir = Path(out_dir)
        self.cases_dir = self.out_dir / CASES_DIR

    def path(self, case_id: str) -> Path:
        return self.cases_dir / case_id

    def record(self, case_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.path(case_id) / CASE_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def finished(self, case_id: str, fingerprint: str, *, retry_failed: bool = False) -> bool:
        rec = self.record(case_id)
        if rec is None or rec.get("fingerprint") != fingerprint:
            return False
        return rec.get("state") == "done" or not retry_failed

    def clean_stale(self) -> None:
        """Remove temporary folders an interrupted client left behind (only those: hidden
        names ``.<case id>.<random>.tmp`` and ``.<case id>.old-<hex>``, as :meth:`commit`
        makes them)."""
        if self.cases_dir.is_dir():
            for p in self.cases_dir.glob(".*"):
                if not _STALE_CASE.fullmatch(p.name):
                    continue
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

    def commit(
        self,
        case: Case,
        outcome: dict[str, Any],
        *,
        model_yaml: str,
        fingerprint: str,
    ) -> Path:
        """Write the case folder (run folder + ``case.json``) and rename it into place."""
        self.cases_dir.mkdir(parents=True, exist_ok=True)
        target = self.path(case.case_id)
        tmp = Path(tempfile.mkdtemp(prefix=f".{case.case_id}.", suffix=".tmp", dir=self.cases_dir))
        usual_dir_mode(tmp)
        try:
            for rel, data in (outcome.get("files") or {}).items():
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
            if not (tmp / "model.yaml").exists():  # a failed case stays reproducible too
                (tmp / "model.yaml").write_text(model_yaml, encoding="utf-8")
            record = {
                "case_id": case.case_id,
                "index": case.index,
                "varied": dict(case.varied),
                "overrides": list(case.overrides),
                "state": "done" if outcome["ok"] else "failed",
                "status": outcome.get("status"),
                "reason": outcome.get("reason", ""),
                "traceback": outcome.get("traceback", ""),
                "fingerprint": fingerprint,
                "elapsed_s": outcome.get("elapsed_s"),
                "host": outcome.get("host"),
                "pid": outcome.get("pid"),
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            if outcome.get("same_as"):  # another case's run, which is this case's answer
                record["same_as"] = outcome["same_as"]
            write_json(tmp / CASE_FILE, record)
            if target.exists():
                old = self.cases_dir / f".{case.case_id}.old-{uuid.uuid4().hex[:8]}"
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target


def case_fingerprint(model_yaml: str, data_fp: str) -> str:
    """What a finished case depends on: its resolved model file and the data files."""
    return hashlib.sha256(f"{model_yaml}\n{data_fp}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- running


@dataclass
class SweepProgress:
    """Callbacks the CLI hooks its progress bar to (all optional)."""

    on_start: Callable[[int, int, int], None] | None = None  # to run, done before, failed before
    on_case: Callable[[Case, dict[str, Any]], None] | None = None


def run_sweep(
    plan: SweepPlan,
    out_dir: Path | str,
    *,
    executor: Literal["serial", "pool", "dask"] = "pool",
    workers: int | None = None,
    scheduler: str | None = None,
    reuse: bool = True,
    retry_failed: bool = False,
    case_fn: CaseFn = run_case,
    progress: SweepProgress | None = None,
    given: dict[str, dict[str, Any]] | None = None,
) -> xr.Dataset:
    """Run every case not finished yet, commit each as it finishes, and write ``sweep.nc``.

    Parameters
    ----------
    plan
        From :func:`plan_sweep` (validated).
    out_dir
        The sweep folder: ``sweep.json`` (what was asked), ``cases/<case_id>/``, ``sweep.nc``.
    executor
        ``serial`` (this process), ``pool`` (``workers`` spawned processes) or ``dask``
        (the cluster at ``scheduler``, e.g. ``tcp://10.0.0.5:8786``).
    reuse
        Cache the loaded, time-sliced inputs in each worker process.
    retry_failed
        Run the cases recorded as failed again (they are kept as failed otherwise).
    case_fn
        The worker function (a picklable top-level function); :func:`run_case` by default.
    given
        Outcomes known without solving (case id -> outcome, as :func:`run_case` returns
        it), committed in place of a solve (the frontier's least-cost end).

    Returns
    -------
    xarray.Dataset
        The sweep Dataset (see :func:`assemble_sweep`), also written to ``OUT/sweep.nc``.
    """
    out = Path(out_dir)
    check_sweep_out(out)
    store = CaseStore(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        store.clean_stale()
        write_json(out / MANIFEST_FILE, _manifest(plan))
    except OSError as exc:
        raise OutputError.from_exception(out, "could not write the sweep folder", exc) from exc
    data_fp = data_fingerprint(plan.data_dir)
    yamls = {c.case_id: plan.model_yaml(c) for c in plan.cases}
    fps = {cid: case_fingerprint(text, data_fp) for cid, text in yamls.items()}
    todo = [
        c
        for c in plan.cases
        if not store.finished(c.case_id, fps[c.case_id], retry_failed=retry_failed)
    ]
    before = [store.record(c.case_id) for c in plan.cases if c not in todo]
    if progress and progress.on_start:
        n_failed = sum(1 for r in before if r and r.get("state") == "failed")
        progress.on_start(len(todo), len(before) - n_failed, n_failed)
    for case in [c for c in todo if c.case_id in plan.invalid]:  # bad values: never run
        outcome = failed_outcome(case.case_id, plan.invalid[case.case_id][0])
        commit_outcome(
            store, case, outcome, model_yaml=yamls[case.case_id], fingerprint=fps[case.case_id]
        )
        if progress and progress.on_case:
            progress.on_case(case, outcome)
    given = given or {}
    for case in [c for c in todo if c.case_id in given and c.case_id not in plan.invalid]:
        outcome = given[case.case_id]
        commit_outcome(
            store, case, outcome, model_yaml=yamls[case.case_id], fingerprint=fps[case.case_id]
        )
        if progress and progress.on_case:
            progress.on_case(case, outcome)
    tasks = [
        CaseTask(c.case_id, yamls[c.case_id], str(plan.data_dir), data_fp, reuse)
        for c in todo
        if c.case_id not in plan.invalid and c.case_id not in given
    ]
    by_id = {c.case_id: c for c in plan.cases}
    outcomes = iter_outcomes(
        tasks,
        case_fn,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        data_dir=plan.data_dir,
    )
    with contextlib.closing(outcomes):
        for task, outcome in outcomes:
            case = by_id[task.case_id]
            commit_outcome(
                store, case, outcome, model_yaml=task.model_yaml, fingerprint=fps[case.case_id]
            )
            if progress and progress.on_case:
                progress.on_case(case, outcome)
    ds = assemble_sweep(plan, out)
    write_dataset(ds, out / SWEEP_FILE)
    return ds


def failed_outcome(case_id: str, reason: str) -> dict[str, Any]:
    """The outcome of a case that is not run: failed, with ``reason`` (its bad values)."""
    return {
        "case_id": case_id,
        "ok": False,
        "status": "error",
        "reason": reason,
        "traceback": "",
        "summary": None,
        "files": {},
        "elapsed_s": 0.0,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def commit_outcome(store: CaseStore, case: Case, outcome: dict[str, Any], **kwargs: Any) -> None:
    """:meth:`CaseStore.commit`, a failed write raised as :class:`OutputError`."""
    try:
        store.commit(case, outcome, **kwargs)
    except OSError as exc:
        raise OutputError.from_exception(
            store.path(case.case_id), "could not write the case folder", exc
        ) from exc


def _manifest(plan: SweepPlan) -> dict[str, Any]:
    return {
        "format": SWEEP_FORMAT,
        "model": str(plan.model_path),
        "data_dir": str(plan.data_dir),
        "mode": plan.mode,
        "keys": list(plan.keys),
        "base_overrides": list(plan.base_overrides),
        "cases": [
            {"case_id": c.case_id, "index": c.index, "varied": dict(c.varied)} for c in plan.cases
        ],
        "extra_coords": plan.extra_coords,
        # What each varied key is in the model as given (for the report's base case).
        "base_values": _base_values(plan),
    }


def _base_values(plan: SweepPlan) -> dict[str, Any]:
    """The value of each varied key in the model file with the base overrides (None where
    the model file leaves it to the data, e.g. a target year it does not list)."""
    try:
        model, _ = load_model(plan.model_path, list(plan.base_overrides))
    except InputError:
        return {}
    tree: Any = model.model_dump(mode="json")
    out: dict[str, Any] = {}
    for key in plan.keys:
        node = tree
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        out[key] = node if isinstance(node, int | float | str | bool) else None
    return out


def write_dataset(ds: xr.Dataset, path: Path) -> None:
    """Write a Dataset to netCDF atomically (temp file, then rename)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        ds.to_netcdf(tmp, engine="netcdf4")
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:  # netCDF reports a full disk as RuntimeError
        tmp.unlink(missing_ok=True)
        if isinstance(exc, RuntimeError) and "NetCDF" not in str(exc) and "HDF" not in str(exc):
            raise
        raise OutputError.from_exception(path, "could not write", exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- sweep.nc


def _coord_values(texts: list[str]) -> np.ndarray:
    """Varied values as numbers when every one is a number, else as strings."""
    parsed = [_number_or_text(yaml.safe_load(t)) for t in texts]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in parsed):
        return np.asarray(parsed, dtype=float)
    return np.asarray([str(t) for t in texts], dtype=str)


def _number_or_text(value: Any) -> Any:
    """``1e300`` is text to YAML 1.1 but a number to pydantic (and to the user)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def assemble_sweep(plan: SweepPlan | dict[str, Any], out_dir: Path | str) -> xr.Dataset:
    """One Dataset over ``case`` from the committed case folders (missing cases: NaN).

    Variables: ``status``, ``failed``, ``reason`` (case); ``objective_cny`` (case);
    ``total_eflops``, ``intelligent_share``, ``emissions_tco2``, ``green_share`` and the
    other headline figures as (case, year); ``cost_cny`` (case, year, component);
    ``marginal_<name>`` for each marginal cost in the summaries; ``shortfall_<name>``
    (case, year). The varied keys are coordinates on ``case``.
    """
    manifest = _manifest(plan) if isinstance(plan, SweepPlan) else plan
    store = CaseStore(out_dir)
    cases = manifest["cases"]
    ids = [c["case_id"] for c in cases]
    records = [store.record(cid) for cid in ids]
    summaries: list[dict[str, Any] | None] = []
    for cid, rec in zip(ids, records, strict=True):
        path = store.path(cid) / "summary.json"
        summaries.append(
            json.loads(path.read_text(encoding="utf-8")) if rec and path.is_file() else None
        )
    years = sorted({int(y) for s in summaries if s for y in s.get("per_year", {})})
    components = sorted(
        {
            c
            for s in summaries
            if s
            for row in s.get("per_year", {}).values()
            for c in row.get("cost_cny", {})
        }
    )
    n, ny = len(ids), len(years)
    ds = xr.Dataset(coords={"case": ids, "year": np.asarray(years, dtype=np.int64)})
    ds.coords["case_index"] = ("case", np.asarray([c["index"] for c in cases], dtype=np.int64))
    for key in manifest["keys"]:
        ds.coords[key] = ("case", _coord_values([c["varied"][key] for c in cases]))
    for name, values in (manifest.get("extra_coords") or {}).items():
        ds.coords[name] = ("case", np.asarray(values))

    status, reason = [], []
    for rec, s in zip(records, summaries, strict=True):
        if rec is None:
            status.append("missing")
            reason.append("not run yet")
        else:
            status.append(str(rec.get("status") or (s or {}).get("status") or "error"))
            reason.append(str(rec.get("reason") or ""))
    ds["status"] = ("case", np.asarray(status, dtype=str), {"long_name": "run status"})
    ds["failed"] = (
        "case",
        np.asarray([r is None or r.get("state") != "done" for r in records]),
        {"long_name": "case failed or not run"},
    )
    ds["reason"] = ("case", np.asarray(reason, dtype=str), {"long_name": "why the case failed"})
    ds["objective_cny"] = (
        "case",
        np.asarray([_num((s or {}).get("objective_cny")) for s in summaries]),
        {"units": "CNY", "long_name": "total discounted cost (objective)"},
    )
    for var, units in PER_YEAR_VARS.items():
        arr = np.full((n, ny), np.nan)
        for i, s in enumerate(summaries):
            for j, y in enumerate(years):
                arr[i, j] = _num(((s or {}).get("per_year", {}).get(str(y)) or {}).get(var))
        ds[var] = (("case", "year"), arr, {"units": units})
    if components:
        cost = np.full((n, ny, len(components)), np.nan)
        for i, s in enumerate(summaries):
            for j, y in enumerate(years):
                row = ((s or {}).get("per_year", {}).get(str(y)) or {}).get("cost_cny", {})
                for k, comp in enumerate(components):
                    cost[i, j, k] = _num(row.get(comp))
        ds.coords["component"] = np.asarray(components, dtype=str)
        ds["cost_cny"] = (
            ("case", "year", "component"),
            cost,
            {"units": "CNY/year", "long_name": "cost by component"},
        )
    _add_nested(ds, "marginal", [(s or {}).get("marginal_costs") for s in summaries], years)
    _add_nested(ds, "shortfall", [(s or {}).get("shortfall") for s in summaries], years)
    ds.attrs = {
        "model": manifest["model"],
        "data_dir": manifest["data_dir"],
        "mode": manifest["mode"],
        "varied_keys": json.dumps(manifest["keys"]),
        "base_overrides": json.dumps(manifest["base_overrides"]),
        "n_cases": n,
        "n_failed": int(ds["failed"].sum()),
        "base_values": json.dumps(manifest.get("base_values") or {}),
    }
    return ds


def _num(value: Any) -> float:
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _add_nested(ds: xr.Dataset, prefix: str, entries: list[Any], years: list[int]) -> None:
    """Flatten the summaries' ``marginal_costs`` / ``shortfall`` into ``<prefix>_<name>``.

    ``{name: number}`` -> (case); ``{name: {year: number}}`` -> (case, year);
    ``{name: {where: {year: number}}}`` (per site or hub) -> (case, where, year).
    Non-numeric leaves (a status, a ``unit``) are skipped; a ``unit`` becomes ``units``.
    """
    fill = np.nan if prefix == "marginal" else 0.0  # no shortfall recorded means none
    shapes: dict[str, str] = {}
    units: dict[str, str] = {}
    wheres: set[str] = set()
    for entry in entries:
        for name, value in (entry or {}).items() if isinstance(entry, dict) else ():
            if _is_num(value):
                shapes.setdefault(name, "scalar")
            elif isinstance(value, dict):
                if isinstance(value.get("unit"), str):
                    units[name] = value["unit"]
                inner = [v for v in value.values() if isinstance(v, dict)]
                if inner:
                    shapes[name] = "where"
                    wheres.update(str(k) for k in value if isinstance(value[k], dict))
                elif any(_is_num(v) for v in value.values()):
                    shapes.setdefault(name, "year")
    where = sorted(wheres)
    if "where" in shapes.values():
        ds.coords[f"{prefix}_where"] = np.asarray(where, dtype=str)
    n = len(entries)
    for name, shape in shapes.items():
        attrs = {"units": units[name]} if name in units else {}
        if shape == "scalar":
            arr = np.asarray([_num((e or {}).get(name)) for e in entries])
            ds[f"{prefix}_{name}"] = ("case", arr, attrs)
            continue
        if shape == "year":
            arr = np.full((n, len(years)), fill)
            for i, e in enumerate(entries):
                value = (e or {}).get(name) or {}
                for j, y in enumerate(years):
                    if str(y) in value:
                        arr[i, j] = _num(value[str(y)])
            ds[f"{prefix}_{name}"] = (("case", "year"), arr, attrs)
            continue
        arr = np.full((n, len(where), len(years)), fill)
        for i, e in enumerate(entries):
            value = (e or {}).get(name) or {}
            for k, w in enumerate(where):
                for j, y in enumerate(years):
                    if isinstance(value.get(w), dict) and str(y) in value[w]:
                        arr[i, k, j] = _num(value[w][str(y)])
        ds[f"{prefix}_{name}"] = (("case", f"{prefix}_where", "year"), arr, attrs)


def load_sweep(out_dir: Path | str) -> xr.Dataset:
    """``OUT/sweep.nc`` if present, else rebuilt from the case folders and ``sweep.json``."""
    out = Path(out_dir)
    if (out / SWEEP_FILE).is_file():
        with xr.open_dataset(out / SWEEP_FILE, engine="netcdf4") as ds:
            return ds.load()
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    return assemble_sweep(manifest, out)


def sweep_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per case: its varied values, status, cost and per-year figures.

    Pure (reads only ``ds``). Columns: ``case``, the varied keys (and any extra ``case``
    coordinate such as ``cap_frac``), ``status``, ``failed``, ``objective_cny``, then
    ``<figure>_<year>`` for each per-year figure, and ``reason``.
    """
    frame = pd.DataFrame({"case": ds["case"].values.astype(str)})
    for name, coord in ds.coords.items():
        if name not in ("case", "case_index") and coord.dims == ("case",):
            frame[str(name)] = coord.values
    for name in ("status", "failed", "objective_cny"):
        if name in ds:
            frame[name] = ds[name].values
    for name in ds.data_vars:
        da = ds[name]
        if da.dims == ("case", "year"):
            for y in ds["year"].values:
                frame[f"{name}_{int(y)}"] = da.sel(year=y).values
    if "cost_cny" in ds:
        total = ds["cost_cny"].sum("component", min_count=1)
        for y in ds["year"].values:
            frame[f"cost_cny_{int(y)}"] = total.sel(year=y).values
    if "reason" in ds:
        frame["reason"] = ds["reason"].values.astype(str)
    return frame


# --------------------------------------------------------------------------- pareto


def run_pareto(
    model_path: Path | str,
    points: int,
    out_dir: Path | str,
    *,
    base_overrides: Sequence[str] = (),
    least_carbon_price: float = LEAST_CARBON_PRICE_CNY_PER_T,
    threads: int | None = 1,
    **run_kwargs: Any,
) -> xr.Dataset:
    """The cost-carbon frontier by the epsilon-constraint method.

    1. Solve the model as given (no cap): the least-cost end, emissions ``E_max[y]``.
    2. Solve it with a carbon price of ``least_carbon_price`` (see
       :data:`LEAST_CARBON_PRICE_CNY_PER_T`): the least-carbon end, ``E_min[y]``.
    3. Solve ``points`` minimum-cost models with a cap on every plan year,
       ``carbon_cap_tco2.<y> = E_min[y] + f (E_max[y] - E_min[y])`` for ``f`` evenly in
       [0, 1] (rounded up to whole tonnes), so the first point is the least-carbon end at
       least cost and the last the least-cost end. Every year is capped, each in proportion
       between its own ends, so the frontier trades the whole path, not one year alone.
       The last point is not solved again: it is the least-cost end's run
       (:func:`_least_cost_end_as_point`).

    The two ends are an ordinary sweep under ``OUT/anchors``; the points are cases under
    ``OUT/cases`` with ``cap_frac`` and the ``carbon_cap_tco2.<year>`` keys as coordinates;
    both are resumable like any sweep. Returns the frontier Dataset (also ``OUT/sweep.nc``)
    with ``total_emissions_tco2`` (case) added.

    Raises
    ------
    InputError
        On bad input or fewer than 2 points.
    RuntimeError
        If an end of the frontier does not solve.
    """
    if points < 2:
        raise InputError([Problem("--points", None, None, f"{points}: give at least 2 points")])
    out = Path(out_dir)
    check_sweep_out(out)
    model, _ = load_model(model_path, list(base_overrides))
    if model.carbon_cap_tco2:
        raise InputError(
            [
                Problem(
                    str(model_path),
                    None,
                    "carbon_cap_tco2",
                    "must be empty for a frontier (pareto sets the caps itself)",
                )
            ]
        )
    prices = [f"{model.carbon_price_cny_per_tco2:g}", f"{least_carbon_price:g}"]
    anchor_plan = plan_sweep(
        model_path,
        [Vary("carbon_price_cny_per_tco2", tuple(prices))],
        base_overrides=base_overrides,
        threads=threads,
    )
    anchors = run_sweep(anchor_plan, out / ANCHORS_DIR, **run_kwargs)
    for i, end in enumerate(("least-cost", "least-carbon")):
        if bool(anchors["failed"].values[i]):
            raise RuntimeError(
                f"The {end} end of the frontier did not solve: {anchors['reason'].values[i]}"
            )
    years = [int(y) for y in anchors["year"].values]
    e_max = anchors["emissions_tco2"].values[0]
    e_min = np.minimum(anchors["emissions_tco2"].values[1], e_max)
    fracs = np.linspace(0.0, 1.0, points)
    varies = [
        Vary(
            f"carbon_cap_tco2.{y}",
            tuple(f"{math.ceil(e_min[j] + f * (e_max[j] - e_min[j]))}" for f in fracs),
        )
        for j, y in enumerate(years)
    ]
    plan = plan_sweep(
        model_path, varies, zip_values=True, base_overrides=base_overrides, threads=threads
    )
    plan.mode = "pareto"
    plan.extra_coords = {"cap_frac": [float(f) for f in fracs]}
    end = _least_cost_end_as_point(CaseStore(out / ANCHORS_DIR).path(anchor_plan.cases[0].case_id))
    ds = run_sweep(plan, out, given={plan.cases[-1].case_id: end}, **run_kwargs)
    ds = add_frontier_totals(ds)
    ds.attrs.update(
        least_cost_emissions_tco2=json.dumps(
            dict(zip(map(str, years), e_max.tolist(), strict=True))
        ),
        least_carbon_emissions_tco2=json.dumps(
            dict(zip(map(str, years), e_min.tolist(), strict=True))
        ),
        least_carbon_price_cny_per_tco2=float(least_carbon_price),
        method="epsilon-constraint: minimum cost with carbon_cap_tco2 on every plan year, "
        "evenly between the least-carbon and the least-cost ends",
    )
    write_dataset(ds, out / SWEEP_FILE)
    return ds


def _least_cost_end_as_point(anchor_dir: Path) -> dict[str, Any]:
    """The least-cost end's run as the outcome of the frontier's last point (``cap_frac`` 1).

    That point caps each year at the least-cost end's own emissions (rounded up), so the
    least-cost plan meets every cap; as it is optimal (within the gap) without them, it
    is optimal with them: solving the point again would repeat the end. Its case record
    says so (``same_as``); its run folder is the end's, whose model file has no caps.
    """
    record = json.loads((anchor_dir / CASE_FILE).read_text(encoding="utf-8"))
    return {
        "case_id": record.get("case_id"),
        "ok": True,
        "status": record.get("status"),
        "summary": json.loads((anchor_dir / "summary.json").read_text(encoding="utf-8")),
        "files": {k: v for k, v in _read_tree(anchor_dir).items() if k != CASE_FILE},
        "elapsed_s": 0.0,
        "same_as": f"{ANCHORS_DIR}/{CASES_DIR}/{anchor_dir.name}",
        "reason": "",
    }


def add_frontier_totals(ds: xr.Dataset) -> xr.Dataset:
    """Add ``total_emissions_tco2`` (case): emissions summed over the plan years."""
    ds = ds.copy()
    ds["total_emissions_tco2"] = (
        ds["emissions_tco2"]
        .sum("year", min_count=1)
        .assign_attrs(units="tCO2", long_name="emissions over the plan years")
    )
    return ds


def default_out_dir(model_path: Path | str, kind: str) -> Path:
    """``runs/<kind>-<model file stem>``."""
    return Path("runs") / f"{kind}-{Path(model_path).stem}"
