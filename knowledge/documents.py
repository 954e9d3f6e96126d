"""A tenant's documents over HTTP: upload with a tracked ingestion job, list, delete.

An upload is read (parsed and chunked) in the request, in a budgeted child process: a file
that cannot be read within the budget is refused before anything is stored. It is then
embedded and indexed in the background, the job row recording progress after every batch;
the document's new version replaces the old one in a single transaction at the end. Each
tenant may have a few uploads in progress at a time. Deleting a document removes its chunks
and vectors and retires cached retrievals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from typing import Any

from langchain_postgres import PGVectorStore
from psycopg_pool import AsyncConnectionPool

from knowledge import catalog, chunks
from knowledge.ingest import document_id, index_document
from knowledge.reading import Prepared, read_file
from knowledge.sandbox import Budget, Sandbox
from storage.tenancy import ALL_TENANTS, tenant_connection, tenant_scope
from storage.versions import bump_kb

logger = logging.getLogger(__name__)

INSERT_JOB = """
    INSERT INTO ingest_jobs (id, tenant_id, doc_id, filename)
    VALUES (%(id)s, %(tenant_id)s, %(doc_id)s, %(filename)s)
    RETURNING *
"""
UPDATE_JOB = """
    UPDATE ingest_jobs
    SET status = %(status)s, chunks_done = %(done)s, chunks_total = %(total)s,
        error = %(error)s, updated_at = now()
    WHERE id = %(id)s
"""
GET_JOB = "SELECT * FROM ingest_jobs WHERE id = %s AND tenant_id = %s"
INTERRUPTED = "interrupted by a restart; upload the file again"
# Jobs a crash left unfinished: they report it instead of running forever. A running job
# records progress after every batch, so one this quiet belongs to no living process.
ABANDON_STALE_JOBS = """
    UPDATE ingest_jobs
    SET status = 'failed', error = %(error)s, updated_at = now()
    WHERE status IN ('queued', 'running') AND updated_at < now() - interval '2 minutes'
"""

UPLOAD_SOURCE = "upload:"
# Child processes reading uploads at once, whatever the tenants: each may use a core and the
# budget's memory.
READ_SLOTS = 2


class IngestBusy(Exception):
    """The tenant already has as many uploads in progress as it may."""


class DocumentLibrary:
    """Uploads, ingestion jobs, listing and deletion of a tenant's knowledge base."""

    def __init__(
        self,
        *,
        pool: AsyncConnectionPool,
        kb: PGVectorStore,
        per_tenant: int = 2,
        budget: Budget | None = None,
    ) -> None:
        """Serve uploads into the knowledge base `kb` through `pool` (autocommit, dict rows).

        Args:
            pool: Autocommit pool (dict rows).
            kb: The knowledge-base vector store (its embeddings embed the chunks).
            per_tenant: Uploads one tenant may have in progress (read or indexed) at once in
                this process; more are refused with `IngestBusy`.
            budget: Time and memory to read one file (default `Budget()`).
        """
        self._pool = pool
        self._kb = kb
        self._per_tenant = per_tenant
        self._budget = budget or Budget()
        self._sandbox = Sandbox(slots=READ_SLOTS)
        self._in_progress: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    async def upload(self, tenant_id: str, filename: str, data: bytes) -> dict[str, Any]:
        """Read `data` now, index it in the background; return the job row.

        Raises:
            IngestBusy: The tenant has `per_tenant` uploads in progress already.
            ValueError: Unsupported type, unreadable file (why, including running out of
                the budget's time or memory) or no text; nothing is stored.
        """
        if self._in_progress[tenant_id] >= self._per_tenant:
            raise IngestBusy(
                f"{self._per_tenant} uploads of this tenant are being ingested; retry "
                "when one has finished (follow its status_url)"
            )
        self._in_progress[tenant_id] += 1
        try:
            prepared = await read_file(self._sandbox, self._budget, filename, data)
            params = {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "doc_id": document_id(UPLOAD_SOURCE + filename),
                "filename": filename,
            }
            with tenant_scope(tenant_id):  # The job's task works in this tenant too.
                async with self._pool.connection() as conn:
                    job = await (await conn.execute(INSERT_JOB, params)).fetchone()
                task = asyncio.create_task(self._run(job, prepared))
        except BaseException:
            self._release(tenant_id)
            raise
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._release(tenant_id))
        return job

    def _release(self, tenant_id: str) -> None:
        self._in_progress[tenant_id] -= 1
        if self._in_progress[tenant_id] <= 0:
            del self._in_progress[tenant_id]

    async def _run(self, job: dict[str, Any], prepared: Prepared) -> None:
        state = {"id": job["id"], "status": "running", "done": 0, "total": None, "error": None}

        async def report(done: int, total: int) -> None:
            state.update(done=done, total=total)
            await self._update(state)

        try:
            await self._update(state)
            indexed = await index_document(
                pool=self._pool,
                kb=self._kb,
                tenant_id=job["tenant_id"],
                prepared=prepared,
                source=UPLOAD_SOURCE + job["filename"],
                progress=report,
            )
            if indexed is None:  # same content as the indexed version
                async with self._pool.connection() as conn:
                    indexed = await catalog.chunk_count(conn, job["tenant_id"], job["doc_id"])
            state.update(status="done", done=indexed, total=indexed)
        except asyncio.CancelledError:
            # The server is shutting down: say so, if Postgres still listens, and stop.
            state.update(status="failed", error=INTERRUPTED)
            with contextlib.suppress(Exception):
                await asyncio.shield(self._update(state))
            raise
        except Exception as exc:  # noqa: BLE001 - the job reports it; the server carries on
            logger.exception("ingest job %s failed", job["id"])
            state.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        await self._update(state)

    async def _update(self, state: dict[str, Any]) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(UPDATE_JOB, state)

    async def job(self, tenant_id: str, job_id: uuid.UUID) -> dict[str, Any] | None:
        """Return one of the tenant's jobs, or None."""
        async with tenant_connection(self._pool, tenant_id) as conn:
            return await (await conn.execute(GET_JOB, (job_id, tenant_id))).fetchone()

    async def documents(self, tenant_id: str) -> list[dict[str, Any]]:
        """Return the tenant's indexed documents, newest first."""
        async with tenant_connection(self._pool, tenant_id) as conn:
            return await catalog.list_documents(conn, tenant_id)

    async def delete(self, tenant_id: str, doc_id: str) -> int | None:
        """Delete a document's chunks, vectors and row; return chunks removed, None if absent."""
        async with tenant_connection(self._pool, tenant_id) as conn, conn.transaction():
            await catalog.lock(conn, tenant_id, doc_id)
            if not await catalog.delete(conn, tenant_id, doc_id):
                return None
            removed = await chunks.delete_document(conn, tenant_id, doc_id)
            await bump_kb(conn, tenant_id)
        return removed

    async def recover(self) -> None:
        """Repair what a crash left, in every tenant: run at startup.

        Jobs left unfinished are marked failed. Chunks without a document row are deleted:
        writes are atomic now, but versions before wrote chunks first and their row last.
        """
        async with tenant_connection(self._pool, ALL_TENANTS) as conn:
            jobs = (await conn.execute(ABANDON_STALE_JOBS, {"error": INTERRUPTED})).rowcount
            orphans = await chunks.delete_orphans(conn)
        if jobs or orphans:
            logger.warning(
                "startup repair: %s unfinished ingest jobs marked failed, %s orphaned "
                "knowledge-base chunks deleted",
                jobs,
                orphans,
            )

    async def aclose(self) -> None:
        """Cancel running jobs; each records that it was interrupted."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
