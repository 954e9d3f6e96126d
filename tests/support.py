"""What tests share: free ports, fresh ids, server processes, in-process apps, draining.

Fixtures live in conftest.py files; the helpers they and the tests use live here.
"""

from __future__ import annotations

import asyncio
import io
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
import requests
import urllib3
import uvicorn
from fastapi import FastAPI
from langchain_core.documents import Document
from langchain_core.messages import AIMessage
from langserve import RemoteRunnable

from access.api_keys import ApiKeys
from api import create_app
from configs.settings import REPO_ROOT, Settings
from graph.resources import Resources
from knowledge.ingest import index_document
from knowledge.reading import Prepared
from memory.fact_extractors import offline_extractor
from storage.services import ServiceURLs
from storage.tenancy import ALL_TENANTS, tenant_scope
from tests.fakes import StreamingScriptedChatModel

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

# How a test server differs from a default one, in-process or not. Auth off: keys other
# tests create in the shared database must not lock these servers (tests of auth use a
# database of their own).
TEST_SERVER_SETTINGS: dict[str, Any] = {
    "memoria_max_message_chars": 2000,
    "memoria_auth": "off",
}


class ServerProcess:
    """`uvicorn server:app` in a child process, restartable, on the test services."""

    def __init__(self, urls: ServiceURLs, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COHERE_"))}
        defaults = {name.upper(): str(value) for name, value in TEST_SERVER_SETTINGS.items()}
        defaults["LANGSMITH_TRACING"] = "false"
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
        return httpx.post(f"{self.url}/agent/invoke", json=turn_body(text, config), timeout=60)


def turn_body(text: str, config: dict) -> dict:
    """Return the body of `POST /agent/invoke` (or `/agent/stream`) for one human message."""
    return {"input": {"messages": [{"type": "human", "content": text}]}, "config": config}


def resources_like(res: Resources, **settings: Any) -> Resources:
    """Return unopened resources like `res` but for `settings`, on the same embedding model.

    A second set (another database, another Redis, tracing on) costs pools and a migration
    check: no model load, no server process.
    """
    changed = res.settings.model_copy(update=settings)
    return Resources(changed, embeddings=res.embeddings.inner)


def api_app(res: Resources, **settings: Any) -> FastAPI:
    """Return the HTTP API over `res` (left open at shutdown), offline, as a test server is.

    `settings` change what the app reads (auth, limits, the default tenant); what `res`
    reads (its database, Redis, tracing) comes from `res.settings`. No outbox worker runs:
    tests index turns with `drain`.
    """
    changed: Settings = res.settings.model_copy(update={**TEST_SERVER_SETTINGS, **settings})
    return create_app(changed, resources=res, chat_model=None)


@asynccontextmanager
async def served_api(res: Resources, **settings: Any) -> AsyncIterator[FastAPI]:
    """Yield `api_app(res, **settings)` with its lifespan running (a module's `app` fixture)."""
    app = api_app(res, **settings)
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def streaming_app(res: Resources, tenant: str, answer: str) -> AsyncIterator[FastAPI]:
    """Yield the API in local mode acting in `tenant`, whose model streams `answer` word by word.

    For tests of token streaming (the scripted model is the one fake allowed); its lifespan
    runs around the block.
    """
    local = res.settings.model_copy(
        update={"memoria_auth": "off", "memoria_default_tenant": tenant}
    )
    model = StreamingScriptedChatModel(script=[AIMessage(answer)])
    app = create_app(local, resources=res, chat_model=model)
    async with app.router.lifespan_context(app):
        yield app


async def drain(res: Resources) -> int:
    """Index every queued turn now, as a worker with the offline fact rules would."""
    return await res.outbox_worker(offline_extractor).drain()


BASE_URL = "http://memoria"


def http_client(app: FastAPI, **kwargs: Any) -> httpx.AsyncClient:
    """Return an HTTP client of `app` in this process; the caller runs the app's lifespan."""
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60, **kwargs)


