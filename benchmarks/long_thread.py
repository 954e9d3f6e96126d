"""One long thread: what a turn costs and what its state and summaries weigh as it grows.

A thread that runs for thousands of turns must not make each turn carry its whole past. This
drives the graph in-process (offline responder, offline summariser, the HTTP API's checkpoint
durability) for `turns` turns on one thread of a fresh tenant, indexing what it stores every
`drain_every` turns outside the timed part, as a worker would. At each milestone it reports,
over the `window` turns before it:

- turn wall time (p50/p95), this process's CPU per turn (p50/p95) and Postgres's CPU per turn
  (its processes alive when the window starts);
- the latest checkpoint as the next turn reads it (the checkpoint row and its channels' blobs,
  the largest channels by name), the bytes the window wrote to the checkpoint tables per turn,
  and all the thread's rows there (LangGraph keeps every checkpoint);
- the thread's `memory_summaries`: rows, the latest row's bytes and all rows' bytes.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from benchmarks.corpus import message_text, question_text
from benchmarks.suite import TENANT_PREFIX
from benchmarks.turn_cost import _cpu_s, _postgres_pids
from benchmarks.write import machine, summarise
from evals.locomo import delete_tenant
from graph.builder import build_graph
from graph.context import Context
from graph.resources import Resources
from memory.fact_extractors import offline_extractor
from storage.tenancy import ALL_TENANTS, tenant_connection

logger = logging.getLogger(__name__)

# The checkpoint the next turn reads: its row, and each channel's blob at the current version.
LATEST_CHECKPOINT = """
    WITH latest AS (
        SELECT checkpoint FROM checkpoints WHERE thread_id = %(thread)s AND checkpoint_ns = ''
        ORDER BY checkpoint_id DESC LIMIT 1
    )
    SELECT '(checkpoint row)' AS channel, octet_length(checkpoint::text) AS bytes FROM latest
    UNION ALL
    SELECT b.channel, octet_length(b.blob) FROM latest
    JOIN LATERAL jsonb_each_text(latest.checkpoint -> 'channel_versions') v ON true
    JOIN checkpoint_blobs b ON b.thread_id = %(thread)s AND b.checkpoint_ns = ''
        AND b.channel = v.key AND b.version = v.value
"""
# Everything the thread has written to LangGraph's checkpoint tables so far.
CHECKPOINT_TABLE_BYTES = """
    SELECT (SELECT coalesce(sum(pg_column_size(c.*)), 0) FROM checkpoints c
            WHERE thread_id = %(thread)s)
         + (SELECT coalesce(sum(pg_column_size(b.*)), 0) FROM checkpoint_blobs b
            WHERE thread_id = %(thread)s)
         + (SELECT coalesce(sum(pg_column_size(w.*)), 0) FROM checkpoint_writes w
            WHERE thread_id = %(thread)s) AS bytes
"""
SUMMARY_ROWS = """
    SELECT count(*) AS rows, coalesce(sum(pg_column_size(s.*)), 0) AS total_bytes,
           coalesce((array_agg(pg_column_size(s.*) ORDER BY id DESC))[1], 0) AS latest_bytes
    FROM memory_summaries s WHERE tenant_id = %(tenant)s AND thread_id = %(thread)s
"""


@dataclass(frozen=True)
class LongThreadConfig:
    """How long the thread runs, where to report, and how the window is kept."""

    milestones: tuple[int, ...] = (200, 1000, 3000)
    window: int = 50
    drain_every: int = 20
    question_every: int = 3
    seed: int = 7


async def _one(res: Resources, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    async with tenant_connection(res.pool, ALL_TENANTS) as conn:
        return await (await conn.execute(query, params)).fetchall()


async def _sizes(res: Resources, params: dict[str, Any]) -> dict[str, Any]:
    """Return the latest checkpoint's bytes by channel, and the thread's summary rows."""
    channels = await _one(res, LATEST_CHECKPOINT, params)
    by_channel = sorted(((r["channel"], r["bytes"]) for r in channels), key=lambda x: -x[1])
    summaries = (await _one(res, SUMMARY_ROWS, params))[0]
    return {
        "checkpoint_read_bytes": sum(b for _, b in by_channel),
        "largest_channels": dict(by_channel[:4]),
        "summary_rows": summaries["rows"],
        "summary_latest_row_bytes": summaries["latest_bytes"],
        "summary_total_bytes": summaries["total_bytes"],
    }


def _text(i: int, cfg: LongThreadConfig) -> str:
    """Return turn `i`'s message: mostly statements, every `question_every`-th a question."""
    if i % cfg.question_every == cfg.question_every - 1:
        return question_text(i, cfg.seed)
    return message_text(i, cfg.seed)


