"""The benchmark suite: seeded read path, HTTP turns, concurrency, growth and ingestion.

One tenant grows through the sizes asked for (10k then 100k stored messages by default):
messages are stored through the real write path (`ConversationMemory.append`, then the outbox
worker embeds and indexes them), knowledge-base pages through real ingestion. At each size:

- **read**: the read path (router -> retrieve -> rerank, as `make eval` runs it) for new
  questions of random users, one at a time, question embeddings not cached;
- **turn**: a whole turn through `POST /agent/invoke` of a server process on loopback, with
  the offline extractive responder, one client;
- **concurrency**: closed-loop async clients (1, 8, 32) sending turns for a bounded time:
  turns/s, error rate and latency.

Once: **ingestion** of the knowledge-base pages (chunks/s), then the same pages into a second
tenant, where the Redis embedding cache should answer every chunk (hit rate, chunks/s), and
the **write** benchmark (`benchmarks.write`). Results are JSON (`--out`) plus a markdown
summary; `BENCHMARKS.md` quotes them with the machine and the command.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from langchain_core.messages import AIMessage, HumanMessage
from prometheus_client import REGISTRY

from benchmarks.corpus import kb_page, message_text, message_time, question_text
from benchmarks.seed import (
    CHUNKS_PER_PAGE,
    SeedPlan,
    held,
    seed,
    thread_id,
    user_id,
    vector_settings,
)
from benchmarks.server import BenchServer
from benchmarks.write import machine, summarise
from evals.locomo import delete_tenant
from graph.builder import build_retrieval_graph
from graph.context import Context
from graph.resources import Resources
from knowledge.ingest import ingest_paths
from memory.fact_extractors import offline_extractor
from storage.identity import Identity
from storage.tenancy import tenant_connection

logger = logging.getLogger(__name__)

TENANT_PREFIX = "eval-bench-"  # `delete_tenant` only deletes eval- tenants.


@dataclass(frozen=True)
class SuiteConfig:
    """What to seed and how much to measure."""

    sizes: tuple[int, ...] = (10_000, 100_000)
    users: int = 100
    threads_per_user: int = 10
    chunks_per_message: float = 0.2
    read_queries: int = 300
    turns: int = 200
    clients: tuple[int, ...] = (1, 8, 32)
    concurrency_seconds: float = 20.0
    concurrency_max_turns: int = 2000
    seed: int = 7
    keep: bool = False
    bulk: bool = False
    """Seed with `benchmarks.seed` (COPY, word-sum vectors) instead of the write path."""
    tenant: str | None = None
    """Grow (and keep) this tenant rather than a new one: a tenant seeded before is reused."""


async def seed_messages(
    res: Resources, tenant: str, cfg: SuiteConfig, start: int, stop: int, total: int
) -> float:
    """Store messages `start`..`stop` (human/AI pairs) through the write path; return seconds.

    Turns go round-robin over every user's threads; up to 8 appends are in flight, and the
    outbox worker indexes them as they land. Returns once every job is indexed.
    """
    threads = [
        Identity(tenant, user_id(u), thread_id(u, t))
        for u in range(cfg.users)
        for t in range(cfg.threads_per_user)
    ]
    in_flight = asyncio.Semaphore(8)

    async def turn(i: int) -> None:
        created = message_time(i, total).isoformat()
        messages = [
            HumanMessage(
                message_text(i, cfg.seed),
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{i}")),
                additional_kwargs={"created_at": created},
            ),
            AIMessage(
                message_text(i + 1, cfg.seed),
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{i + 1}")),
                additional_kwargs={"created_at": created},
            ),
        ]
        async with in_flight:
            thread = threads[(i // 2) % len(threads)]
            await res.conversation.append(thread, messages)

    started = time.perf_counter()
    for block in range(start, stop, 2000):
        await asyncio.gather(*(turn(i) for i in range(block, min(block + 2000, stop), 2)))
        logger.info("stored %d/%d messages", min(block + 2000, stop), stop)
    await res.outbox_worker(offline_extractor).drain()
    return time.perf_counter() - started


def write_kb_pages(directory: Path, first: int, count: int, seed: int) -> None:
    """Write `count` markdown help pages (12 chunks each) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + count):
        (directory / f"page-{i:05d}.md").write_text(kb_page(i, seed), encoding="utf-8")


def _embedding_lookups() -> dict[str, float]:
    return {
        outcome: REGISTRY.get_sample_value(
            "memoria_cache_lookups_total", {"cache": "embedding", "result": outcome}
        )
        or 0.0
        for outcome in ("hit", "miss")
    }


