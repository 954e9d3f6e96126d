"""The `memoria` command: services, ingestion, serving, the outbox worker, forgetting, eval."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from configs import logs
from configs.settings import get_settings


def _services(args: argparse.Namespace) -> int:
    from storage.services import EmbeddedServices, resolve_service_urls

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
    from knowledge.ingest import ingest_paths

    async with Resources(get_settings(), use_default_chat_model=False) as res:
        report = await ingest_paths(
            pool=res.pool, kb=res.kb, tenant_id=tenant, paths=paths, progress=True
        )
    sys.stdout.write(
        f"tenant {tenant}: indexed {report.documents} documents ({report.chunks} chunks), "
        f"{len(report.unchanged)} unchanged\n"
    )
    return 0


async def _eval_locomo(args: argparse.Namespace) -> int:
    from evals.locomo import format_report, load_jsonl_benchmark, load_locomo10, run_eval
    from graph.resources import Resources

    if args.locomo:
        turns, queries = load_locomo10(args.locomo)
    else:
        turns, queries = load_jsonl_benchmark(args.turns, args.queries)
    # run_eval checks the data before opening anything, so bad input fails in milliseconds.
    res = Resources(get_settings(), use_default_chat_model=False)
    try:
        report = await run_eval(
            res,
            turns,
            queries,
            out_path=args.out,
            method=args.method,
            limit_queries=args.limit_queries,
            keep=args.keep,
            knobs=dict(args.set),
        )
    finally:
        await res.aclose()
    sys.stdout.write(format_report(report) + "\n")
    return 0


@contextlib.asynccontextmanager
async def _worker_process(start: bool) -> AsyncIterator[None]:
    """Run `memoria worker` in a child process for the block (when `start`)."""
    if not start:
        yield
        return
    cmd = [sys.executable, "-c", "import sys, cli; sys.exit(cli.main(['worker']))"]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
        if not ready.startswith(b"memoria worker:"):
            raise RuntimeError("the worker process did not start; see its log above")
        yield
    finally:
        proc.terminate()
        await proc.wait()


async def _bench_write(args: argparse.Namespace) -> int:
    from benchmarks.write import format_write_report, run_write_bench
    from graph.resources import Resources

    inprocess = args.worker == "inprocess"
    settings = get_settings().model_copy(
        update={"memoria_worker": "inprocess" if inprocess else "off"}
    )
    async with (
        Resources(settings, use_default_chat_model=False) as res,
        _worker_process(args.worker == "process"),
    ):
        report = await run_write_bench(
            res,
            turns=args.turns,
            users=args.users,
            threads_per_user=args.threads,
            rate=args.rate,
            worker={"inprocess": "in-process", "process": "memoria worker process"}.get(
                args.worker, "off"
            ),
        )
    data = report.as_dict()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    sys.stdout.write(format_write_report(data) + "\n")
    return 0


async def _bench_suite(args: argparse.Namespace) -> int:
    from benchmarks.suite import SuiteConfig, format_suite_report, run_suite
    from graph.resources import Resources

    sizes = sorted({*args.sizes, *([1_000_000] if args.with_1m else [])})
    cfg = SuiteConfig(
        sizes=tuple(sizes),
        users=args.users,
        read_queries=args.read_queries,
        turns=args.turns,
        clients=tuple(args.clients),
        concurrency_seconds=args.seconds,
        keep=args.keep,
    )
    settings = get_settings().model_copy(update={"memoria_worker": "inprocess"})
    async with Resources(settings, use_default_chat_model=False) as res:
        data = await run_suite(res, cfg, command=" ".join(["memoria", *sys.argv[1:]]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    sys.stdout.write(format_suite_report(data) + "\n")
    return 0


def _admin_resources():  # noqa: ANN202 - graph.resources.Resources, imported lazily
    """Resources for a one-off admin command: no outbox worker, no chat model."""
    from graph.resources import Resources

    settings = get_settings().model_copy(update={"memoria_worker": "off"})
    return Resources(settings, use_default_chat_model=False)


async def _keys(args: argparse.Namespace) -> int:
    async with _admin_resources() as res:
        if args.action == "create":
            key_id, key = await res.api_keys.create(args.tenant, args.name)
            sys.stdout.write(
                f"key {key_id} for tenant {args.tenant} (shown once; store it now):\n{key}\n"
            )
        elif args.action == "list":
            for info in await res.api_keys.list(args.tenant):
                state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
                sys.stdout.write(
                    f"{info.id}  {info.tenant_id}  {state}  created {info.created_at:%Y-%m-%d}"
                    f"  {info.name}\n"
                )
        elif not await res.api_keys.revoke(args.key_id):
            raise ValueError(f"no active key with id {args.key_id!r}")
        else:
            sys.stdout.write(f"key {args.key_id} revoked\n")
    return 0


async def _worker(args: argparse.Namespace) -> int:
    from graph.resources import Resources

    # This process is the worker: no second in-process worker next to it.
    settings = get_settings().model_copy(update={"memoria_worker": "off"})
    async with Resources(settings) as res:
        if args.drain:
            n = await res.worker.drain()
            sys.stdout.write(f"outbox drained: {n} jobs processed\n")
            return 0
        sys.stdout.write("memoria worker: draining the outbox (Ctrl-C to stop)\n")
        sys.stdout.flush()
        await res.worker.run_forever()
    return 0


async def _forget(args: argparse.Namespace) -> int:
    from storage.identity import Identity, validate_id

    s = get_settings()
    tenant = validate_id("tenant_id", args.tenant or s.memoria_default_tenant)
    user = validate_id("user_id", args.user)
    async with _admin_resources() as res:
        if args.thread:
            ident = Identity(tenant, user, validate_id("thread_id", args.thread))
            receipt = await res.forgetter.delete_thread(ident)
        else:
            receipt = await res.forgetter.forget_user(tenant, user)
    sys.stdout.write(json.dumps(receipt.as_dict(), indent=2) + "\n")
    return 0


async def _purge(args: argparse.Namespace) -> int:
    s = get_settings()
    days = args.days or s.memoria_retention_days
    if days is None:
        raise ValueError("no retention period: pass --days N or set MEMORIA_RETENTION_DAYS")
    async with _admin_resources() as res:
        receipt = await res.forgetter.purge(days)
    sys.stdout.write(json.dumps(receipt.as_dict(), indent=2) + "\n")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _knob(text: str) -> tuple[str, object]:
    """Parse KNOB=VALUE into a Context field and a value of that field's type."""
    from dataclasses import fields

    from graph.context import Context

    name, sep, raw = text.partition("=")
    kinds = {f.name: f.default for f in fields(Context)}
    if not sep or name not in kinds:
        raise argparse.ArgumentTypeError(f"expected KNOB=VALUE with KNOB one of {sorted(kinds)}")
    default = kinds[name]
    if isinstance(default, bool):
        if raw.lower() not in ("true", "false"):
            raise argparse.ArgumentTypeError(f"{name} takes true or false")
        return name, raw.lower() == "true"
    if isinstance(default, int | float):
        try:
            return name, type(default)(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{name} takes a number") from exc
    return name, raw


def _chat(args: argparse.Namespace) -> int:
    from cli.chat import run_chat

    s = get_settings()
    url = args.url or f"http://{s.memoria_host}:{s.memoria_port}"
    return run_chat(url, user_id=args.user, thread_id=args.thread, api_key=args.key)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    s = get_settings()
    port = args.port or s.memoria_port
    sys.stdout.write(f"memoria: serving on http://{s.memoria_host}:{port} (docs at /docs)\n")
    sys.stdout.flush()
    # log_config=None: uvicorn's loggers go through the handler `main` set up.
    uvicorn.run("server:app", host=s.memoria_host, port=port, log_config=None)
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
        help="index .txt/.md/.html/.pdf files into a tenant's knowledge base",
        description="Load, chunk, embed and index files (directories are searched "
        "recursively), showing the files done and the current file's chunks indexed. "
        "Unchanged files are skipped; changed files replace their chunks.",
    )
    ing.add_argument("paths", nargs="+", type=Path, help="files or directories")
    ing.add_argument("--tenant", default=None, help="tenant id (default: MEMORIA_DEFAULT_TENANT)")

    srv = sub.add_parser("serve", help="serve the HTTP API (LangServe-style /agent endpoints)")
    srv.add_argument("--port", type=int, default=None, help="port (default: MEMORIA_PORT, 8080)")

    cht = sub.add_parser(
        "chat",
        help="chat with a running server in the terminal (streamed answers, strategy, citations)",
        description="A REPL over the server's /agent/stream: each line you type is a turn of "
        "one thread; the strategy chosen is printed, then the answer as the server's LLM writes "
        "it (the offline responder's answer appears whole), then the sources it cites. "
        "Start the server first (`make run`). Ctrl-D leaves; --thread continues a thread.",
    )
    cht.add_argument("--user", required=True, help="your user id")
    cht.add_argument("--thread", default=None, help="thread id to continue (default: a new one)")
    cht.add_argument("--url", default=None, help="server URL (default: MEMORIA_HOST:MEMORIA_PORT)")
    cht.add_argument("--key", default=None, help="API key, when the server requires one")

    wrk = sub.add_parser(
        "worker",
        help="drain the outbox (indexing, fact extraction) outside the server",
        description="Process outbox jobs of acknowledged turns: embed and index messages, record "
        "the facts users state, retire cached retrievals. Run any number of workers (jobs are "
        "claimed with SKIP LOCKED); set MEMORIA_WORKER=off on servers that should not drain.",
    )
    wrk.add_argument("--drain", action="store_true", help="process what is queued, then exit")

    fgt = sub.add_parser(
        "forget",
        help="delete a user's memory (or one thread) from every store, with a receipt",
        description="Delete chat history, checkpoints, message index, outbox jobs, summaries, "
        "strategy log, facts and Redis copies of one user (or one of their threads). Prints a "
        "receipt with the count removed per store.",
    )
    fgt.add_argument("--user", required=True, help="user id")
    fgt.add_argument("--tenant", default=None, help="tenant id (default: MEMORIA_DEFAULT_TENANT)")
    fgt.add_argument("--thread", default=None, help="only this thread of the user")

    prg = sub.add_parser(
        "purge",
        help="apply the retention period: delete threads idle for N days",
        description="Delete every thread (in every store) not used for N days, fact history "
        "closed more than N days ago, and older strategy-log rows. Prints a receipt.",
    )
    prg.add_argument("--days", type=int, default=None, help="default: MEMORIA_RETENTION_DAYS")

    ev = sub.add_parser("eval", help="measure retrieval on a benchmark")
    ev_sub = ev.add_subparsers(dest="benchmark", required=True)
    loc = ev_sub.add_parser(
        "locomo",
        help="LoCoMo turn-level evidence retrieval (recall@k, MRR, latency)",
        description="Ingest each conversation as one user of a fresh eval tenant through the "
        "write path, rank each question's turns (memoria: router -> retrieve -> rerank; or a "
        "BM25 / dense baseline over the same indexed texts), write one JSON line per query, "
        "print recall@k, hit@k and MRR as the benchmark's score.py defines them, then delete "
        "the tenant. Adversarial questions (category 5) are skipped.",
    )
    loc.add_argument("--turns", type=Path, help="turns.jsonl (with --queries)")
    loc.add_argument("--queries", type=Path, help="queries.jsonl (with --turns)")
    loc.add_argument("--locomo", type=Path, help="official locomo10.json instead of the jsonl pair")
    loc.add_argument("--out", type=Path, required=True, help="results.jsonl to write")
    loc.add_argument("--method", choices=["memoria", "bm25", "dense"], default="memoria")
    loc.add_argument("--limit-queries", type=int, default=None, metavar="N", help="first N only")
    loc.add_argument("--keep", action="store_true", help="keep the eval tenant's rows")
    loc.add_argument(
        "--set",
        action="append",
        default=[],
        type=_knob,
        metavar="KNOB=VALUE",
        help="override a run knob of the read path, e.g. --set rerank=false --set fusion=rrf",
    )

    keys = sub.add_parser(
        "keys",
        help="create, list and revoke API keys (each key maps to one tenant)",
        description="With MEMORIA_AUTH=auto (the default) the server requires a key as soon as "
        "one exists. Keys are shown once, at creation; only their SHA-256 is stored.",
    )
    keys_sub = keys.add_subparsers(dest="action", required=True)
    kc = keys_sub.add_parser("create", help="create a key for a tenant and print it once")
    kc.add_argument("--tenant", required=True, help="the tenant the key acts in")
    kc.add_argument("--name", default="", help="a label, e.g. the client application")
    kl = keys_sub.add_parser("list", help="list keys (ids, tenants, state; never secrets)")
    kl.add_argument("--tenant", default=None, help="only this tenant's keys")
    kr = keys_sub.add_parser("revoke", help="revoke a key by its id")
    kr.add_argument("key_id", help="the id printed by create/list")

    bench = sub.add_parser("bench", help="measure the product's speed (see BENCHMARKS.md)")
    bench_sub = bench.add_subparsers(dest="benchmark", required=True)
    bw = bench_sub.add_parser(
        "write",
        help="write acknowledgement and outbox lag",
        description="Store turns at a fixed rate across many users and threads as persist does; "
        "report percentiles of the acknowledgement (one durable commit) and of the outbox lag "
        "(until the message is indexed and recallable). Uses a fresh tenant, deleted after.",
    )
    bw.add_argument("--turns", type=_positive, default=1000, help="measured turns (default 1000)")
    bw.add_argument("--users", type=_positive, default=20, help="users (default 20)")
    bw.add_argument("--threads", type=_positive, default=5, help="threads per user (default 5)")
    bw.add_argument(
        "--rate", type=float, default=20.0, help="turns per second offered; 0 = unthrottled"
    )
    bw.add_argument(
        "--worker",
        choices=["inprocess", "process", "off"],
        default="inprocess",
        help="outbox worker in this process (default, as `memoria serve` runs it), in a "
        "`memoria worker` child process (scale-out), or off (acknowledgement alone)",
    )
    bw.add_argument("--out", type=Path, default=None, help="also write the report as JSON here")
    bs = bench_sub.add_parser(
        "suite",
        help="seeded read path, HTTP turns, 1/8/32 clients, growth and ingestion",
        description="Grow one fresh tenant to each size (stored messages across users and "
        "threads, through the write path and the outbox worker; a knowledge base of 1 chunk "
        "per 5 messages, through ingestion). At each size time the read path for new "
        "questions, whole turns over HTTP (a server process on loopback, offline responder), "
        "and closed-loop concurrent clients. Then ingest the same pages into a second tenant "
        "to measure the embedding cache. Prints markdown tables; the tenant is deleted after. "
        "Seeding 100k messages takes ~15 min on 2 cores.",
    )
    bs.add_argument(
        "--sizes",
        type=lambda text: [_positive(v) for v in text.split(",")],
        default=[10_000, 100_000],
        help="stored-message counts, comma-separated (default 10000,100000)",
    )
    bs.add_argument("--with-1m", action="store_true", help="also grow to 1,000,000 messages")
    bs.add_argument("--users", type=_positive, default=100, help="users (default 100)")
    bs.add_argument(
        "--read-queries", type=_positive, default=300, help="read-path questions per size"
    )
    bs.add_argument(
        "--turns", type=_positive, default=200, help="single-client HTTP turns per size"
    )
    bs.add_argument(
        "--clients",
        type=lambda text: [_positive(v) for v in text.split(",")],
        default=[1, 8, 32],
        help="concurrent client counts (default 1,8,32)",
    )
    bs.add_argument(
        "--seconds", type=float, default=20.0, help="seconds per concurrency level (default 20)"
    )
    bs.add_argument("--keep", action="store_true", help="keep the benchmark tenant's rows")
    bs.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")

    args = parser.parse_args(argv)
    if args.command == "eval":
        if args.locomo and (args.turns or args.queries):
            parser.error("eval locomo: give --locomo or --turns/--queries, not both")
        if not args.locomo and not (args.turns and args.queries):
            parser.error("eval locomo: give --turns and --queries (or --locomo)")
        if args.limit_queries is not None and args.limit_queries < 1:
            parser.error("eval locomo: --limit-queries must be at least 1")
    logs.configure(get_settings().memoria_log_format)
    if args.command == "services":
        return _services(args)
    if args.command == "chat":
        return _chat(args)
    if args.command == "ingest":
        tenant = args.tenant or get_settings().memoria_default_tenant
        try:
            return asyncio.run(_ingest(args.paths, tenant))
        except ValueError as exc:
            sys.stderr.write(f"memoria ingest: {exc}\n")
            return 2
    handlers = {
        "worker": _worker,
        "forget": _forget,
        "purge": _purge,
        "bench": lambda a: _bench_suite(a) if a.benchmark == "suite" else _bench_write(a),
        "keys": _keys,
    }
    if args.command in handlers:
        try:
            return asyncio.run(handlers[args.command](args))
        except ValueError as exc:
            sys.stderr.write(f"memoria {args.command}: {exc}\n")
            return 2
        except KeyboardInterrupt:
            return 0
    if args.command == "eval":
        try:
            return asyncio.run(_eval_locomo(args))
        except (ValueError, OSError) as exc:
            sys.stderr.write(f"memoria eval locomo: {exc}\n")
            return 2
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
