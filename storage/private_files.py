"""Local state for this OS user only: private directories, files and generated secrets.

Embedded services keep secrets (Redis's password) and users' data under the data directory;
another local user must not read them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if need be and make it readable by this user only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable and writable by this user only, from the start."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)


def secrets_file(path: Path, generate: Callable[[], str]) -> str:
    """Return the secret saved in `path`, generating and saving one (mode 0600) if none is.

    Two processes starting at once may both generate one: the first link wins, the other
    reads it, so every process of a data directory ends up with the same secret.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    write_private(draft, generate() + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text().strip()