async def run_long_thread(
    res: Resources, cfg: LongThreadConfig, command: str = ""
) -> dict[str, Any]:
    """Run one thread to the last milestone; return the figures at each milestone."""
    tenant = f"{TENANT_PREFIX}{uuid.uuid4().hex[:8]}"
    thread = str(uuid.uuid4())
    config = {"configurable": {"tenant_id": tenant, "user_id": "long", "thread_id": thread}}
    params = {"tenant": tenant, "thread": thread}
    graph = build_graph(res, chat_model=None, checkpointer=res.storage.checkpointer)
    worker = res.outbox_worker(offline_extractor)
    pgdata = Path(res.storage.urls.database_url.split("host=")[-1].split("&")[0])
    pg_pids = _postgres_pids(pgdata)
    wall, cpu, pg_cpu, written, results = [], [], [], {}, []
    try:
        for i in range(max(cfg.milestones)):
            if i % cfg.drain_every == 0:
                await worker.drain()
            if i + cfg.window in cfg.milestones:
                written[i] = (await _one(res, CHECKPOINT_TABLE_BYTES, params))[0]["bytes"]
                pg_pids = _postgres_pids(pgdata)  # the pool's connections may have been renewed
            pg0, cpu0, t0 = _cpu_s(pg_pids), time.process_time(), time.perf_counter()
            await graph.ainvoke(
                {"messages": [HumanMessage(_text(i, cfg))]},
                config,
                context=Context(),
                durability="exit",
            )
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - cpu0) * 1000)
            pg_cpu.append((_cpu_s(pg_pids) - pg0) * 1000)
            if i + 1 in cfg.milestones:
                since = i + 1 - cfg.window
                now = (await _one(res, CHECKPOINT_TABLE_BYTES, params))[0]["bytes"]
                results.append(
                    {
                        "turns": i + 1,
                        "turn_ms": summarise(wall[since:]),
                        "cpu_ms": summarise(cpu[since:]),
                        "postgres_cpu_ms_per_turn": round(sum(pg_cpu[since:]) / cfg.window, 2),
                        "checkpoint_written_bytes_per_turn": round(
                            (now - written.get(since, now)) / cfg.window
                        ),
                        "checkpoint_tables_bytes": now,
                        **await _sizes(res, params),
                    }
                )
                logger.warning("long thread: %s", results[-1])
    finally:
        await delete_tenant(res, tenant)
    return {
        "benchmark": "long-thread",
        "config": asdict(cfg),
        "machine": machine(),
        "command": command,
        "milestones": results,
    }


def format_long_thread_report(data: dict[str, Any]) -> str:
    """Return the milestones as a table."""
    lines = [
        "turns | turn p50/p95 ms | cpu p50/p95 ms | pg cpu ms | ckpt read B | ckpt written B/turn"
        " | ckpt tables B | summary rows | latest row B | all rows B"
    ]
    for m in data["milestones"]:
        lines.append(
            f"{m['turns']} | {m['turn_ms']['p50']}/{m['turn_ms']['p95']} | "
            f"{m['cpu_ms']['p50']}/{m['cpu_ms']['p95']} | {m['postgres_cpu_ms_per_turn']} | "
            f"{m['checkpoint_read_bytes']} | {m['checkpoint_written_bytes_per_turn']} | "
            f"{m['checkpoint_tables_bytes']} | "
            f"{m['summary_rows']} | {m['summary_latest_row_bytes']} | {m['summary_total_bytes']}"
        )
        lines.append(f"    largest channels: {m['largest_channels']}")
    return "\n".join(lines)
