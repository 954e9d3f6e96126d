"""Real embedded Postgres and Redis for the whole session (or external ones from the env)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from configs.settings import Settings
from graph.builder import build_graph
from graph.resources import Resources
from knowledge.ingest import ingest_paths
from storage.services import EmbeddedServices, ServiceURLs
from tests.support import SAMPLE_KB, ServerProcess, free_port, http_client, served_api


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
        # Tests drain the outbox explicitly (`drain(resources)`), so they decide
        # when indexing happens; servers started by tests run the in-process worker.
        memoria_worker="off",
    )


@pytest.fixture(scope="session")
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with Resources(settings) as res:
        yield res


@pytest.fixture(scope="session")
async def agent(resources: Resources):
    return build_graph(resources, checkpointer=resources.storage.checkpointer)


@pytest.fixture(scope="session")
async def kb_tenant(resources: Resources) -> str:
    tenant = f"kb-{uuid.uuid4().hex[:8]}"
    kb = await resources.knowledge_base()
    report = await ingest_paths(pool=resources.pool, kb=kb, tenant_id=tenant, paths=[SAMPLE_KB])
    assert report.documents == len(list(SAMPLE_KB.iterdir()))
    return tenant


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
async def app(resources: Resources) -> AsyncIterator[FastAPI]:
    """The HTTP API in this process on the session's resources, its lifespan running.

    Configured as a test server is (local mode), with no worker: tests `drain` to index.
    """
    async with served_api(resources) as served:
        yield served


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of `app`, in this process."""
    async with http_client(app) as http:
        yield http


@pytest.fixture(scope="module")
def server(service_urls: ServiceURLs) -> Iterator[ServerProcess]:
    """A default server process (local mode, in-process worker) shared by a test module.

    For tests of the process itself; HTTP behaviour is tested in-process (`client`).
    """
    with ServerProcess(service_urls) as proc:
        yield proc
