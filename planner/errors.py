"""Errors that reach the user as one clear paragraph, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


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
