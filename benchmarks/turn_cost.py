"""What a turn costs: server CPU, Postgres CPU and statements per turn, and turns/s.

A small tenant is seeded (messages through the write path, a few knowledge-base pages through
ingestion) so that every retrieval leg runs; then `servers` server processes (`uvicorn
server:app` on loopback, offline extractive responder) answer turns over HTTP:

- **cost**: one client sends `turns` turns, round-robin over the servers, each on a thread of
  its own user; before and after, psutil reads the CPU time of every server process and of
  every Postgres process, and Postgres's own counters (transactions committed, scans of the
  checkpoint table). Divided by the turns: figures that do not depend on how busy the shared
  machine is, unlike latency;
- **throughput**: closed-loop clients (1, 8, 32 by default) for a bounded time: turns/s,
  errors and latency.

With `worker="process"` the servers run no outbox worker (`MEMORIA_WORKER=off`) and one
`memoria worker` process drains the outbox; its CPU is reported apart. With `calls`, the
servers also count the SQL statements and Redis round trips of the measured turns, by caller
(`benchmarks.calls`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from benchmarks.calls import per_turn
from benchmarks.server import BenchServer
from benchmarks.suite import (
    TENANT_PREFIX,
    SuiteConfig,
    delete_kb,
    ingest_kb,
    run_clients,
    seed_messages,
    write_kb_pages,
)
from benchmarks.write import machine
from evals.locomo import delete_tenant
from graph.resources import Resources
from storage.tenancy import ALL_TENANTS, tenant_connection

logger = logging.getLogger(__name__)

# Postgres's counters for the whole database, and the checkpoint table's scans: a turn's read
# and its upsert's probe of the primary key (so 2 per turn is one read).
PG_COUNTERS = """
    SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database
            WHERE datname = current_database()) AS transactions,
           (SELECT coalesce(sum(seq_scan + idx_scan), 0) FROM pg_stat_user_tables
            WHERE relname = 'checkpoints') AS checkpoint_scans,
           (SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables
            WHERE relname = 'checkpoints') AS checkpoints_written
"""
# Backends publish their counters at most once a second: wait that long before reading them.
FLUSH_STATS_S = 1.2


@dataclass(frozen=True)
class CostConfig:
    """What to seed and how much to measure."""

    messages: int = 1000
    users: int = 50
    kb_pages: int = 20
    turns: int = 300
    warmup: int = 30
    servers: int = 1
    clients: tuple[int, ...] = (1, 8, 32)
    seconds: float = 20.0
    worker: str = "inprocess"
    seed: int = 7
    calls: bool = False


def _cpu_s(pids: Sequence[int]) -> float:
    """Return the CPU seconds (user + system, children included) of the processes `pids`."""
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def _postgres_pids(pgdata: Path) -> list[int]:
    """Return the postmaster of `pgdata` and its children (backends, walwriter, ...)."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        proc = psutil.Process(postmaster)
        return [postmaster, *(c.pid for c in proc.children(recursive=True))]
    except (OSError, ValueError, psutil.Error):
        return []


async def _counters(res: Resources) -> dict[str, int]:
    """Return Postgres's counters (`PG_COUNTERS`) and the commands Redis has processed."""
    await asyncio.sleep(FLUSH_STATS_S)
    async with tenant_connection(res.pool, ALL_TENANTS) as conn:
        row = await (await conn.execute(PG_COUNTERS)).fetchone()
    redis_stats = await res.storage.speed.redis.info("stats")
    return {
        **{k: int(v or 0) for k, v in row.items()},
        # Includes the two INFO calls themselves: negligible over hundreds of turns.
        "redis_commands": int(redis_stats["total_commands_processed"]),
    }


class Servers:
    """`count` benchmark servers on the same services, and optionally one outbox worker."""

    def __init__(
        self, res: Resources, count: int, worker: str, calls_dir: Path | None = None
    ) -> None:
        """Prepare the processes; nothing starts until `async with`.

        With `calls_dir`, each server counts its statements and round trips into a file there.
        """
        self.servers = [
            BenchServer(res, calls_file=calls_dir / f"calls-{i}.json" if calls_dir else None)
            for i in range(count)
        ]
        if worker == "process":
            for server in self.servers:
                server._env["MEMORIA_WORKER"] = "off"
        self._worker_env = dict(self.servers[0]._env)
        self._stack = contextlib.AsyncExitStack()
        self.worker: asyncio.subprocess.Process | None = None
        self._want_worker = worker == "process"

    @property
    def urls(self) -> list[str]:
        """The servers' base URLs."""
        return [s.url for s in self.servers]

    @property
    def pids(self) -> list[int]:
        """The servers' process ids."""
        return [s._proc.pid for s in self.servers if s._proc]

    async def __aenter__(self) -> Servers:
        """Start every process and wait until each server is ready."""
        for server in self.servers:
            await self._stack.enter_async_context(server)
        if self._want_worker:
            self.worker = await self._stack.enter_async_context(_worker(self._worker_env))
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop every process."""
        await self._stack.aclose()


@contextlib.asynccontextmanager
async def _worker(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    cmd = [sys.executable, "-c", "import sys, cli; sys.exit(cli.main(['worker']))"]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        ready = await asyncio.wait_for(proc.stdout.readline(), timeout=180)
        if not ready.startswith(b"memoria worker:"):
            raise RuntimeError("the worker process did not start; see its log above")
        yield proc
    finally:
        proc.terminate()
        await proc.wait()


async def measure_cost(
    res: Resources, servers: Servers, tenant: str, cfg: CostConfig
) -> dict[str, Any]:
    """Run `cfg.turns` one-client turns; return CPU and statements per turn."""
    load = SuiteConfig(users=cfg.users, seed=cfg.seed)
    one = {"clients": 1, "seconds": 3600}
    await run_clients(
        servers.urls, tenant, load, max_turns=cfg.warmup, question_offset=500_000, **one
    )
    pgdata = Path(res.storage.urls.database_url.split("host=")[-1].split("&")[0])
    pg_pids = _postgres_pids(pgdata)
    worker_pids = [servers.worker.pid] if servers.worker else []
    before = await _counters(res)
    for server in servers.servers:
        server.reset_calls()
    cpu0 = (_cpu_s(servers.pids), _cpu_s(pg_pids), _cpu_s(worker_pids))
    started = time.perf_counter()
    run = await run_clients(
        servers.urls, tenant, load, max_turns=cfg.turns, question_offset=550_000, **one
    )
    elapsed = time.perf_counter() - started
    # The in-process worker finishes the last turns' jobs within a second or two.
    await asyncio.sleep(2)
    cpu1 = (_cpu_s(servers.pids), _cpu_s(pg_pids), _cpu_s(worker_pids))
    after = await _counters(res)
    n = run["turns"]
    calls = [row for server in servers.servers for row in await server.read_calls()]

    def per_turn_ms(i: int) -> float:
        return round((cpu1[i] - cpu0[i]) * 1000 / n, 2)

    return {
        "turns": n,
        "errors": run["errors"],
        "seconds": round(elapsed, 2),
        "turn_ms": run["turn_ms"],
        "server_cpu_ms_per_turn": per_turn_ms(0),
        "postgres_cpu_ms_per_turn": per_turn_ms(1),
        "worker_cpu_ms_per_turn": per_turn_ms(2) if worker_pids else None,
        "per_turn": {k: round((after[k] - before[k]) / n, 2) for k in after},
        "calls_per_turn": per_turn(calls, n) if cfg.calls else None,
    }


async def run_cost(res: Resources, cfg: CostConfig, command: str = "") -> dict[str, Any]:
    """Seed a small tenant, measure the cost of a turn and throughput; delete the tenant."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    tenant = f"{TENANT_PREFIX}{uuid.uuid4().hex[:8]}"
    results: dict[str, Any] = {
        "benchmark": "turns",
        "tenant": tenant,
        "config": asdict(cfg),
        "machine": machine(),
        "command": command,
    }
    pages = Path(tempfile.mkdtemp(prefix="memoria-bench-kb-"))
    calls_dir = Path(tempfile.mkdtemp(prefix="memoria-bench-calls-")) if cfg.calls else None
    seeding = SuiteConfig(users=cfg.users, seed=cfg.seed)
    try:
        await seed_messages(res, tenant, seeding, 0, cfg.messages, cfg.messages)
        write_kb_pages(pages, 0, cfg.kb_pages, cfg.seed)
        await ingest_kb(res, tenant, pages)
        async with Servers(res, cfg.servers, cfg.worker, calls_dir) as servers:
            results["cost"] = await measure_cost(res, servers, tenant, cfg)
            load = SuiteConfig(users=cfg.users, seed=cfg.seed)
            results["throughput"] = [
                await run_clients(
                    servers.urls,
                    tenant,
                    load,
                    clients=c,
                    seconds=cfg.seconds,
                    max_turns=4000,
                    question_offset=600_000 + 10_000 * c,
                )
                for c in cfg.clients
            ]
    finally:
        shutil.rmtree(pages, ignore_errors=True)
        if calls_dir:
            shutil.rmtree(calls_dir, ignore_errors=True)
        await delete_kb(res, tenant)
        await delete_tenant(res, tenant)
    return results


def format_cost_report(data: dict[str, Any]) -> str:
    """Return markdown tables of a turn-cost run."""
    cfg, cost = data["config"], data["cost"]
    per = cost["per_turn"]
    lines = [
        f"turn cost, {cfg['servers']} server(s), worker {cfg['worker']}; machine {data['machine']}",
        "",
        "| turns | server CPU/turn | Postgres CPU/turn | worker CPU/turn | transactions/turn "
        "| checkpoint scans/turn | checkpoints written/turn | Redis commands/turn "
        "| turn p50 | p95 | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {cost['turns']} | {cost['server_cpu_ms_per_turn']} ms | "
        f"{cost['postgres_cpu_ms_per_turn']} ms | {cost['worker_cpu_ms_per_turn'] or '-'} | "
        f"{per['transactions']} | {per['checkpoint_scans']} | {per['checkpoints_written']} | "
        f"{per['redis_commands']} | "
        f"{cost['turn_ms'].get('p50')} ms | {cost['turn_ms'].get('p95')} ms | {cost['errors']} |",
        "",
        "| clients | turns/s | errors | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for c in data.get("throughput", []):
        t = c["turn_ms"]
        lines.append(
            f"| {c['clients']} | {c['turns_per_s']} | {c['errors']} | {t.get('p50')} | "
            f"{t.get('p95')} | {t.get('p99')} |"
        )
    if calls := cost.get("calls_per_turn"):
        totals = ", ".join(f"{kind} {n}" for kind, n in calls["totals"].items())
        lines += ["", f"sent by the server(s) per measured turn: {totals}", ""]
        lines += ["| per turn | kind | caller |", "|---|---|---|"]
        lines += [f"| {r['calls']} | {r['kind']} | `{r['caller']}` |" for r in calls["callers"]]
    return "\n".join(lines)
