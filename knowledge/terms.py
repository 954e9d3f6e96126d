"""Per-term document frequencies of a tenant's knowledge base (`kb_terms`).

BM25 weighs a query word by how many chunks hold it. Counted at query time, that reads every
chunk holding the word, and in a large knowledge base common words are held by tens of
thousands. The counts are kept here instead, changed in the transaction that changes the
chunks (ingest, re-ingest, delete), so a search reads the counts of the version it sees.
A document's share is taken from its chunks' stored tsvectors: one row per distinct lexeme.
"""

from __future__ import annotations

from psycopg import AsyncConnection

# A document's lexemes, each with the number of its chunks holding it.
_DOCUMENT_TERMS = """
    SELECT u.lexeme, count(*) AS n FROM kb_chunks c, unnest(c.content_tsv) u
    WHERE c.tenant_id = %(tenant_id)s AND c.doc_id = %(doc_id)s
    GROUP BY u.lexeme
"""
ADD = f"""
    INSERT INTO kb_terms (tenant_id, lexeme, chunks)
    SELECT %(tenant_id)s, d.lexeme, d.n FROM ({_DOCUMENT_TERMS}) d ORDER BY d.lexeme
    ON CONFLICT (tenant_id, lexeme) DO UPDATE SET chunks = kb_terms.chunks + EXCLUDED.chunks
"""
# Terms no other chunk holds go; the rest are counted down.
SUBTRACT = f"""
    WITH d AS MATERIALIZED ({_DOCUMENT_TERMS}),
    gone AS (
        DELETE FROM kb_terms t USING d
        WHERE t.tenant_id = %(tenant_id)s AND t.lexeme = d.lexeme AND t.chunks <= d.n
    )
    UPDATE kb_terms t SET chunks = t.chunks - d.n FROM d
    WHERE t.tenant_id = %(tenant_id)s AND t.lexeme = d.lexeme AND t.chunks > d.n
"""
# Every tenant's counts (the session sees), from their chunks: after orphans were deleted.
REBUILD = """
    DELETE FROM kb_terms;
    INSERT INTO kb_terms (tenant_id, lexeme, chunks)
    SELECT c.tenant_id, u.lexeme, count(*) FROM kb_chunks c, unnest(c.content_tsv) u
    GROUP BY 1, 2
"""
# One tenant's counts, from its chunks: after a bulk load (benchmarks' seeder).
FORGET = "DELETE FROM kb_terms WHERE tenant_id = %(tenant_id)s"
RECOUNT = """
    INSERT INTO kb_terms (tenant_id, lexeme, chunks)
    SELECT %(tenant_id)s, u.lexeme, count(*) FROM kb_chunks c, unnest(c.content_tsv) u
    WHERE c.tenant_id = %(tenant_id)s GROUP BY u.lexeme
"""
# Documents of one tenant change their counts one transaction at a time: two documents
# sharing words would otherwise lock the same rows in different orders.
LOCK = "SELECT pg_advisory_xact_lock(%s::int4, hashtext(%s))"
LOCK_CLASS = 0x6B74  # "kt"


async def add_document(conn: AsyncConnection, tenant_id: str, doc_id: str) -> None:
    """Count the document's chunks, as now stored, in the tenant's term frequencies."""
    await conn.execute(LOCK, (LOCK_CLASS, tenant_id))
    await conn.execute(ADD, {"tenant_id": tenant_id, "doc_id": doc_id})


async def remove_document(conn: AsyncConnection, tenant_id: str, doc_id: str) -> None:
    """Take the document's chunks, as now stored, out of the tenant's term frequencies."""
    await conn.execute(LOCK, (LOCK_CLASS, tenant_id))
    await conn.execute(SUBTRACT, {"tenant_id": tenant_id, "doc_id": doc_id})


async def rebuild(conn: AsyncConnection) -> None:
    """Recount every visible tenant's term frequencies from its chunks (rare repairs)."""
    await conn.execute(REBUILD, prepare=False)


async def recount(conn: AsyncConnection, tenant_id: str) -> None:
    """Recount the tenant's term frequencies from its chunks, in the caller's transaction."""
    await conn.execute(LOCK, (LOCK_CLASS, tenant_id))
    await conn.execute(FORGET, {"tenant_id": tenant_id})
    await conn.execute(RECOUNT, {"tenant_id": tenant_id})