async def ingest_kb(res: Resources, tenant: str, pages: Path) -> dict[str, Any]:
    """Ingest every page under `pages` into `tenant`; return chunks/s and cache hit rate."""
    before = _embedding_lookups()
    started = time.perf_counter()
    kb = await res.knowledge_base()
    report = await ingest_paths(pool=res.pool, kb=kb, tenant_id=tenant, paths=[pages])
    seconds = time.perf_counter() - started
    after = _embedding_lookups()
    hits, misses = (after[k] - before[k] for k in ("hit", "miss"))
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "seconds": round(seconds, 2),
        "chunks_per_s": round(report.chunks / seconds, 1) if seconds else None,
        "embedding_cache_hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
    }


def unique_questions(count: int, seed: int, offset: int) -> list[str]:
    """Return `count` distinct benchmark questions (none asked before at another size)."""
    seen: set[str] = set()
    out: list[str] = []
    i = offset
    while len(out) < count:
        text = question_text(i, seed)
        i += 1
        if text not in seen:
            seen.add(text)
            out.append(f"{text} ({i})")
    return out


async def measure_read(
    res: Resources, tenant: str, cfg: SuiteConfig, questions: Sequence[str]
) -> dict[str, Any]:
    """Time the read path for each question, asked by a random user on a new thread."""
    await res.embeddings.forget(list(questions), tenant_id=tenant)
    graph = build_retrieval_graph(res)
    rng = random.Random(cfg.seed)
    latencies: list[float] = []
    retrieve: list[float] = []
    found: list[int] = []
    for n, question in enumerate(questions):
        config = {
            "configurable": {
                "tenant_id": tenant,
                "user_id": user_id(rng.randrange(cfg.users)),
                "thread_id": f"read-{uuid.uuid4()}",
            }
        }
        started = time.perf_counter()
        state = await graph.ainvoke(
            {"messages": [HumanMessage(question)]}, config, context=Context()
        )
        elapsed = (time.perf_counter() - started) * 1000
        if n >= 10:  # The first few warm connections and prepared plans.
            latencies.append(elapsed)
            retrieve.append(state.get("timings", {}).get("retrieve_ms", 0.0))
            found.append(len(state.get("context", [])))
    return {
        "queries": len(latencies),
        "read_ms": summarise(latencies),
        "retrieve_node_ms": summarise(retrieve),
        "mean_results": round(sum(found) / max(len(found), 1), 1),
    }


def _turn_body(tenant: str, user: str, thread: str, text: str) -> dict[str, Any]:
    return {
        "input": {"messages": [{"type": "human", "content": text}]},
        "config": {"configurable": {"tenant_id": tenant, "user_id": user, "thread_id": thread}},
    }


async def run_clients(
    urls: str | Sequence[str],
    tenant: str,
    cfg: SuiteConfig,
    *,
    clients: int,
    seconds: float,
    max_turns: int,
    question_offset: int,
) -> dict[str, Any]:
    """Closed loop: `clients` clients each send a turn, wait for it, send the next.

    Each client is a random seeded user talking on a thread of its own, to one of `urls`
    (client n to server n mod their number). Stops after `seconds` or `max_turns` turns,
    whichever comes first.
    """
    urls = [urls] if isinstance(urls, str) else list(urls)
    rng = random.Random(cfg.seed + clients)
    questions = unique_questions(max_turns + clients, cfg.seed, question_offset)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(n: int, http: httpx.AsyncClient) -> None:
        nonlocal sent
        url = urls[n % len(urls)]
        user, thread = user_id(rng.randrange(cfg.users)), f"load-{clients}-{n}-{uuid.uuid4()}"
        while time.perf_counter() < deadline and sent < max_turns:
            text = questions[sent]
            sent += 1
            started = time.perf_counter()
            try:
                response = await http.post(
                    f"{url}/agent/invoke", json=_turn_body(tenant, user, thread, text)
                )
                outcome = str(response.status_code)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[outcome] = statuses.get(outcome, 0) + 1

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    elapsed = time.perf_counter() - started
    ok = statuses.get("200", 0)
    return {
        "clients": clients,
        "turns": sent,
        "seconds": round(elapsed, 2),
        "turns_per_s": round(ok / elapsed, 1),
        "errors": sent - ok,
        "error_rate": round(1 - ok / max(sent, 1), 4),
        "statuses": statuses,
        "turn_ms": summarise(latencies),
    }


