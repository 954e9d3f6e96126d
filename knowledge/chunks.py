"""Knowledge-base chunks (`kb_chunks`): a tenant's documents, split, embedded and searchable.

The table is laid out as langchain-postgres's `PGVectorStore` expects (id, content, embedding
and JSON metadata, plus metadata columns), so a store can read it. Ingestion writes a
document's chunks here rather than through the store, which commits each row on its own: all
of them in one transaction with the document's catalogue row (`replace_document`), so that a
document is never half-written. Searches read chunks with the pool's own connections. Every
statement on the table lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_postgres import PGEngine, PGVectorStore
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge import terms
from storage import batch
from storage.reindex import Reindexable
from storage.schema import KB_TABLE
from storage.search import (
    HIT_COLUMNS,
    QUERY_LEXEMES,
    ROW_LEXEMES,
    SCORED,
    compiled,
    scoped_statement,
    vector_literal,
)
from text.language import row_language
from text.words import fold

# Columns PGVectorStore writes beside the text (a search returns the first ones), among them
# the chunk's language and its accent-folded text, which its words are stemmed from.
METADATA_COLUMNS = ["tenant_id", "doc_id", "source", "title", "chunk_index", "lang", "search_text"]
COLUMNS = ["doc_id", "source", "title", "chunk_index", "lang"]

# BM25's scope statistics for a tenant's knowledge base, from its per-document sums: a tenant's
# chunks can be hundreds of thousands, and counting them cost 20 ms at 20k.
KB_STATS = """
    SELECT coalesce(sum(chunks), 0)::float8 AS n,
           coalesce(sum(lexemes)::float8 / nullif(sum(chunks), 0), 1)::float8 AS avgdl
    FROM kb_documents WHERE tenant_id = %(tenant_id)s
"""
DENSE = scoped_statement("dense", KB_TABLE, ["tenant_id"], COLUMNS)
# Lexical leg: Okapi BM25 over a bounded set of candidates, so that its cost does not grow
# with the number of chunks holding a common word. Each query lexeme (stemmed as in
# `storage.search`) is weighed by its document frequency kept in `kb_terms`, the knowledge
# base's size and mean length are its totals in `kb_stats`. Candidates are every chunk
# holding a lexeme found in at most %(per_term)s chunks (where BM25's weight lies) and up to
# %(per_term)s chunks holding all the commoner ones at once (GIN intersects their lists
# without reading them whole; one common word alone is read only when no rarer one is
# there). Candidates are scored exactly, from the tsvector read once; a chunk holding only
# some of the common words and none of the rare ones may be missed.
LEXICAL = sql.SQL(f"""
    WITH {QUERY_LEXEMES},
    df AS MATERIALIZED (
        SELECT t.lexeme, t.chunks::float8 AS df, quote_literal(t.lexeme)::tsquery AS query
        FROM kb_terms t, q WHERE t.tenant_id = %(tenant_id)s AND t.lexeme = ANY(q.lexemes)
    ),
    scope AS MATERIALIZED ({{stats}}),
    common AS (
        SELECT string_agg(quote_literal(lexeme), ' & ')::tsquery AS query
        FROM df WHERE df > %(per_term)s
        HAVING count(*) > 1 OR (count(*) = 1 AND min(df) = (SELECT min(df) FROM df))
    ),
    found AS MATERIALIZED (
        SELECT c.* FROM df, LATERAL (
            SELECT k.langchain_id, k.content_tsv FROM {{table}} k
            WHERE k.tenant_id = %(tenant_id)s AND k.content_tsv @@ df.query
        ) c
        WHERE df.df <= %(per_term)s
        UNION ALL
        (SELECT k.langchain_id, k.content_tsv FROM {{table}} k, common
         WHERE k.tenant_id = %(tenant_id)s AND k.content_tsv @@ common.query
         LIMIT %(per_term)s)
    ),
    hits AS (
        SELECT {HIT_COLUMNS}
        FROM (SELECT DISTINCT ON (langchain_id) * FROM found) t, q, {ROW_LEXEMES}
    ),
    {SCORED}
    SELECT t.langchain_id::text AS id, t.content, {{columns}}, t.langchain_metadata AS extra,
           scored.bm25 AS lexical
    FROM scored JOIN {{table}} t USING (langchain_id)
    ORDER BY lexical DESC, t.langchain_id
""").format(
    table=sql.Identifier(KB_TABLE),
    stats=sql.SQL(terms.TOTALS),
    columns=sql.SQL(", ").join(sql.Identifier("t", c) for c in COLUMNS),
)
# What `memoria reindex` re-embeds: the chunk's text, as the vector store embedded it.
REINDEX = Reindexable(
    table=KB_TABLE,
    key=("langchain_id",),
    text="content",
    tenant="tenant_id",
    index="kb_chunks_embedding_idx",
)
DELETE_DOCUMENT = sql.SQL("DELETE FROM {} WHERE tenant_id = %s AND doc_id = %s").format(
    sql.Identifier(KB_TABLE)
)
INSERT = sql.SQL("""
    INSERT INTO {} (langchain_id, content, embedding, {columns}, langchain_metadata)
    VALUES (%s, %s, %s::vector, {values}, %s)
