"""Permissions for outputs written atomically (temp file or folder, then rename).

``tempfile.mkstemp`` and ``mkdtemp`` create 0600 files and 0700 folders, which would
leave a run folder or a shared data file readable by its writer alone once renamed
into place; these give it the mode an ordinary ``open`` or ``mkdir`` would.
"""

from __future__ import annotations

import os
from pathlib import Path


def current_umask() -> int:
    """The process umask (read without changing it for longer than a call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def usual_file_mode(path: str | os.PathLike[str]) -> None:
    """Give a temp file the mode of a newly opened file (0666 less the umask)."""
    os.chmod(path, 0o666 & ~current_umask())


def usual_dir_mode(path: str | os.PathLike[str]) -> None:
    """Give a temp folder the mode of a newly made folder (0777 less the umask)."""
    os.chmod(Path(path), 0o777 & ~current_umask())
