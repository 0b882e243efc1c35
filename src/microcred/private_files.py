"""Files and folders that hold personal data or secrets are created private: folders 0700, files 0600.

Only what this code creates is given these modes; an existing folder or file keeps the mode its owner chose.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path | str) -> Path:
    """``path`` as a folder, created (with any missing parents) mode 0700 if it does not exist yet."""
    folder = Path(path)
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:  # mkdir's mode is filtered by the umask and not applied to parents: set it
        with contextlib.suppress(OSError):  # pragma: no cover - removed by someone else in between
            created.chmod(DIR_MODE)
    return folder


def create_private_file(path: Path | str) -> bool:
    """Create ``path`` empty with mode 0600 (its folder 0700 if missing). False when it already existed."""
    target = Path(path)
    private_dir(target.parent)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True
