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
import contextvars
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from langchain_core.embeddings import Embeddings
from psycopg import AsyncConnection, OperationalError
from psycopg_pool import AsyncConnectionPool

from memory import fact_across, message_index, outbox_jobs, statement_labels
from memory.fact_extractors import Extractor
from memory.fact_semantics import AttributeClassifier
from memory.facts import FactStore
from memory.message_index import IndexEntry
from memory.outbox_embedding import Embedded, embed_jobs
from storage.identity import Identity
from storage.metrics import OUTBOX_JOBS, OUTBOX_LAG_MS
from storage.schema import OUTBOX_CHANNEL
from storage.tenancy import (
    ALL_TENANTS,
    SET_TRANSACTION_TENANT,
    SETTING,
    tenant_connection,
)
from storage.versions import BUMP_VERSION, user_scope

logger = logging.getLogger(__name__)

# Ready jobs this worker can do: it has the fact extractor each asks for (or a better one).
CLAIM_JOBS = """
    SELECT id, tenant_id, user_id, thread_id, payload, extractor, attempts, created_at
    FROM memory_outbox
    WHERE available_at <= now() AND extractor = ANY(%(extractors)s)
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
"""
# One user's jobs are applied one at a time across workers, so "latest fact wins" holds.
LOCK_USER = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"
# A job starts as its tenant (row-level security then refuses any row of another tenant, until
# the batch commits) holding its user's lock: one round trip, (tenant, "tenant\x1fuser").
START_JOB = (
    f"SELECT set_config('{SETTING}', %s, true), pg_advisory_xact_lock(hashtextextended(%s, 0))"
)
# A job ends with its row deleted and its user's memory version bumped (cached retrievals of
# the user retire): one round trip.
FINISH_JOB = f"WITH done AS (DELETE FROM memory_outbox WHERE id = %(id)s) {BUMP_VERSION}"
RETRY_JOB = """
    UPDATE memory_outbox
    SET attempts = attempts + 1, last_error = %(error)s,
        available_at = now() + make_interval(secs => %(delay)s)
    WHERE id = %(id)s
"""
READY = """
    SELECT count(*) AS n FROM memory_outbox
    WHERE available_at <= now() AND extractor = ANY(%(extractors)s)
"""
PENDING = "SELECT count(*) AS n, min(created_at) AS oldest FROM memory_outbox"
# Jobs waiting for a fact extractor this worker lacks (an LLM another process has).
WAITING_FOR_OTHERS = """
    SELECT count(*) AS n FROM memory_outbox WHERE NOT extractor = ANY(%(extractors)s)
"""
DELETE_THREADS = """
    DELETE FROM memory_outbox WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)
"""

MAX_BACKOFF_S = 300.0
# The listener retries every poll; a Postgres host that does not answer must not stall it.
LISTEN_CONNECT_S = 5