async def run_suite(res: Resources, cfg: SuiteConfig, command: str = "") -> dict[str, Any]:
    """Seed, measure every size, ingest, clean up; return the results as JSON-ready data.

    `command` is recorded with the results: how to reproduce them.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)  # One line per request otherwise.
    tenant = cfg.tenant or f"{TENANT_PREFIX}{uuid.uuid4().hex[:8]}"
    repeat_tenant = f"{tenant}-repeat"
    results: dict[str, Any] = {
        "benchmark": "suite",
        "tenant": tenant,
        "config": asdict(cfg),
        "machine": machine(),
        "command": command,
        "vector_search": await vector_settings(res),
        "sizes": [],
    }
    pages = Path(tempfile.mkdtemp(prefix="memoria-bench-kb-"))
    stored, pages_written = await held(res, tenant) if cfg.tenant else (0, 0)
    try:
        for size in sorted(cfg.sizes):
            if size < stored:  # a reused tenant already holds more: not this size any more
                logger.warning(
                    "skipping size %d: tenant %s holds %d messages", size, tenant, stored
                )
                continue
            pages_needed = int(size * cfg.chunks_per_message / CHUNKS_PER_PAGE)
            kb: dict[str, Any] | None = None
            if cfg.bulk:
                plan = SeedPlan(
                    tenant=tenant,
                    messages=(stored, max(size, stored)),
                    pages=(pages_written, max(pages_needed, pages_written)),
                    users=cfg.users,
                    threads_per_user=cfg.threads_per_user,
                    total_messages=max(cfg.sizes),
                    seed=cfg.seed,
                )
                seed_s = (await seed(res, plan))["seconds"]
            else:
                seed_s = await seed_messages(res, tenant, cfg, stored, size, max(cfg.sizes))
                write_kb_pages(pages, pages_written, pages_needed - pages_written, cfg.seed)
                kb = await ingest_kb(res, tenant, pages)
            logger.info("size %d seeded; measuring", size)
            entry: dict[str, Any] = {
                "messages": size,
                "kb_chunks": await _count_chunks(res, tenant),
                "seed": "bulk" if cfg.bulk else "write path",
                "seed_seconds": round(seed_s, 1),
                "seed_messages_per_s": round((size - stored) / seed_s, 1)
                if seed_s and size > stored
                else None,
                "kb_ingest": kb,
                "read": await measure_read(
                    res, tenant, cfg, unique_questions(cfg.read_queries + 10, cfg.seed, size)
                ),
            }
            async with BenchServer(res) as server:
                turn = await run_clients(
                    server.url,
                    tenant,
                    cfg,
                    clients=1,
                    seconds=3600,
                    max_turns=cfg.turns,
                    question_offset=size + 100_000,
                )
                entry["turn"] = turn
                entry["concurrency"] = [
                    await run_clients(
                        server.url,
                        tenant,
                        cfg,
                        clients=c,
                        seconds=cfg.concurrency_seconds,
                        max_turns=cfg.concurrency_max_turns,
                        question_offset=size + 200_000 + 10_000 * c,
                    )
                    for c in cfg.clients
                ]
            results["sizes"].append(entry)
            # Each size as it is measured: a long run (1M) stopped later keeps these figures.
            logger.info("measured %d: %s", size, json.dumps(entry))
            stored, pages_written = max(size, stored), max(pages_needed, pages_written)
        if not cfg.bulk:
            # Same pages again in another tenant: embedded again, since the embedding cache
            # is per tenant (a hit would tell that tenant another one holds the same pages).
            results["kb_repeat_ingest"] = await ingest_kb(res, repeat_tenant, pages)
    finally:
        shutil.rmtree(pages, ignore_errors=True)
        if not cfg.keep and not cfg.tenant:
            await delete_kb(res, repeat_tenant)
            await delete_kb(res, tenant)
            await delete_tenant(res, tenant)
    return results


async def _count_chunks(res: Resources, tenant: str) -> int:
    async with tenant_connection(res.pool, tenant) as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM kb_chunks WHERE tenant_id = %s", (tenant,)
        )
        return int((await cur.fetchone())["n"])


async def delete_kb(res: Resources, tenant: str) -> None:
    """Delete a benchmark tenant's knowledge base: chunks, catalogue, statistics, versions."""
    if not tenant.startswith(TENANT_PREFIX):
        raise ValueError(f"refusing to delete the knowledge base of {tenant!r}")
    async with tenant_connection(res.pool, tenant) as conn, conn.transaction():
        await conn.execute("DELETE FROM kb_chunks WHERE tenant_id = %s", (tenant,))
        await conn.execute("DELETE FROM kb_documents WHERE tenant_id = %s", (tenant,))
        await conn.execute("DELETE FROM kb_terms WHERE tenant_id = %s", (tenant,))
        await conn.execute("DELETE FROM kb_stats WHERE tenant_id = %s", (tenant,))
        await conn.execute("DELETE FROM memory_versions WHERE tenant_id = %s", (tenant,))
