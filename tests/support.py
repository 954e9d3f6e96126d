"""What tests share: free ports, fresh ids, server processes, in-process clients, draining.

Fixtures live in conftest.py files; the helpers they and the tests use live here.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from fastapi import FastAPI

from configs.settings import REPO_ROOT
from graph.resources import Resources
from memory.facts import offline_extractor
from storage.services import ServiceURLs

SAMPLE_KB = REPO_ROOT / "data" / "sample_kb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def own_database(urls: ServiceURLs, prefix: str) -> ServiceURLs:
    """Create a database of its own on the test Postgres; return the URLs with it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(urls.database_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = urlsplit(urls.database_url)._replace(path=f"/{name}").geturl()
    return ServiceURLs(url, urls.redis_url)


def new_config(tenant: str | None = None, user: str | None = None, **knobs: object) -> dict:
    """Return a run config for a fresh thread (and, unless given, a fresh tenant and user)."""
    return {
        "configurable": {
            "tenant_id": tenant or f"t-{uuid.uuid4().hex[:8]}",
            "user_id": user or f"u-{uuid.uuid4().hex[:8]}",
            "thread_id": str(uuid.uuid4()),
            **knobs,
        }
    }


STARTUP_TIMEOUT_S = 120


class ServerProcess:
    """`uvicorn server:app` in a child process, restartable, on the test services."""

    def __init__(self, urls: ServiceURLs, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COHERE_"))}
        defaults = {
            "MEMORIA_MAX_MESSAGE_CHARS": "2000",
            # Keys other tests create in the shared database must not lock these servers;
            # tests of auth start servers with their own database and MEMORIA_AUTH.
            "MEMORIA_AUTH": "off",
            "LANGSMITH_TRACING": "false",
        }
        self.env.update(
            DATABASE_URL=urls.database_url, REDIS_URL=urls.redis_url, **{**defaults, **env}
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "server:app", "--host", "127.0.0.1"]
        self.proc = subprocess.Popen([*cmd, "--port", str(self.port)], cwd=REPO_ROOT, env=self.env)
        self.wait_healthy()

    def wait_healthy(self) -> None:
        """Wait for the started process to answer /healthz."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "server exited during startup"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise TimeoutError("server did not become healthy")

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def stop(self) -> None:
        """SIGTERM: a graceful shutdown, as a deploy does; the lifespan closes everything."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no flushing, nothing."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def invoke(self, text: str, config: dict) -> httpx.Response:
        body = {"input": {"messages": [{"type": "human", "content": text}]}, "config": config}
        return httpx.post(f"{self.url}/agent/invoke", json=body, timeout=60)




async def drain(res: Resources) -> int:
    """Index every queued turn now, as a worker with the offline fact rules would."""
    return await res.outbox_worker(offline_extractor).drain()


@asynccontextmanager
async def asgi_client(app: FastAPI, **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Yield an HTTP client of `app` in this process, its lifespan run around the block."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://memoria", timeout=60, **kwargs
        ) as client:
            yield client


def node_path(choices: dict[str, str]) -> list[str]:
    """Return the nodes a turn passes through, taking each branch as `choices` says.

    Derived from the built graph, so a node added on the way shows up here without editing
    tests; `choices` names only where the turn goes at each conditional edge.
    """
    from configs.settings import Settings
    from graph.builder import build_graph

    drawn = build_graph(Resources(Settings(_env_file=None))).get_graph()
    edges: dict[str, list[str]] = {}
    for edge in drawn.edges:
        edges.setdefault(edge.source, []).append(edge.target)
    path, node = [], "__start__"
    while True:
        targets = edges.get(node, [])
        node = targets[0] if len(targets) == 1 else choices[node]
        if node == "__end__":
            return path
        path.append(node)


# A turn of small talk: no retrieval, no tool call, no summary.
SMALL_TALK = node_path({"router": "generate", "generate": "persist", "persist": "__end__"})