@asynccontextmanager
async def asgi_client(app: FastAPI, **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Yield an HTTP client of `app` in this process, its lifespan run around the block."""
    async with app.router.lifespan_context(app), http_client(app, **kwargs) as client:
        yield client


@asynccontextmanager
async def socket_server(app: FastAPI, **options: Any) -> AsyncIterator[str]:
    """Serve `app` over a real socket on this event loop; yield its URL.

    For clients that need a URL (a browser, `memoria chat`) of an app in this process, whose
    lifespan the caller runs. Blocking calls in the test would block the server too.
    `options` are uvicorn's (e.g. how it parses requests).
    """
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), lifespan="off", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "uvicorn exited during startup"
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


class AsgiAdapter(requests.adapters.HTTPAdapter):
    """Hand a `requests.Session`'s requests to an app in this process instead of a socket.

    For sync callers (schemathesis's generated tests): each request runs `loop`, the app's
    event loop, until the app has answered, so it must be idle, as it is during a sync test.
    Requests prepares each request as it would for a socket; only the wire is skipped.
    """

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._client = client
        self._loop = loop

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        """Send `request` to the app; return its answer as requests would from a socket."""
        body = request.body.encode() if isinstance(request.body, str) else request.body
        # As http.client would put them on the wire: latin-1, whatever requests let through.
        headers = [
            (name.encode("latin-1"), value.encode("latin-1") if isinstance(value, str) else value)
            for name, value in request.headers.items()
        ]
        sent = self._client.request(request.method, request.url, headers=headers, content=body)
        reply = self._loop.run_until_complete(sent)
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(reply.content),
            headers=reply.headers.multi_items(),
            status=reply.status_code,
            reason=reply.reason_phrase,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)


class _AsgiOnlyTransport(httpx.ASGITransport):
    """An ASGI transport a sync client can hold: `RemoteRunnable` gives both of its clients
    the same one, and closes the sync client when it is collected."""

    def close(self) -> None:
        """Nothing to close: the app runs in this process."""


def remote_runnable(app: FastAPI, path: str = "/agent/", **kwargs: Any) -> RemoteRunnable:
    """Return LangServe's client of the runnable `app` serves at `path`, in this process.

    Only its async methods (`ainvoke`, `astream`, `abatch`) reach the app: the sync ones
    would need a socket. The caller runs the app's lifespan.
    """
    transport = _AsgiOnlyTransport(app=app)
    return RemoteRunnable(BASE_URL + path, client_kwargs={"transport": transport}, **kwargs)


def node_path(choices: dict[str, str]) -> list[str]:
    """Return the nodes a turn passes through, taking each branch as `choices` says.

    Derived from the built graph, so a node added on the way shows up here without editing
    tests; `choices` names only where the turn goes at each conditional edge.
    """
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


async def mint_key(pool: Any, tenant: str, name: str = "") -> tuple[str, str]:
    """Create a key for `tenant` as an operator does (`memoria keys create`, any tenant)."""
    with tenant_scope(ALL_TENANTS):
        return await ApiKeys(pool).create(tenant, name)


async def revoke_key(pool: Any, key_id: str) -> bool:
    """Revoke a key as an operator does (`memoria keys revoke`)."""
    with tenant_scope(ALL_TENANTS):
        return await ApiKeys(pool).revoke(key_id)


async def index_texts(res: Resources, tenant: str, source: str, texts: list[str]) -> None:
    """Index `texts` as the chunks of one document, through ingestion's own write."""
    prepared = Prepared(
        metadata={"source": source, "title": source, "format": "text"},
        digest=uuid.uuid4().hex,
        chunks=[
            Document(t, metadata={"chunk_index": i, "title": source}) for i, t in enumerate(texts)
        ],
    )
    kb = await res.knowledge_base()
    await index_document(pool=res.pool, kb=kb, tenant_id=tenant, prepared=prepared, source=source)
