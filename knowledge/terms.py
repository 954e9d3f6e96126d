"""BM25 statistics of a tenant's knowledge base: per-term frequencies and totals.

Tables `kb_terms` (chunks holding each lexeme) and `kb_stats` (chunks, summed lengths).

BM25 weighs a query word by how many chunks hold it. Counted at query time, that reads every
chunk holding the word, and in a large knowledge base common words are held by tens of
thousands. The counts are kept here instead, with the number of chunks and their summed
tsvector lengths, changed in the transaction that changes the chunks (ingest, re-ingest,
delete), so a search reads the statistics of the version it sees. A document's share is
taken from its chunks' stored tsvectors: one row per distinct lexeme.
"""

from __future__ import annotations

from psycopg import AsyncConnection

# A document's lexemes, each with the number of its chunks holding it; and its totals.
_DOCUMENT_TERMS = """
    SELECT u.lexeme, count(*) AS n FROM kb_chunks c, unnest(c.content_tsv) u
    WHERE c.tenant_id = %(tenant_id)s AND c.doc_id = %(doc_id)s
    GROUP BY u.lexeme
"""
_DOCUMENT_TOTALS = """
    SELECT count(*) AS chunks, coalesce(sum(length(content_tsv)), 0) AS lexemes
    FROM kb_chunks WHERE tenant_id = %(tenant_id)s AND doc_id = %(doc_id)s
"""
ADD = f"""
    INSERT INTO kb_terms (tenant_id, lexeme, chunks)
    SELECT %(tenant_id)s, d.lexeme, d.n FROM ({_DOCUMENT_TERMS}) d ORDER BY d.lexeme
    ON CONFLICT (tenant_id, lexeme) DO UPDATE SET chunks = kb_terms.chunks + EXCLUDED.chunks
"""
ADD_TOTALS = f"""
    INSERT INTO kb_stats (tenant_id, chunks, lexemes)
    SELECT %(tenant_id)s, d.chunks, d.lexemes FROM ({_DOCUMENT_TOTALS}) d
    ON CONFLICT (tenant_id) DO UPDATE SET chunks = kb_stats.chunks + EXCLUDED.chunks,
                                          lexemes = kb_stats.lexemes + EXCLUDED.lexemes
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
SUBTRACT_TOTALS = f"""
    UPDATE kb_stats s SET chunks = s.chunks - d.chunks, lexemes = s.lexemes - d.lexemes
    FROM ({_DOCUMENT_TOTALS}) d WHERE s.tenant_id = %(tenant_id)s
"""
# What the lexical leg reads: the knowledge base's size and mean chunk length (in lexemes).
TOTALS = """
    SELECT coalesce(sum(chunks), 0)::float8 AS n,
           coalesce(sum(lexemes)::float8 / nullif(sum(chunks), 0), 1)::float8 AS avgdl
    FROM kb_stats WHERE tenant_id = %(tenant_id)s
"""
# Recounted from the chunks: every tenant's the session sees (after orphans were deleted),
# or one tenant's (after a bulk load, the benchmarks' seeder).
_COUNT_TERMS = """
    INSERT INTO kb_terms (tenant_id, lexeme, chunks)
    SELECT c.tenant_id, u.lexeme, count(*) FROM kb_chunks c, unnest(c.content_tsv) u
    WHERE {where} GROUP BY 1, 2
"""
_COUNT_TOTALS = """
    INSERT INTO kb_stats (tenant_id, chunks, lexemes)
    SELECT tenant_id, count(*), coalesce(sum(length(content_tsv)), 0) FROM kb_chunks
    WHERE {where} GROUP BY 1
"""
_ONE = "tenant_id = %(tenant_id)s"
RECOUNT = [
    f"DELETE FROM kb_terms WHERE {_ONE}",
    f"DELETE FROM kb_stats WHERE {_ONE}",
    _COUNT_TERMS.format(where=_ONE),
    _COUNT_TOTALS.format(where=_ONE),
]
REBUILD = [
    "DELETE FROM kb_terms",
    "DELETE FROM kb_stats",
    _COUNT_TERMS.format(where="true"),
    _COUNT_TOTALS.format(where="true"),
]
# Documents of one tenant change its statistics one transaction at a time: two documents
# sharing words would otherwise lock the same rows in different orders.
LOCK = "SELECT pg_advisory_xact_lock(%s::int4, hashtext(%s))"
LOCK_CLASS = 0x6B74  # "kt"


async def add_document(conn: AsyncConnection, tenant_id: str, doc_id: str) -> None:
    """Count the document's chunks, as now stored, in the tenant's statistics."""
    params = {"tenant_id": tenant_id, "doc_id": doc_id}
    await conn.execute(LOCK, (LOCK_CLASS, tenant_id))
    await conn.execute(ADD, params)
    await conn.execute(ADD_TOTALS, params)


async def remove_document(conn: AsyncConnection, tenant_id: str, doc_id: str) -> None:
    """Take the document's chunks, as now stored, out of the tenant's statistics."""
    params = {"tenant_id": tenant_id, "doc_id": doc_id}
    await conn.execute(LOCK, (LOCK_CLASS, tenant_id))
    await conn.execute(SUBTRACT, params)
    await conn.execute(SUBTRACT_TOTALS, params)


async def recount(conn: AsyncConnection, tenant_id: str) -> None:
    """Recount the tenant's statistics from its chunks, in the caller's transaction."""
    await conn.execute(LOCK, (LOCK_CLASS, tenant_id))
    for statement in RECOUNT:
        await conn.execute(statement, {"tenant_id": tenant_id})


async def rebuild(conn: AsyncConnection) -> None:
    """Recount every visible tenant's statistics from its chunks, in the caller's transaction."""
    for statement in REBUILD:
        await conn.execute(statement)
