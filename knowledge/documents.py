"""A tenant's documents over HTTP: upload with a tracked ingestion job, list, delete.

An upload is parsed in the request (a bad file is refused before anything is stored), then
chunked, embedded and indexed in the background, the job row recording progress after every
batch. Deleting a document removes its chunks and vectors and retires cached retrievals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from langchain_postgres import PGVectorStore
from psycopg_pool import AsyncConnectionPool

from knowledge import catalog, chunks
from knowledge.ingest import document_id, index_document
from knowledge.loaders import parse_document
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
# Jobs a crash or restart left unfinished: they report it instead of running forever.
ABANDON_STALE_JOBS = """
    UPDATE ingest_jobs
    SET status = 'failed', error = 'interrupted by a restart; upload the file again',
        updated_at = now()
    WHERE status IN ('queued', 'running') AND updated_at < now() - interval '2 minutes'
"""

UPLOAD_SOURCE = "upload:"


class DocumentLibrary:
    """Uploads, ingestion jobs, listing and deletion of a tenant's knowledge base."""

    def __init__(self, *, pool: AsyncConnectionPool, kb: PGVectorStore) -> None:
        """Use `pool` (autocommit, dict rows) and the knowledge-base store `kb`."""
        self._pool = pool
        self._kb = kb
        self._tasks: set[asyncio.Task[None]] = set()

    async def upload(self, tenant_id: str, filename: str, data: bytes) -> dict[str, Any]:
        """Parse `data` now, index it in the background; return the job row.

        Raises:
            ValueError: unsupported type, unreadable file or no text (nothing is stored).
        """
        doc = parse_document(filename, data)
        doc_id = document_id(UPLOAD_SOURCE + filename)
        params = {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "doc_id": doc_id,
            "filename": filename,
        }
        with tenant_scope(tenant_id):  # The job's task works in this tenant too.
            async with self._pool.connection() as conn:
                job = await (await conn.execute(INSERT_JOB, params)).fetchone()
            task = asyncio.create_task(self._run(job, doc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job: dict[str, Any], doc: Any) -> None:
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
                doc=doc,
                source=UPLOAD_SOURCE + job["filename"],
                progress=report,
            )
            if indexed is None:  # same content as the indexed version
                async with self._pool.connection() as conn:
                    indexed = await catalog.chunk_count(conn, job["tenant_id"], job["doc_id"])
            state.update(status="done", done=indexed, total=indexed)
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
            if not await catalog.delete(conn, tenant_id, doc_id):
                return None
            removed = await chunks.delete_document(conn, tenant_id, doc_id)
            await bump_kb(conn, tenant_id)
        return removed

    async def abandon_stale_jobs(self) -> None:
        """Mark jobs left unfinished by a crash as failed (every tenant's)."""
        async with tenant_connection(self._pool, ALL_TENANTS) as conn:
            await conn.execute(ABANDON_STALE_JOBS)

    async def aclose(self) -> None:
        """Cancel running jobs (they stay 'running' until a restart marks them failed)."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
