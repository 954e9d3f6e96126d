"""Real embedded Postgres and Redis for the whole session (or external ones from the env)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from configs.settings import REPO_ROOT, Settings
from graph.builder import build_graph
from graph.resources import Resources
from knowledge.ingest import ingest_paths
from storage.services import EmbeddedServices, ServiceURLs

SAMPLE_KB = REPO_ROOT / "data" / "sample_kb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def service_urls() -> Iterator[ServiceURLs]:
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        yield ServiceURLs(os.environ["DATABASE_URL"], os.environ["REDIS_URL"])
        return
    # Under /tmp: pgserver makes the data dir's parents world-readable when run as root.
    data_dir = Path(tempfile.mkdtemp(prefix="memoria-test-"))
    services = EmbeddedServices(data_dir, redis_port=free_port())
    try:
        yield services.up()
    finally:
        services.down()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(service_urls: ServiceURLs) -> Settings:
    # Explicit None keys: tests never reach a network model, whatever the environment holds.
    return Settings(
        _env_file=None,
        database_url=service_urls.database_url,
        redis_url=service_urls.redis_url,
        openai_api_key=None,
        openai_base_url=None,
        cohere_api_key=None,
        langsmith_api_key=None,
        memoria_dev_user=None,
        # Tests drain the outbox explicitly (`resources.worker.drain()`), so they decide
        # when indexing happens; servers started by tests run the in-process worker.
        memoria_worker="off",
    )


@pytest.fixture(scope="session")
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with Resources(settings, use_default_chat_model=False) as res:
        yield res


@pytest.fixture(scope="session")
async def agent(resources: Resources):
    return build_graph(resources, checkpointer=resources.checkpointer)


@pytest.fixture(scope="session")
async def kb_tenant(resources: Resources) -> str:
    tenant = f"kb-{uuid.uuid4().hex[:8]}"
    report = await ingest_paths(
        pool=resources.pool, kb=resources.kb, tenant_id=tenant, paths=[SAMPLE_KB]
    )
    assert report.documents == len(list(SAMPLE_KB.iterdir()))
    return tenant


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


@pytest.fixture
def own_redis() -> EmbeddedServices:
    """A Redis of this test's own, so stopping it does not disturb other tests."""
    data_dir = Path(tempfile.mkdtemp(prefix="memoria-redis-"))
    services = EmbeddedServices(data_dir, redis_port=free_port())
    services.ensure_redis()
    try:
        yield services
    finally:
        services.stop_redis()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedServices]:
    """A Postgres of this test's own, so restarting it does not disturb other tests."""
    # Its own data dir means its own unix socket: pgserver listens on no TCP port.
    data_dir = Path(tempfile.mkdtemp(prefix="memoria-pg-"))
    services = EmbeddedServices(data_dir)
    services.ensure_postgres()
    try:
        yield services
    finally:
        services.stop_postgres()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server(service_urls: ServiceURLs) -> Iterator[ServerProcess]:
    """A default server (local mode, in-process worker) shared by a test module."""
    with ServerProcess(service_urls) as proc:
        yield proc
