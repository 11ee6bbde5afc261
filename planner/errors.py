"""Errors that reach the user as one clear paragraph, never a traceback.

Two kinds, with their exit statuses in :mod:`planner.cli_common`:

- :class:`InputError` (exit 2): the user's input is wrong (a table, a model file, an
  option, a folder given to ``--out`` that planner will not replace);
- :class:`OutputError` (exit 1): the environment refused what planner had to do with a
  file (a read-only folder, a full disk), with nothing wrong in the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what would be valid.

    ``row`` is the 1-based line number in the file (the header is line 1), so a user can
    jump straight to it in an editor. ``file`` may name a command-line option instead
    (``--set``, ``--vary``), whose ``column`` is then the key it sets.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column:
            keyed = self.file.endswith((".yaml", ".yml")) or self.file.startswith("--")
            where += f", {'key' if keyed else 'column'} '{self.column}'"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Bad input: one or more problems, reported together; the CLI exits with status 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = "The input has a problem." if n == 1 else f"The input has {n} problems."
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class OutputError(Exception):
    """The environment refused a file operation (read-only, full disk); exit status 1.

    Parameters
    ----------
    path
        The file or folder planner was writing (or reading).
    what
        What planner was doing, e.g. ``"could not write the run folder"``.
    cause
        The operating system's or library's own words, e.g. ``"No space left on device"``.
    """

    def __init__(self, path: str | Path, what: str, cause: str):
        self.path = str(path)
        self.what = what
        self.cause = cause
        super().__init__(self.render())

    def render(self) -> str:
        return (
            f"{self.path}: {self.what}: {self.cause}. Nothing that was there before was "
            "changed; free some space or choose a folder you can write to (--out), then "
            "run the command again."
        )

    @classmethod
    def from_exception(cls, path: str | Path, what: str, exc: BaseException) -> OutputError:
        """Wrap an ``OSError`` (or netCDF's ``RuntimeError``) in the user's words."""
        cause = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return cls(path, what, cause)
