"""Where planner may write: what it recognises as its own, and what it refuses to replace.

Planner replaces only what it wrote itself:

- a *run folder* holds planner's ``summary.json`` (a JSON object with ``format`` equal
  to :data:`RUN_FORMAT`, or, from before that marker, ``scenario``, ``status``,
  ``timings_s`` and ``versions.planner``) and otherwise only the files a run writes
  (:data:`RUN_FILES`); ``--out`` replaces such a folder, or an empty one, or makes a
  new one;
- a *sweep folder* holds planner's ``sweep.json``; a sweep writes into such a folder
  (to resume it), or an empty or new one; a folder of near-optimal alternatives is a
  sweep folder that takes only alternatives;
- a *report* is an HTML file whose head names planner as its generator.

Any other existing folder or file is refused with an :class:`~planner.errors.InputError`
(exit status 2). ``--force`` replaces a folder that is not a run folder, but never one
that holds the model file, its data, or the current folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from planner.errors import InputError, OutputError, Problem

RUN_FORMAT = "planner run folder 1"
"""The ``format`` of a run folder's ``summary.json``."""

SWEEP_FORMAT = "planner sweep folder 1"
"""The ``format`` of a sweep folder's ``sweep.json``."""

SUMMARY_FILE = "summary.json"
SWEEP_MANIFEST = "sweep.json"
ALTERNATIVES_MODE = "alternatives"
"""The ``mode`` of a folder of near-optimal alternatives (``planner alternatives``)."""
RUN_FILES = frozenset({"results.nc", SUMMARY_FILE, "model.yaml", "tables", "case.json"})
"""Names a run folder may hold (``tables/`` holds CSV files only; ``case.json`` marks a
sweep's case folder); hidden temporary files of an interrupted write are allowed too."""

REPORT_GENERATOR = '<meta name="generator" content="planner'
"""What the head of every planner report holds (see :mod:`planner.report.page`)."""

FAILED_SUFFIX = ".failed"
"""A run without a plan never replaces a run with one: it is written to
``<run folder>.failed`` beside it instead."""


