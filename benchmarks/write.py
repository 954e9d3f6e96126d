"""Write-path benchmark: how fast persist acknowledges a turn, and how soon it is recallable.

One client stores turns (a user message and a reply) across many users and threads, the way
persist does: `ConversationMemory.append`, then a nudge to the outbox worker. Two figures per
turn:

- **acknowledgement**: the whole `append` call (ownership claim, messages and outbox row in
  one durable commit, then the Redis hot-window push);
  With `turn_locks`, also the thread's turn lock (taken before, released after), as the HTTP
  API holds it around a whole turn;
- **outbox lag**: from the acknowledgement until the user message's row is in the message
  index (embedded and committed by the worker), i.e. until another thread can recall it.
  A poller looks for pending rows every few milliseconds, so lags are exact to that step.

Turns arrive at a fixed rate (open loop), so the lag is that of a worker keeping up with
steady traffic rather than of a backlog the benchmark made. The tenant is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import os
import platform
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from evals.locomo import delete_tenant, new_tenant_id, percentile
from graph.resources import Resources
from memory.fact_extractors import offline_extractor
from memory.turns import TurnLocks
from storage.identity import Identity
from storage.tenancy import ALL_TENANTS, tenant_connection

POLL_S = 0.005
FOUND = "SELECT langchain_id::text AS id FROM memory_messages WHERE langchain_id = ANY(%s::uuid[])"

_PEOPLE = ("Ana", "Bruno", "Carla", "Duarte", "Eva", "Filipe", "Graça", "Hugo")
_PLACES = ("Lisbon", "Porto", "Braga", "Faro", "Coimbra", "Évora", "Sintra", "Aveiro")
_TOPICS = ("the new job", "a trip", "the garden", "a book", "running", "the kids", "music")


def turn_text(i: int) -> tuple[str, str]:
    """Return a varied user message and reply for turn `i` (no two turns embed the same)."""
    who, where = _PEOPLE[i % len(_PEOPLE)], _PLACES[(i // 3) % len(_PLACES)]
    topic = _TOPICS[(i // 7) % len(_TOPICS)]
    human = f"Turn {i}: yesterday I met {who} in {where} and we talked about {topic}."
    reply = f"That sounds nice. What did {who} think about {topic}? (note {i})"
    return human, reply


def machine() -> dict[str, Any]:
    """Describe the machine a figure was measured on."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


def summarise(values: list[float]) -> dict[str, float]:
    """Return count, p50, p95, p99 and max of millisecond samples, rounded for reading."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
        "max": round(max(values), 2),
    }


@dataclass
class WriteReport:
    """What one write benchmark run measured."""

    turns: int
    users: int
    threads: int
    rate: float
    worker: str
    turn_lock: bool = False
    seconds: float = 0.0
    ack_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "benchmark": "write",
            "turns": self.turns,
            "users": self.users,
            "threads": self.threads,
            "rate_turns_per_s": self.rate,
            "worker": self.worker,
            "turn_lock": self.turn_lock,
            "seconds": round(self.seconds, 2),
            "ack_ms": summarise(self.ack_ms),
            "outbox_lag_ms": summarise(self.lag_ms),
            "machine": machine(),
        }


class _IndexPoller:
    """Records when each acknowledged user message appears in the message index."""

    def __init__(self, res: Resources) -> None:
        self._res = res
        self.pending: dict[str, float] = {}
        self.lags_ms: list[float] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not (stop.is_set() and not self.pending):
            if self.pending:
                # Across the users the bench writes as, in one query.
                async with tenant_connection(self._res.pool, ALL_TENANTS) as conn:
                    cur = await conn.execute(FOUND, (list(self.pending),))
                    rows = await cur.fetchall()
                now = time.perf_counter()
                for row in rows:
                    self.lags_ms.append((now - self.pending.pop(row["id"])) * 1000)
            await asyncio.sleep(POLL_S)


async def run_write_bench(
    res: Resources,
    *,
    turns: int = 1000,
    users: int = 20,
    threads_per_user: int = 5,
    rate: float = 20.0,
    warmup: int = 20,
    worker: str = "in-process",
    turn_locks: TurnLocks | None = None,
) -> WriteReport:
    """Store `turns` turns at `rate` turns/s; measure acknowledgement and outbox lag.

    Args:
        res: Open resources.
        turns: Measured turns, spread round-robin over the threads.
        users: Users of the benchmark tenant.
        threads_per_user: Threads of each user.
        rate: Turns per second offered (0: as fast as acknowledgements allow).
        warmup: Unmeasured turns first (pool connections, prepared plans, model warm-up).
        worker: Where the outbox worker runs, for the report; "off" measures no lag.
        turn_locks: Hold each thread's turn lock around its append, as the HTTP API does.
    """
    tenant = new_tenant_id()
    idents = [
        Identity(tenant, f"user-{u}", f"thread-{u}-{t}")
        for u in range(users)
        for t in range(threads_per_user)
    ]
    report = WriteReport(turns, users, len(idents), rate, worker, turn_locks is not None)
    poller = _IndexPoller(res)
    stop = asyncio.Event()
    polling = asyncio.create_task(poller.run(stop)) if worker != "off" else None
    try:
        started = time.perf_counter()
        for i in range(warmup + turns):
            if rate:
                # Open loop: turn i is due at i / rate, however long earlier turns took.
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            human_text, reply_text = turn_text(i)
            human = HumanMessage(human_text, id=str(uuid.uuid4()))
            ident = idents[i % len(idents)]
            t0 = time.perf_counter()
            async with turn_locks.hold([ident]) if turn_locks else nullcontext():
                await res.conversation.append(
                    ident, [human, AIMessage(reply_text, id=str(uuid.uuid4()))]
                )
            acked = time.perf_counter()
            if i >= warmup:
                report.ack_ms.append((acked - t0) * 1000)
                if polling:
                    poller.pending[str(human.id)] = acked
        report.seconds = time.perf_counter() - started
        stop.set()
        if polling:
            await asyncio.wait_for(polling, timeout=600)
        report.lag_ms = poller.lags_ms
    finally:
        stop.set()
        if polling and not polling.done():
            polling.cancel()
        await res.outbox_worker(offline_extractor).drain()
        await delete_tenant(res, tenant)
    return report


def format_write_report(data: dict[str, Any]) -> str:
    """Return a short human summary of `WriteReport.as_dict()`."""
    ack, lag = data["ack_ms"], data["outbox_lag_ms"]
    lines = [
        f"write benchmark: {data['turns']} turns over {data['threads']} threads of "
        f"{data['users']} users at {data['rate_turns_per_s']} turns/s; outbox worker: "
        f"{data['worker']}{'; turn lock held' if data.get('turn_lock') else ''}",
        f"  acknowledgement ms: p50 {ack['p50']}  p95 {ack['p95']}  p99 {ack['p99']}  "
        f"max {ack['max']}",
    ]
    if lag.get("n"):
        lines.append(
            f"  outbox lag ms:      p50 {lag['p50']}  p95 {lag['p95']}  p99 {lag['p99']}  "
            f"max {lag['max']}"
        )
    return "\n".join(lines)
