"""The `bench` commands' handlers (speed; see BENCHMARKS.md): parsers in `cli.measure`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from configs.settings import get_settings


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


async def bench_write(args: argparse.Namespace) -> int:
    """Measure the write path and print its report."""
    from benchmarks.write import format_write_report, run_write_bench
    from graph.resources import Resources
    from memory.fact_extractors import offline_extractor

    inprocess = args.worker == "inprocess"
    settings = get_settings().model_copy(
        update={"memoria_worker": "inprocess" if inprocess else "off"}
    )
    async with (
        Resources(settings, worker=offline_extractor if inprocess else None) as res,
        _worker_process(args.worker == "process"),
        _turn_locks(res, args.turn_lock) as turn_locks,
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
            turn_locks=turn_locks,
        )
    data = report.as_dict()
    return _report(args, data, format_write_report(data))


@contextlib.asynccontextmanager
async def _turn_locks(res: Any, wanted: bool) -> AsyncIterator[Any]:
    """Yield turn locks connecting as `res`'s pool does (the HTTP API's), or None."""
    if not wanted:
        yield None
        return
    from psycopg import AsyncConnection

    from memory.turns import TurnLocks

    connect = functools.partial(AsyncConnection.connect, res.pool.conninfo, **res.pool.kwargs)
    locks = TurnLocks(connect, wait_s=res.settings.memoria_turn_wait_s)
    try:
        yield locks
    finally:
        await locks.aclose()


async def bench_suite(args: argparse.Namespace) -> int:
    """Run the benchmark suite and print its report."""
    from benchmarks.suite import SuiteConfig, run_suite
    from benchmarks.suite_report import format_suite_report
    from graph.resources import Resources
    from memory.fact_extractors import offline_extractor

    sizes = sorted({*args.sizes, *([1_000_000] if args.with_1m else [])})
    cfg = SuiteConfig(
        sizes=tuple(sizes),
        users=args.users,
        read_queries=args.read_queries,
        turns=args.turns,
        clients=tuple(args.clients),
        concurrency_seconds=args.seconds,
        keep=args.keep,
        bulk=args.bulk_seed or args.with_1m,
        tenant=args.tenant,
    )
    settings = get_settings().model_copy(update={"memoria_worker": "inprocess"})
    async with Resources(settings, worker=offline_extractor) as res:
        data = await run_suite(res, cfg, command=" ".join(["memoria", *sys.argv[1:]]))
    return _report(args, data, format_suite_report(data))


async def bench_seed(args: argparse.Namespace) -> int:
    """Grow a benchmark tenant in bulk and print what was added."""
    from benchmarks.seed import CHUNKS_PER_PAGE, SeedPlan, held, seed
    from benchmarks.suite import TENANT_PREFIX
    from graph.resources import Resources

    if not args.tenant.startswith(TENANT_PREFIX):
        raise ValueError(f"--tenant must start with {TENANT_PREFIX!r}: benchmark tenants only")
    async with Resources(get_settings()) as res:
        messages, pages = await held(res, args.tenant)
        plan = SeedPlan(
            tenant=args.tenant,
            messages=(messages, max(messages, args.messages + args.messages % 2)),
            pages=(pages, max(pages, -(-args.chunks // CHUNKS_PER_PAGE))),
            users=args.users,
            total_messages=args.messages,
        )
        report = await seed(res, plan)
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


async def bench_turns(args: argparse.Namespace) -> int:
    """Measure what a turn costs and print its report."""
    from benchmarks.turn_cost import CostConfig, format_cost_report, run_cost
    from graph.resources import Resources

    cfg = CostConfig(
        turns=args.turns,
        servers=args.servers,
        worker=args.worker,
        clients=tuple(args.clients),
        seconds=args.seconds,
        calls=args.calls,
    )
    # No worker here: seeding drains the outbox itself, and the servers' jobs stay theirs.
    async with Resources(get_settings()) as res:
        data = await run_cost(res, cfg, command=" ".join(["memoria", *sys.argv[1:]]))
    return _report(args, data, format_cost_report(data))


async def bench_thread(args: argparse.Namespace) -> int:
    """Run one long thread and print what it costs as it grows."""
    from benchmarks.long_thread import LongThreadConfig, format_long_thread_report, run_long_thread
    from graph.resources import Resources

    if min(args.milestones) <= args.window:
        raise ValueError("every milestone must be longer than --window")
    cfg = LongThreadConfig(milestones=tuple(sorted(args.milestones)), window=args.window)
    async with Resources(get_settings()) as res:
        data = await run_long_thread(res, cfg, command=" ".join(["memoria", *sys.argv[1:]]))
    return _report(args, data, format_long_thread_report(data))


def _report(args: argparse.Namespace, data: dict[str, Any], text: str) -> int:
    """Write `data` as JSON to `--out` when given, print `text`; the command's exit status."""
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    sys.stdout.write(text + "\n")
    return 0
