"""The `memoria` command: embedded services, ingestion, and serving."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from configs.settings import get_settings


def _services(args: argparse.Namespace) -> int:
    from memory.services import EmbeddedServices, resolve_service_urls

    s = get_settings()
    services = EmbeddedServices(s.memoria_data_dir, redis_port=s.memoria_redis_port)
    if args.action == "up":
        urls = resolve_service_urls(
            s.database_url, s.redis_url, s.memoria_data_dir, s.memoria_redis_port
        )
        sys.stdout.write(f"DATABASE_URL={urls.database_url}\nREDIS_URL={urls.redis_url}\n")
    elif args.action == "down":
        services.down()
        sys.stdout.write("embedded services stopped\n")
    else:
        sys.stdout.write(json.dumps(services.status(), indent=2) + "\n")
    return 0


async def _ingest(paths: list[Path], tenant: str) -> int:
    from graph.resources import Resources
    from retrievers.ingest import ingest_paths

    async with Resources(get_settings(), use_default_chat_model=False) as res:
        report = await ingest_paths(
            pool=res.pool, kb=res.kb, tenant_id=tenant, paths=paths, progress=True
        )
    sys.stdout.write(
        f"tenant {tenant}: indexed {report.documents} documents ({report.chunks} chunks), "
        f"{len(report.unchanged)} unchanged\n"
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    s = get_settings()
    port = args.port or s.memoria_port
    sys.stdout.write(f"memoria: serving on http://{s.memoria_host}:{port} (docs at /docs)\n")
    sys.stdout.flush()
    uvicorn.run("server:app", host=s.memoria_host, port=port, log_level="info")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the memoria command line."""
    parser = argparse.ArgumentParser(
        prog="memoria",
        description="memoria: a LangGraph agent that answers from a knowledge base and "
        "remembers its users. Settings come from the environment (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    svc = sub.add_parser(
        "services",
        help="start, stop or inspect the embedded Postgres and Redis",
        description="Embedded Postgres (pgvector, pg_trgm) and Redis (Search, JSON) under "
        "MEMORIA data dir. With DATABASE_URL/REDIS_URL set, 'up' starts nothing for them.",
    )
    svc.add_argument("action", choices=["up", "down", "status"])

    ing = sub.add_parser(
        "ingest",
        help="index .txt/.md/.html files into a tenant's knowledge base",
        description="Load, chunk, embed and index files (directories are searched "
        "recursively). Unchanged files are skipped; changed files replace their chunks.",
    )
    ing.add_argument("paths", nargs="+", type=Path, help="files or directories")
    ing.add_argument("--tenant", default=None, help="tenant id (default: MEMORIA_DEFAULT_TENANT)")

    srv = sub.add_parser("serve", help="serve the HTTP API (LangServe-style /agent endpoints)")
    srv.add_argument("--port", type=int, default=None, help="port (default: MEMORIA_PORT, 8080)")

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "services":
        return _services(args)
    if args.command == "ingest":
        tenant = args.tenant or get_settings().memoria_default_tenant
        try:
            return asyncio.run(_ingest(args.paths, tenant))
        except ValueError as exc:
            sys.stderr.write(f"memoria ingest: {exc}\n")
            return 2
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
