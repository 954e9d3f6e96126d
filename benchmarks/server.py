"""The server a benchmark drives: `uvicorn server:app` in a process of its own, on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.calls import CALLS_FILE_ENV
from configs.settings import REPO_ROOT
from graph.resources import Resources

SERVER_STARTUP_S = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchServer:
    """`uvicorn server:app` on loopback, on the suite's services, limits out of the way."""

    def __init__(self, res: Resources, *, calls_file: Path | None = None) -> None:
        """Prepare a server on a free port; nothing starts until `async with`.

        With `calls_file`, the server counts the statements and round trips it sends
        (`benchmarks.calls`), written there by `read_calls`.
        """
        self.url = f"http://127.0.0.1:{_free_port()}"
        self._calls_file = calls_file
        self._env = {
            **os.environ,
            "DATABASE_URL": res.storage.urls.database_url,
            "REDIS_URL": res.storage.urls.redis_url,
            # The benchmark names its tenant in each request (local mode, loopback only).
            "MEMORIA_AUTH": "off",
            "MEMORIA_RATE_LIMIT_PER_KEY": "1000000/minute",
            "MEMORIA_RATE_LIMIT_PER_USER": "1000000/minute",
            "MEMORIA_WORKER": "inprocess",
            "LANGSMITH_TRACING": "false",
        }
        if calls_file is not None:
            self._env[CALLS_FILE_ENV] = str(calls_file)
        self._proc: subprocess.Popen | None = None

    async def __aenter__(self) -> BenchServer:
        """Start the server and wait until it is ready (Postgres and Redis reachable)."""
        port = self.url.rsplit(":", 1)[1]
        runner = "benchmarks.calls" if self._calls_file else "uvicorn"
        cmd = [sys.executable, "-m", runner, "server:app", "--host", "127.0.0.1"]
        self._proc = subprocess.Popen(
            [*cmd, "--port", port, "--log-level", "warning"], cwd=REPO_ROOT, env=self._env
        )
        deadline = time.monotonic() + SERVER_STARTUP_S
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise RuntimeError("benchmark server exited during startup")
                try:
                    if (await client.get(f"{self.url}/readyz", timeout=2)).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.5)
        raise TimeoutError("benchmark server did not become ready")

    def reset_calls(self) -> None:
        """Start counting statements and round trips from zero (a server with `calls_file`)."""
        if self._proc and self._calls_file:
            self._calls_file.unlink(missing_ok=True)
            self._proc.send_signal(signal.SIGUSR1)

    async def read_calls(self, timeout_s: float = 10) -> list[dict[str, Any]]:
        """Return what the server counted since `reset_calls` (`CallCounter.snapshot`)."""
        if not (self._proc and self._calls_file):
            return []
        self._proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                return json.loads(self._calls_file.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                await asyncio.sleep(0.1)  # not written yet, or half-written
        raise TimeoutError("the benchmark server did not write its counts")

    async def __aexit__(self, *exc: object) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s)."""
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
