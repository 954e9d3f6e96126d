"""The outbox: work an acknowledged turn still needs, drained by workers.

persist commits a turn's messages and one outbox row in one transaction; that commit is the
acknowledgement, and nothing slow happens before it. A worker then claims ready rows with
`FOR UPDATE SKIP LOCKED` (several workers never take the same row), embeds and indexes the
messages, records the facts they state, bumps the user's memory version (which retires their
cached retrievals) and deletes the row. Index rows and the delete commit together: a crash
leaves a job either pending or done, never half-indexed. A failed job is retried later with
backoff and is never dropped.

The worker runs in-process by default and as `memoria worker` for scale-out. Every enqueue
also sends a Postgres notification on the `memoria_outbox` channel at commit, so workers in any
process start on a job within milliseconds; polling every `poll_s` remains as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import messages_from_dict
from psycopg import AsyncConnection, OperationalError
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from memory.conversation import IndexEntry, index_entries
from memory.facts import FactStore
from storage.identity import Identity
from storage.metrics import OUTBOX_JOBS, OUTBOX_LAG_MS
from storage.schema import BUMP_VERSION, OUTBOX_CHANNEL, user_scope
from storage.tenancy import ALL_TENANTS, SET_TRANSACTION_TENANT, tenant_connection

logger = logging.getLogger(__name__)

CLAIM_JOBS = """
    SELECT id, tenant_id, user_id, thread_id, payload, attempts, created_at
    FROM memory_outbox
    WHERE available_at <= now()
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
"""
# One user's jobs are applied one at a time across workers, so "latest fact wins" holds.
LOCK_USER = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"
# Same layout as langchain-postgres PGVectorStore rows (scoping columns plus JSON metadata),
# written here so the rows commit with the outbox delete. A replayed job inserts nothing.
INSERT_INDEX_ROW = """
    INSERT INTO memory_messages (langchain_id, content, embedding, tenant_id, user_id,
                                 thread_id, role, created_at, seq, langchain_metadata)
    VALUES (%s, %s, %s::vector, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (langchain_id) DO NOTHING
"""
FINISH_JOB = "DELETE FROM memory_outbox WHERE id = %s"
RETRY_JOB = """
    UPDATE memory_outbox
    SET attempts = attempts + 1, last_error = %(error)s,
        available_at = now() + make_interval(secs => %(delay)s)
    WHERE id = %(id)s
"""
READY = "SELECT count(*) AS n FROM memory_outbox WHERE available_at <= now()"
PENDING = "SELECT count(*) AS n, min(created_at) AS oldest FROM memory_outbox"

MAX_BACKOFF_S = 300.0
# The listener retries every poll; a Postgres host that does not answer must not stall it.
LISTEN_CONNECT_S = 5


def backoff_s(attempts: int) -> float:
    """Seconds to wait before retry number `attempts + 1`: 1, 2, 4, ... up to five minutes."""
    return min(2.0**attempts, MAX_BACKOFF_S)


class OutboxWorker:
    """Drains the outbox: indexing and fact extraction for acknowledged turns."""

    def __init__(
        self,
        *,
        pool: AsyncConnectionPool,
        embeddings: Embeddings,
        facts: FactStore,
        batch_size: int = 32,
        poll_s: float = 1.0,
        listen_conninfo: str | None = None,
    ) -> None:
        """Wire the worker; nothing runs until `run_once`, `drain` or `run_forever`.

        Args:
            pool: Autocommit pool (dict rows).
            embeddings: Embeds message views for the index (documents, not queries).
            facts: Where facts stated in user messages are recorded.
            batch_size: Jobs claimed per transaction.
            poll_s: Seconds between polls when nothing wakes the worker.
            listen_conninfo: Database to LISTEN on for enqueue notifications (any process's
                appends wake this worker); None: only `notify` and polling wake it.
        """
        self._pool = pool
        self._embeddings = embeddings
        self._facts = facts
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._listen_conninfo = listen_conninfo
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Wake the in-process worker: a job was just enqueued."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and process one batch of ready jobs; return how many were claimed."""
        # Claims jobs of every tenant; each job then runs in its own.
        async with tenant_connection(self._pool, ALL_TENANTS) as conn, conn.transaction():
            jobs = await (await conn.execute(CLAIM_JOBS, {"limit": self._batch_size})).fetchall()
            if not jobs:
                return 0
            # Users' locks (LOCK_USER) in one order in every worker, or two workers holding
            # one user each would deadlock; a user's jobs keep their order (latest fact wins).
            jobs.sort(key=lambda job: (job["tenant_id"], job["user_id"], job["id"]))
            entries = {job["id"]: _entries(job) for job in jobs}
            views = [e.view for job_entries in entries.values() for e in job_entries]
            try:
                vectors = await self._embeddings.aembed_documents(views) if views else []
            except Exception as exc:  # noqa: BLE001 - every job stays queued for a retry
                for job in jobs:
                    await self._retry(conn, job, exc)
                return len(jobs)
            offset = 0
            for job in jobs:
                job_entries = entries[job["id"]]
                job_vectors = vectors[offset : offset + len(job_entries)]
                offset += len(job_entries)
                try:
                    # A savepoint per job: one bad job is retried without undoing the others.
                    async with conn.transaction():
                        # The job's writes run as its tenant (until the batch commits): row-level
                        # security then refuses any row of another tenant.
                        await conn.execute(SET_TRANSACTION_TENANT, (job["tenant_id"],))
                        await self._apply(conn, job, job_entries, job_vectors)
                except Exception as exc:  # noqa: BLE001 - retried with backoff, never dropped
                    await self._retry(conn, job, exc)
                    continue
                OUTBOX_JOBS.labels("done").inc()
                lag = datetime.now(UTC) - job["created_at"]
                OUTBOX_LAG_MS.observe(lag.total_seconds() * 1000)
            return len(jobs)

    async def _apply(
        self,
        conn: AsyncConnection,
        job: dict[str, Any],
        entries: list[IndexEntry],
        vectors: list[list[float]],
    ) -> None:
        ident = Identity(job["tenant_id"], job["user_id"], job["thread_id"])
        await conn.execute(LOCK_USER, (f"{ident.tenant_id}\x1f{ident.user_id}",))
        if entries:
            async with conn.cursor() as cur:
                await cur.executemany(
                    INSERT_INDEX_ROW,
                    [
                        (
                            e.id,
                            e.content,
                            _vector_literal(v),
                            ident.tenant_id,
                            ident.user_id,
                            ident.thread_id,
                            e.role,
                            e.created_at,
                            e.seq,
                            Jsonb(e.metadata),
                        )
                        for e, v in zip(entries, vectors, strict=True)
                    ],
                )
        for entry in entries:
            if entry.role == "human":
                await self._facts.observe(
                    ident,
                    entry.content,
                    message_id=entry.message_id,
                    observed_at=entry.created_at,
                    conn=conn,
                )
        await conn.execute(
            BUMP_VERSION, {"tenant_id": ident.tenant_id, "scope": user_scope(ident.user_id)}
        )
        await conn.execute(FINISH_JOB, (job["id"],))

    async def _retry(self, conn: AsyncConnection, job: dict[str, Any], exc: BaseException) -> None:
        delay = backoff_s(job["attempts"])
        logger.warning(
            "outbox job %s failed (attempt %s), retrying in %.0f s: %r",
            job["id"],
            job["attempts"] + 1,
            delay,
            exc,
        )
        OUTBOX_JOBS.labels("retry").inc()
        await conn.execute(RETRY_JOB, {"id": job["id"], "error": repr(exc)[:2000], "delay": delay})

    async def drain(self) -> int:
        """Process ready jobs until none is left, including those another worker holds.

        Returns:
            How many jobs this call processed (jobs waiting out a retry delay are left).
        """
        total = 0
        while True:
            if n := await self.run_once():
                total += n
                continue
            async with tenant_connection(self._pool, ALL_TENANTS) as conn:
                row = await (await conn.execute(READY)).fetchone()
            if not row["n"]:
                return total
            await asyncio.sleep(0.01)  # claimed by another worker: wait for it to commit

    async def pending(self) -> tuple[int, float]:
        """Return the number of queued jobs and the age in seconds of the oldest."""
        async with tenant_connection(self._pool, ALL_TENANTS) as conn:
            row = await (await conn.execute(PENDING)).fetchone()
        oldest = row["oldest"]
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        return int(row["n"]), age

    async def run_forever(self) -> None:
        """Process jobs as they arrive until cancelled; survive database outages."""
        listener = asyncio.create_task(self._listen()) if self._listen_conninfo else None
        try:
            await self._process_forever()
        finally:
            if listener:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _listen(self) -> None:
        """Wake the worker on every enqueue notification; reconnect after failures."""
        assert self._listen_conninfo is not None
        lost = False
        while True:
            try:
                async with await AsyncConnection.connect(
                    self._listen_conninfo, autocommit=True, connect_timeout=LISTEN_CONNECT_S
                ) as conn:
                    await conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
                    if lost:
                        lost = False
                        logger.warning("outbox listener is back on Postgres")
                    # Jobs enqueued while not listening; after an outage this also ends the
                    # worker's backoff at once.
                    self._wake.set()
                    async for _ in conn.notifies():
                        self._wake.set()
            except OperationalError as exc:
                if not lost:
                    lost = True
                    logger.warning(
                        "outbox listener lost Postgres (%r); polling until it is back", exc
                    )
                await asyncio.sleep(self._poll_s)

    async def _process_forever(self) -> None:
        failures = 0
        while True:
            try:
                processed = await self.run_once()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - e.g. Postgres restarting: try again
                failures += 1
                delay = min(self._poll_s * 2**failures, 30.0)
                logger.warning(
                    "outbox worker cannot reach Postgres (%r); retry in %.1f s", exc, delay
                )
                await self._wait(delay)  # or sooner: the listener wakes it when Postgres is back
                continue
            if processed:
                continue
            await self._wait(self._poll_s)

    async def _wait(self, timeout_s: float) -> None:
        """Sleep until something wakes the worker, or `timeout_s` at most."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout_s)
        except TimeoutError:
            pass
        self._wake.clear()


def _entries(job: dict[str, Any]) -> list[IndexEntry]:
    payload = job["payload"]
    messages = messages_from_dict(payload["messages"])
    acked_at = datetime.fromisoformat(payload["acked_at"])
    return index_entries(messages, base_seq=int(payload["base_seq"]), acked_at=acked_at)


def _vector_literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
