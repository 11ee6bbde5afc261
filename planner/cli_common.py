"""What every ``planner`` command shares: the consoles, exit codes and error handling.

Bad input is one paragraph on stderr and exit status 2; an interrupt leaves nothing
half-written and exits with 130.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

from planner.errors import InputError

console = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_NOT_SOLVED = 1


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn bad input into one clear paragraph and exit 2; never show a traceback for it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            console.print(exc.render(), markup=False, soft_wrap=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            console.print("Interrupted: nothing was written.", markup=False)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper
