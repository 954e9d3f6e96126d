"""Commands that run memoria: embedded services, the server, outbox workers, ingestion."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from cli.measure import positive
from configs.settings import get_settings


def register(sub: Any) -> None:
    """Add `services`, `serve`, `worker` and `ingest`."""
    svc = sub.add_parser(
        "services",
        help="start, stop or inspect the embedded Postgres and Redis",
        description="Embedded Postgres (pgvector, pg_trgm) and Redis (Search, JSON) under "
        "MEMORIA data dir. With DATABASE_URL/REDIS_URL set, 'up' starts nothing for them.",
    )
    svc.add_argument("action", choices=["up", "down", "status"])
    svc.set_defaults(run=services)

    srv = sub.add_parser("serve", help="serve the HTTP API (LangServe-style /agent endpoints)")
    srv.add_argument("--port", type=int, default=None, help="port (default: MEMORIA_PORT, 8080)")
    srv.add_argument(
        "--workers",
        type=positive,
        default=1,
        help="server processes sharing the port (uvicorn workers; default 1). Every process "
        "is stateless: threads, locks, limits and the outbox live in Postgres and Redis",
    )
    srv.set_defaults(run=serve)

    wrk = sub.add_parser(
        "worker",
        help="drain the outbox (indexing, fact extraction) outside the server",
        description="Process outbox jobs of acknowledged turns: embed and index messages, record "
        "the facts users state, retire cached retrievals. Run any number of workers (jobs are "
        "claimed with SKIP LOCKED); set MEMORIA_WORKER=off on servers that should not drain. "
        "A worker takes only the jobs it can do as well as the turn's own process would: one "
        "without an LLM leaves the jobs of turns served with an LLM to a worker that has one.",
    )
    wrk.add_argument("--drain", action="store_true", help="process what is queued, then exit")
    wrk.add_argument(
        "--concurrency",
        type=positive,
        default=1,
        help="batches processed at once by this process (default 1): one embeds while others "
        "wait on Postgres; for more cores, run more worker processes",
    )
    wrk.set_defaults(run=lambda args: asyncio.run(worker(args)))

    ing = sub.add_parser(
        "ingest",
        help="index .txt/.md/.html/.pdf files into a tenant's knowledge base",
        description="Load, chunk, embed and index files (directories are searched "
        "recursively), showing the files done and the current file's chunks indexed. "
        "Unchanged files are skipped; changed files replace their chunks.",
    )
    ing.add_argument("paths", nargs="+", type=Path, help="files or directories")
    ing.add_argument("--tenant", default=None, help="tenant id (default: MEMORIA_DEFAULT_TENANT)")
    ing.set_defaults(run=lambda args: asyncio.run(ingest(args)))


def services(args: argparse.Namespace) -> int:
    """Start, stop or report the embedded services."""
    from storage.services import EmbeddedServices, resolve_service_urls

    s = get_settings()
    embedded = EmbeddedServices(s.memoria_data_dir, redis_port=s.memoria_redis_port)
    if args.action == "up":
        urls = resolve_service_urls(
            s.database_url, s.redis_url, s.memoria_data_dir, s.memoria_redis_port
        )
        sys.stdout.write(f"DATABASE_URL={urls.database_url}\nREDIS_URL={urls.redis_url}\n")
    elif args.action == "down":
        embedded.down()
        sys.stdout.write("embedded services stopped\n")
    else:
        sys.stdout.write(json.dumps(embedded.status(), indent=2) + "\n")
    return 0


def serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API with uvicorn until stopped."""
    import uvicorn

    s = get_settings()
    port = args.port or s.memoria_port
    if args.workers > 1:
        asyncio.run(_prepare_workers())
    url = f"http://{s.memoria_host}:{port}"
    processes = f", {args.workers} processes" if args.workers > 1 else ""
    threading.Thread(target=announce_when_ready, args=(url, processes), daemon=True).start()
    # log_config=None: uvicorn's loggers go through the handler `main` set up.
    uvicorn.run(
        "server:app",
        host=s.memoria_host,
        port=port,
        log_config=None,
        workers=args.workers,
        **HTTP_OPTIONS,
    )
    return 0


def announce_when_ready(url: str, processes: str = "", poll_s: float = 0.2) -> None:
    """Print where memoria serves once its `/readyz` answers 200 (Postgres reachable).

    The lifespan opens pools and loads the embedding model first: a URL printed before that
    would be refused. urllib, not httpx: httpx would log every poll.
    """
    probe = url.replace("://0.0.0.0:", "://127.0.0.1:").replace("://[::]:", "://[::1]:")
    while True:
        try:
            with urllib.request.urlopen(f"{probe}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:  # refused while starting, or 503 until Postgres answers
            pass
        time.sleep(poll_s)
    sys.stdout.write(f"memoria: serving on {url}{processes} (chat page at /, docs at /docs)\n")
    sys.stdout.flush()


async def _prepare_workers() -> None:
    """Start the embedded services and migrate once, before the server processes start.

    Each process would otherwise race the others to start the same embedded Postgres and to
    create LangGraph's tables. They inherit the services' URLs through the environment.
    """
    import os

    from storage.database import Storage

    async with Storage(get_settings()) as storage:
        os.environ.setdefault("DATABASE_URL", storage.urls.database_url)
        os.environ.setdefault("REDIS_URL", storage.urls.redis_url)
    get_settings.cache_clear()


# How uvicorn parses requests. httptools, its default, buffers a request's head however long
# it is; h11 stops at `h11_max_incomplete_event_size` (answering 400 and closing). Heads up to
# that size reach the app, whose HeadLimit answers those over its limits with 431 or 414.
HTTP_OPTIONS = {"http": "h11", "h11_max_incomplete_event_size": 4 * 1024 * 1024}


async def worker(args: argparse.Namespace) -> int:
    """Drain the outbox with the configured chat model's fact extractor (rules without one)."""
    from configs.chat_models import build_chat_model
    from graph.resources import Resources
    from memory import retention
    from memory.fact_extractors import extractor_for

    settings = get_settings()
    async with Resources(settings) as res:
        outbox = res.outbox_worker(extractor_for(build_chat_model(settings)))
        if args.drain:
            n = await outbox.drain()
            sys.stdout.write(f"outbox drained: {n} jobs processed\n")
            return 0
        sys.stdout.write(
            f"memoria worker: draining the outbox with {outbox.extractor.name} facts, "
            f"{args.concurrency} at a time (Ctrl-C to stop)\n"
        )
        sys.stdout.flush()
        # Retention policies (MEMORIA_PRIVACY) run on the worker's schedule too.
        async with retention.running(res.retention, settings.memoria_retention_interval_s):
            await outbox.run_forever(concurrency=args.concurrency)
    return 0


async def ingest(args: argparse.Namespace) -> int:
    """Index files into a tenant's knowledge base."""
    from graph.resources import Resources
    from knowledge.ingest import ingest_paths

    tenant = args.tenant or get_settings().memoria_default_tenant
    async with Resources(get_settings()) as res:
        report = await ingest_paths(
            pool=res.pool,
            kb=await res.knowledge_base(),
            tenant_id=tenant,
            paths=args.paths,
            progress=True,
        )
    sys.stdout.write(
        f"tenant {tenant}: indexed {report.documents} documents ({report.chunks} chunks), "
        f"{len(report.unchanged)} unchanged\n"
    )
    return 0
