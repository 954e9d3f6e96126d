"""The processes the embedded services run as: alive or gone, their pidfiles and log files.

Postgres and Redis outlive the Python process that starts them, so `storage.services` knows
them by pid (read from a pidfile), tells a zombie from a live server, waits for one to be
gone before saying it stopped, and quotes a log's tail when one fails to start.
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil

STOP_TIMEOUT = 30.0


def process_alive(pid: int, name: str | None = None) -> bool:
    """Tell whether `pid` is a live (non-zombie) process, optionally with the given name."""
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE and (name is None or proc.name() == name)
    except psutil.Error:
        return False


def wait_for_exit(pid: int, what: str) -> None:
    """Return once process `pid` has exited (a zombie counts as gone); raise after the timeout."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while process_alive(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} (pid {pid}) did not exit within {STOP_TIMEOUT:.0f} s")
        time.sleep(0.05)


def read_pid(pidfile: Path) -> int | None:
    """Return the pid in a pidfile, or None if it is missing or not written yet."""
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def log_tail(path: Path, start: int = 0, lines: int = 20) -> str:
    """Return the last lines of a log file written after byte offset `start`."""
    try:
        with path.open("rb") as f:
            f.seek(start)
            text = f.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
