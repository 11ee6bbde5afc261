"""What every ``planner`` command shares: the consoles, exit codes and error handling.

Bad input is one paragraph on stderr and exit status 2; an environment that refuses a
file (read-only folder, full disk) is one paragraph and exit status 1; an interrupt leaves
nothing half-written and exits with 130. No traceback reaches the user unless asked for
with ``planner -v``.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from planner.errors import InputError, OutputError

console = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_NOT_SOLVED = 1
EXIT_ENVIRONMENT = 1


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every error into one clear paragraph and an exit status; never a traceback.

    ``InputError`` exits 2, ``OutputError`` and any other ``OSError`` exit 1 (naming the
    file), an interrupt 130. Anything else is a bug in planner: one paragraph and exit 1,
    with the traceback only under ``planner -v``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            _say(exc.render())
            sys.exit(EXIT_BAD_INPUT)
        except OutputError as exc:
            _say(exc.render())
            sys.exit(EXIT_ENVIRONMENT)
        except KeyboardInterrupt:
            _say("Interrupted: nothing was written.")
            sys.exit(EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as exc:
            where = exc.filename or "a file"
            _say(
                f"{where}: {exc.strerror or exc}. Check that it exists and can be read and "
                "written, then run the command again."
            )
            sys.exit(EXIT_ENVIRONMENT)
        except Exception as exc:
            if logging.getLogger().isEnabledFor(logging.INFO):  # planner -v
                raise
            _say(
                f"planner stopped on an unexpected error ({type(exc).__name__}: {exc}). "
                "This is a fault in planner, not in your input; run the same command with "
                "planner -v to see where it happened, and report it."
            )
            sys.exit(EXIT_ENVIRONMENT)

    return wrapper