async def delete_threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_ids: Sequence[str]
) -> int:
    """Delete the pending jobs of some threads of a user; return how many went.

    Run it first when forgetting: it waits for a worker busy with one of these jobs, so
    nothing is indexed after the deletion.
    """
    return (await conn.execute(DELETE_THREADS, (tenant_id, user_id, list(thread_ids)))).rowcount


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
        extractor: Extractor,
        batch_size: int = 32,
        poll_s: float = 1.0,
        listen_conninfo: str | None = None,
        attributes: AttributeClassifier | None = None,
    ) -> None:
        """Wire the worker; nothing runs until `run_once`, `drain` or `run_forever`.

        Args:
            pool: Autocommit pool (dict rows).
            embeddings: Embeds message views for the index (documents, not queries).
            facts: Where facts stated in user messages are recorded.
            extractor: Finds facts in user messages. The worker takes only jobs that ask for
                an extractor of its kind or a lesser one: a worker without the LLM a turn's
                process had leaves that turn's job to a worker with one.
            batch_size: Jobs claimed per transaction.
            poll_s: Seconds between polls when nothing wakes the worker.
            listen_conninfo: Database to LISTEN on for enqueue notifications (any process's
                appends wake this worker); None: only `notify` and polling wake it.
            attributes: Labels user messages with the attributes they state
                (`memory.statement_labels`); None: no labels (no classifier for the model).
        """
        self._pool = pool
        self._embeddings = embeddings
        self._facts = facts
        self.extractor = extractor
        self._can_do = {"extractors": list(extractor.serves)}
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._listen_conninfo = listen_conninfo
        self._wake = asyncio.Event()
        self._attributes = attributes

    def notify(self) -> None:
        """Wake the in-process worker: a job was just enqueued."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and process one batch of ready jobs; return how many were claimed."""
        # Claims jobs of every tenant; each job then runs in its own.
        async with tenant_connection(self._pool, ALL_TENANTS) as conn, conn.transaction():
            params = {**self._can_do, "limit": self._batch_size}
            jobs = await (await conn.execute(CLAIM_JOBS, params)).fetchall()
            if not jobs:
                return 0
            # Users' locks (LOCK_USER) in one order in every worker, or two workers holding
            # one user each would deadlock; a user's jobs keep their order (latest fact wins).
            jobs.sort(key=lambda job: (job["tenant_id"], job["user_id"], job["id"]))
            entries = {job["id"]: outbox_jobs.job_entries(job) for job in jobs}
            try:
                embedded = await embed_jobs(self._embeddings, self._attributes, jobs, entries)
            except Exception as exc:  # noqa: BLE001 - every job stays queued for a retry
                for job in jobs:
                    await self._retry(conn, job, exc)
                return len(jobs)
            for job in jobs:
                try:
                    # A savepoint per job: one bad job is retried without undoing the others.
                    async with conn.transaction():
                        await self._apply(conn, job, entries[job["id"]], embedded[job["id"]])
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
        embedded: Embedded,
    ) -> None:
        ident = Identity(job["tenant_id"], job["user_id"], job["thread_id"])
        await conn.execute(START_JOB, (ident.tenant_id, f"{ident.tenant_id}\x1f{ident.user_id}"))
        await message_index.insert(conn, ident, entries, embedded.vectors)
        await statement_labels.insert(conn, ident, entries, embedded.labels, embedded.own)
        for entry in entries:
            if entry.role == "human":
                # First: the whole fact, before a half of it ("Keza") is recorded alone.
                for fact in await fact_across.facts_across(
                    conn, ident, entry.content, entry.message_id
                ):
                    await self._facts.record(
                        ident,
                        fact,
                        source_id=entry.message_id,
                        observed_at=entry.created_at,
                        origin="message",
                        extractor=self.extractor.name,
                        conn=conn,
                    )
                await self._facts.observe(
                    ident,
                    entry.content,
                    extractor=self.extractor,
                    message_id=entry.message_id,
                    observed_at=entry.created_at,
                    conn=conn,
                    stated=embedded.stated.get(entry.id, ()),
                )
        finish = {"id": job["id"], "tenant_id": ident.tenant_id, "scope": user_scope(ident.user_id)}
        await conn.execute(FINISH_JOB, finish)

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
        # As the job's tenant: the failed job's savepoint rolled back to the tenant the batch's
        # previous job set, whose row-level security hid this row (attempts and backoff stayed).
        await conn.execute(SET_TRANSACTION_TENANT, (job["tenant_id"],))
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
                row = await (await conn.execute(READY, self._can_do)).fetchone()
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

    async def waiting_for_others(self) -> int:
        """Return how many jobs wait for a fact extractor this worker does not have."""
        async with tenant_connection(self._pool, ALL_TENANTS) as conn:
            row = await (await conn.execute(WAITING_FOR_OTHERS, self._can_do)).fetchone()
        return int(row["n"])

    async def run_forever(self, *, concurrency: int = 1) -> None:
        """Process jobs as they arrive until cancelled; survive database outages.

        With `concurrency` > 1, that many batches are processed at once (claims never
        overlap: SKIP LOCKED), so one batch embeds while the others wait on Postgres.
        """
        if waiting := await self.waiting_for_others():
            logger.warning(
                "%s outbox jobs ask for a fact extractor this worker lacks (it has %s); "
                "a worker with the LLM the turns' process had must take them",
                waiting,
                self.extractor.name,
            )
        listener = asyncio.create_task(self._listen()) if self._listen_conninfo else None
        try:
            await asyncio.gather(*(self._process_forever() for _ in range(concurrency)))
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
            if processed >= self._batch_size:
                continue  # A full batch: more may be ready.
            # Fewer than a batch: none was left to claim. Jobs enqueued since woke `_wake`
            # (notify, the listener), so this returns at once for them; asking again now
            # would cost an empty claim's transaction after every turn.
            await self._wait(self._poll_s)

    async def _wait(self, timeout_s: float) -> None:
        """Sleep until something wakes the worker, or `timeout_s` at most."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout_s)
        except TimeoutError:
            pass
        self._wake.clear()


@asynccontextmanager
async def running(worker: OutboxWorker) -> AsyncIterator[OutboxWorker]:
    """Run `worker.run_forever()` in the background for the block; stop it on the way out."""
    # A context of its own: it acts for every tenant and user, never its starter's.
    task = asyncio.create_task(
        worker.run_forever(), name="memoria-outbox-worker", context=contextvars.Context()
    )
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