""").format(
    sql.Identifier(KB_TABLE),
    columns=sql.SQL(", ").join(map(sql.Identifier, METADATA_COLUMNS)),
    values=sql.SQL(", ").join(sql.Placeholder() * len(METADATA_COLUMNS)),
)
INSERT_SLICE = 256
# Chunks whose document has no catalogue row: only writes of older versions, which wrote
# chunks before the row and outside a transaction, could leave them.
DELETE_ORPHANS = sql.SQL("""
    DELETE FROM {} c WHERE NOT EXISTS (
        SELECT 1 FROM kb_documents d WHERE d.tenant_id = c.tenant_id AND d.doc_id = c.doc_id)
""").format(sql.Identifier(KB_TABLE))


@dataclass(frozen=True)
class ChunkRow:
    """One chunk as stored: id, text, vector and metadata (columns and the rest as JSON)."""

    id: str
    content: str
    embedding: str
    """The vector in pgvector's text form (`storage.search.vector_literal`)."""
    metadata: dict[str, Any]

    def params(self) -> list[Any]:
        """Return the values of `INSERT` for this chunk."""
        columns = [self.metadata.get(c) for c in METADATA_COLUMNS]
        extra = {k: v for k, v in self.metadata.items() if k not in METADATA_COLUMNS}
        return [self.id, self.content, self.embedding, *columns, Jsonb(extra)]


async def vector_store(engine: AsyncEngine, embeddings: Embeddings) -> PGVectorStore:
    """Return a LangChain vector store over the chunks; ingestion embeds with its embeddings."""
    return await PGVectorStore.create(
        PGEngine.from_engine(engine), embeddings, KB_TABLE, metadata_columns=METADATA_COLUMNS
    )


async def delete_document(conn: AsyncConnection, tenant_id: str, doc_id: str) -> int:
    """Delete a document's chunks, vectors and term counts; return how many chunks went."""
    await terms.remove_document(conn, tenant_id, doc_id)
    return (await conn.execute(DELETE_DOCUMENT, (tenant_id, doc_id))).rowcount


async def replace_document(
    conn: AsyncConnection, tenant_id: str, doc_id: str, rows: Sequence[ChunkRow]
) -> None:
    """Replace a document's chunks with `rows`, in the caller's transaction."""
    await delete_document(conn, tenant_id, doc_id)
    async with conn.cursor() as cur:
        # In slices, so that a document of thousands of chunks lets the loop run between them.
        for start in range(0, len(rows), INSERT_SLICE):
            await cur.executemany(
                INSERT, [row.params() for row in rows[start : start + INSERT_SLICE]]
            )
    await terms.add_document(conn, tenant_id, doc_id)


async def delete_orphans(conn: AsyncConnection) -> int:
    """Delete chunks whose document has no catalogue row (every tenant's the session sees)."""
    async with conn.transaction():
        deleted = (await conn.execute(DELETE_ORPHANS)).rowcount
        if deleted:
            await terms.rebuild(conn)
    return deleted


async def dense(
    pool: AsyncConnectionPool, tenant_id: str, vector: Sequence[float], limit: int
) -> list[dict[str, Any]]:
    """Return the tenant's chunks nearest to `vector` (rows with `distance`), nearest first."""
    params = {"tenant_id": tenant_id, "vector": vector_literal(vector), "limit": limit}
    return await _rows(pool, DENSE, params)


async def lexical(
    pool: AsyncConnectionPool,
    tenant_id: str,
    words: str,
    limit: int,
    *,
    configs: list[str],
    k1: float,
    b: float,
    per_term: int,
) -> list[dict[str, Any]]:
    """Return the tenant's chunks best by BM25 for the query `words` (rows with `lexical`).

    `configs` are the text-search configurations the words are stemmed with; `per_term`
    bounds the chunks read for each of its words (`LEXICAL`).
    """
    params = {
        "tenant_id": tenant_id,
        "query": words,
        "configs": configs,
        "limit": limit,
        "k1": k1,
        "b": b,
        "per_term": per_term,
    }
    return await _rows(pool, LEXICAL, params)


async def _rows(
    pool: AsyncConnectionPool, statement: sql.Composable, params: dict[str, Any]
) -> list[dict[str, Any]]:
    return await batch.rows(pool, params["tenant_id"], compiled(statement), params)


def search_columns(text: str) -> dict[str, str]:
    """Return the metadata a chunk of `text` is written with for language-aware search."""
    return {"lang": row_language(text), "search_text": fold(text)}
