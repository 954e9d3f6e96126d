"""The catalogue (`kb_documents`): one row per indexed document of a tenant.

A row names the document (source, title), the hash of the content its chunks were made from,
and the BM25 statistics of those chunks (`chunks`, and `lexemes`: their tsvector lengths
summed), so a search sums a row per document instead of reading every chunk.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

FIND_HASH = "SELECT content_hash FROM kb_documents WHERE tenant_id = %s AND doc_id = %s"
CHUNKS = "SELECT chunks FROM kb_documents WHERE tenant_id = %s AND doc_id = %s"
UPSERT = """
    INSERT INTO kb_documents (tenant_id, doc_id, source, title, content_hash, chunks, lexemes)
    SELECT %(tenant_id)s, %(doc_id)s, %(source)s, %(title)s, %(content_hash)s, count(*),
           coalesce(sum(length(content_tsv)), 0)
    FROM kb_chunks WHERE tenant_id = %(tenant_id)s AND doc_id = %(doc_id)s
    ON CONFLICT (tenant_id, doc_id) DO UPDATE SET
        source = EXCLUDED.source, title = EXCLUDED.title, content_hash = EXCLUDED.content_hash,
        chunks = EXCLUDED.chunks, lexemes = EXCLUDED.lexemes, ingested_at = now()
"""
LIST = """
    SELECT doc_id, source, title, chunks, ingested_at FROM kb_documents
    WHERE tenant_id = %s ORDER BY ingested_at DESC
"""
DELETE = "DELETE FROM kb_documents WHERE tenant_id = %s AND doc_id = %s RETURNING chunks"
# Writers of one document (re-ingest, delete) take turns: each replaces what the last one
# committed, never a state it read before the other's commit. Keyed by a class of lock and
# the hash of tenant and document.
LOCK = "SELECT pg_advisory_xact_lock(%s::int4, hashtext(%s || chr(31) || %s))"
LOCK_CLASS = 0x6B62  # "kb"


async def lock(conn: AsyncConnection, tenant_id: str, doc_id: str) -> None:
    """Wait for, then hold until the transaction ends, the right to change one document."""
    await conn.execute(LOCK, (LOCK_CLASS, tenant_id, doc_id))


async def content_hash(conn: AsyncConnection, tenant_id: str, doc_id: str) -> str | None:
    """Return the content hash the document was indexed from, None if it is not indexed."""
    row = await (await conn.execute(FIND_HASH, (tenant_id, doc_id))).fetchone()
    return row["content_hash"] if row else None


async def chunk_count(conn: AsyncConnection, tenant_id: str, doc_id: str) -> int:
    """Return how many chunks the indexed document has (0 if it is not indexed)."""
    row = await (await conn.execute(CHUNKS, (tenant_id, doc_id))).fetchone()
    return row["chunks"] if row else 0


async def record(
    conn: AsyncConnection, *, tenant_id: str, doc_id: str, source: str, title: str, digest: str
) -> None:
    """Record the document as indexed, with its chunks' statistics as they stand."""
    params = {
        "tenant_id": tenant_id,
        "doc_id": doc_id,
        "source": source,
        "title": title,
        "content_hash": digest,
    }
    await conn.execute(UPSERT, params)


async def list_documents(conn: AsyncConnection, tenant_id: str) -> list[dict[str, Any]]:
    """Return the tenant's indexed documents, newest first."""
    return await (await conn.execute(LIST, (tenant_id,))).fetchall()


async def delete(conn: AsyncConnection, tenant_id: str, doc_id: str) -> bool:
    """Remove the document's row; return whether it existed."""
    return await (await conn.execute(DELETE, (tenant_id, doc_id))).fetchone() is not None