def _json_object(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def read_summary(run_dir: Path | str) -> dict[str, Any] | None:
    """The ``summary.json`` of a run folder, or None if it has none planner wrote."""
    summary = _json_object(Path(run_dir) / SUMMARY_FILE)
    if summary is None:
        return None
    if summary.get("format") == RUN_FORMAT:
        return summary
    versions = summary.get("versions")
    legacy = {"scenario", "status", "timings_s"} <= summary.keys()
    return summary if legacy and isinstance(versions, dict) and "planner" in versions else None


def _is_temp(name: str) -> bool:
    return name.startswith(".") and (name.endswith(".tmp") or ".old-" in name)


def foreign_entries(run_dir: Path) -> list[str]:
    """What a folder holds beyond the files a run writes (names, sorted)."""
    extra = []
    for entry in sorted(Path(run_dir).iterdir()):
        if _is_temp(entry.name):
            continue
        if entry.name not in RUN_FILES:
            extra.append(entry.name)
        elif entry.name == "tables":
            if not entry.is_dir():
                extra.append(entry.name)
                continue
            extra += [f"tables/{p.name}" for p in sorted(entry.iterdir()) if p.suffix != ".csv"]
    return extra


def is_run_folder(path: Path | str) -> bool:
    """Whether ``path`` is a folder planner wrote as a run (and holds nothing else)."""
    path = Path(path)
    return path.is_dir() and read_summary(path) is not None and not foreign_entries(path)


def run_has_plan(path: Path | str) -> bool:
    """Whether ``path`` is a run folder whose run has a plan."""
    # Imported here: the run folder writer (planner.results) checks its paths with this
    # module, so this module may not import the results package at load time.
    from planner.results.summary import has_plan

    summary = read_summary(path) if Path(path).is_dir() else None
    return summary is not None and has_plan(summary)


def is_sweep_folder(path: Path | str) -> bool:
    """Whether ``path`` holds planner's ``sweep.json`` (or is a frontier just begun: only
    its ``anchors`` sweep so far)."""
    path = Path(path)
    manifest = _json_object(path / SWEEP_MANIFEST)
    if manifest is not None:
        return manifest.get("format") == SWEEP_FORMAT or {"model", "mode", "keys", "cases"} <= (
            manifest.keys()
        )
    entries = [p for p in path.iterdir() if not _is_temp(p.name)] if path.is_dir() else []
    return [p.name for p in entries] == ["anchors"] and is_sweep_folder(path / "anchors")


def _is_empty(path: Path) -> bool:
    return not any(path.iterdir())


def _inside(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _refuse(path: Path, message: str) -> InputError:
    return InputError([Problem("--out", None, None, f"{path}: {message}")])


def check_run_out(
    path: Path | str, *, force: bool = False, keep: Iterable[Path | str] = ()
) -> None:
    """Raise :class:`InputError` unless a run may be written to ``path``.

    ``path`` may be new, an empty folder or a run folder. With ``force`` any folder may
    be replaced but one holding a path of ``keep`` (the model file, its data folder) or
    the current folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise _refuse(path, "is a file, not a folder; give a folder for the run")
    if not path.is_dir() or _is_empty(path):
        return
    real = path.resolve()
    if read_summary(path) is not None:
        extra = foreign_entries(path)
        if not extra:
            return
        what = (
            f"is a planner run folder but also holds files planner did not write "
            f"({', '.join(extra[:5])}{', ...' if len(extra) > 5 else ''})"
        )
    else:
        what = (
            "holds files planner did not write (it is not a run folder: it has no "
            "summary.json of planner's)"
        )
    if not force:
        raise _refuse(
            path,
            f"{what}, so it is not replaced. Give a new or empty folder, or a run folder "
            "planner wrote; or add --force to replace the folder and everything in it.",
        )
    for kept in [*keep, Path.cwd()]:
        if _inside(Path(kept).resolve(), real):
            raise _refuse(
                path,
                f"{what}, and it holds {kept} (the model file, its data or the current "
                "folder), so not even --force replaces it; give a new or empty folder",
            )


def check_writable(path: Path | str) -> None:
    """Raise :class:`OutputError` if ``path`` could not be made (read-only folder), so a
    long solve is not started only to fail at its write."""
    path = Path(path).absolute()
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".planner-probe-", dir=folder))
    except OSError as exc:
        raise OutputError.from_exception(path, "could not write the run folder", exc) from exc


def sweep_mode(path: Path | str) -> str | None:
    """The ``mode`` in a sweep folder's ``sweep.json`` (None if it has none)."""
    manifest = _json_object(Path(path) / SWEEP_MANIFEST)
    mode = manifest.get("mode") if manifest is not None else None
    return str(mode) if mode is not None else None


def check_sweep_out(path: Path | str, *, alternatives: bool = False) -> None:
    """Raise :class:`InputError` unless a sweep may write into ``path`` (new, empty or a
    sweep folder, which it resumes).

    A folder of near-optimal alternatives (``sweep.json`` mode
    :data:`ALTERNATIVES_MODE`) takes only alternatives (``alternatives``), and those go
    into no other sweep's folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise _refuse(path, "is a file, not a folder; give a folder for the sweep")
    if not path.is_dir() or _is_empty(path):
        return
    if is_sweep_folder(path):
        holds = sweep_mode(path) == ALTERNATIVES_MODE
        if holds == alternatives:
            return
        what = "near-optimal alternatives" if holds else "a sweep or frontier"
        raise _refuse(
            path,
            f"holds {what} of planner's, not {'alternatives' if alternatives else 'a sweep'}"
            "; give a new or empty folder, or a folder of the same kind to resume it.",
        )
    raise _refuse(
        path,
        "holds files planner did not write (it is not a sweep folder: no sweep.json of "
        "planner's), so the sweep does not write into it. Give a new or empty folder, or "
        "the folder of an earlier sweep to resume it.",
    )


def check_report_out(path: Path | str) -> None:
    """Raise :class:`InputError` unless ``path`` is new or a report planner wrote."""
    path = Path(path)
    if not path.exists():
        return
    if path.is_dir():
        raise _refuse(path, "is a folder; give the HTML file to write, e.g. reports/run.html")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except OSError:
        head = ""
    if REPORT_GENERATOR not in head:
        raise _refuse(
            path,
            "exists and is not a report planner wrote, so it is not replaced; give a new "
            "file name, or remove the file first",
        )


def failed_beside(path: Path | str) -> Path | None:
    """Where a run without a plan goes when ``path`` holds a run with one.

    ``<path>.failed`` (then ``.failed-2`` ... ``.failed-9``): the first that is new,
    empty, or a run folder without a plan. None if none is.
    """
    path = Path(path)
    for n in range(1, 10):
        candidate = path.with_name(f"{path.name}{FAILED_SUFFIX}{'' if n == 1 else f'-{n}'}")
        if not candidate.exists() or (candidate.is_dir() and _is_empty(candidate)):
            return candidate
        if is_run_folder(candidate) and not run_has_plan(candidate):
            return candidate
    return None


# What follows ".<name>" in a temporary sibling: ".<pid>-<random>.tmp" (this version),
# ".<random>.tmp" (earlier ones; mkdtemp's random part has no "-" or "."), ".old-<pid>".
_TEMP_TAIL = re.compile(r"\.(?:(\d+)-)?[a-z0-9_]+\.tmp|\.old-(\d+)")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def _only_run_files(folder: Path) -> bool:
    try:
        return not foreign_entries(folder)
    except OSError:
        return False


def clean_stale(target: Path, *, keep: Iterable[Path] = ()) -> list[Path]:
    """Remove hidden siblings an interrupted write of ``target`` left behind.

    Those are ``.<name>.<pid>-<random>.tmp`` and ``.<name>.old-<pid>`` folders (and the
    ``.<name>.<random>.tmp`` of earlier versions) that hold nothing but run files, of a
    writer no longer running. Returns the folders removed.
    """
    target = Path(target)
    keep = {Path(k).resolve() for k in keep}
    removed = []
    if not target.parent.is_dir():
        return removed
    prefix = f".{target.name}."
    for entry in target.parent.iterdir():
        if not entry.name.startswith(prefix) or entry.resolve() in keep or entry.is_symlink():
            continue
        match = _TEMP_TAIL.fullmatch(entry.name[len(prefix) - 1 :])
        if match is None or not entry.is_dir():
            continue
        pid = next((int(g) for g in match.groups() if g), None)
        if pid is not None and _alive(pid):
            continue
        if _only_run_files(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
