"""Threads by words (`memory_thread_terms`): each thread's term counts, for BM25 over threads.

A thread (a LoCoMo session, a user's conversation on one subject) is a retrieval unit of its
own: a question about a topic a thread kept returning to finds that thread even when the
turn holding the answer does not repeat the question's words. One row per (thread, lexeme)
with the lexeme's count over the thread's messages, and one row of lexeme `DOCUMENT` with
the thread's length. Rows are counted from the postings `memory.message_terms` writes, in
the same statement and transaction: only postings actually inserted are counted, so a
replayed job adds nothing. Rows go with their thread's messages (`delete_threads`, called
by `memory.message_index.delete_threads` in its transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from storage.schema import MESSAGES_TABLE, THREAD_TERMS_TABLE
from storage.search import DOCUMENT, QUERY_LEXEMES
from storage.tenancy import tenant_connection

# Postings RETURNING (message_id, lexeme, tf, dl), counted into their threads' rows.
_COUNT_ADDED = """
    WITH added AS ({postings}),
    counted AS (
        SELECT m.tenant_id, m.user_id, a.lexeme, m.thread_id,
               sum(CASE WHEN a.lexeme = {document} THEN a.dl ELSE a.tf END)::integer AS tf
        FROM added a JOIN {messages} m ON m.langchain_id = a.message_id
        GROUP BY 1, 2, 3, 4
    )
    INSERT INTO {table} AS t (tenant_id, user_id, lexeme, thread_id, tf)
    SELECT * FROM counted ORDER BY 1, 2, 3, 4
    ON CONFLICT (tenant_id, user_id, lexeme, thread_id) DO UPDATE SET tf = t.tf + excluded.tf
"""
DELETE_THREADS = sql.SQL("""
    DELETE FROM {table} WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)
""").format(table=sql.Identifier(THREAD_TERMS_TABLE))
# BM25 of every thread of the user holding a question's lexeme, its thread seen as one
# document; with how many threads the user has and the mean and spread of the scores over
# all of them (a thread without the words scores 0), so each thread's standing is known.
SCORES = sql.SQL(f"""
    WITH {QUERY_LEXEMES},
    docs AS MATERIALIZED (
        SELECT thread_id, tf::float8 AS dl FROM {{table}}
        WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND lexeme = {{document}}
    ),
    scope AS MATERIALIZED (
        SELECT count(*)::float8 AS n, coalesce(avg(dl), 1)::float8 AS avgdl FROM docs
    ),
    hits AS MATERIALIZED (
        SELECT thread_id, lexeme, tf::float8 AS tf FROM {{table}}
        WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
          AND lexeme = ANY((SELECT lexemes FROM q)::text[])
    ),
    df AS MATERIALIZED (SELECT lexeme, count(*)::float8 AS df FROM hits GROUP BY lexeme),
    scored AS (
        SELECT h.thread_id,
               sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5)) * h.tf * (%(k1)s + 1)
                   / (h.tf + %(k1)s * (1 - %(b)s + %(b)s * d.dl / s.avgdl))) AS bm25
        FROM hits h JOIN df USING (lexeme) JOIN docs d USING (thread_id), scope s
        GROUP BY h.thread_id
    )
    SELECT scored.thread_id, scored.bm25, s.n AS threads
    FROM scored, scope s
    ORDER BY scored.bm25 DESC, scored.thread_id
""").format(table=sql.Identifier(THREAD_TERMS_TABLE), document=sql.Literal(DOCUMENT))


def count_added(postings: sql.Composable) -> sql.Composed:
    """Return `postings` (an INSERT ... RETURNING message_id, lexeme, tf, dl) counted in."""
    return sql.SQL(_COUNT_ADDED).format(
        postings=postings,
        document=sql.Literal(DOCUMENT),
        messages=sql.Identifier(MESSAGES_TABLE),
        table=sql.Identifier(THREAD_TERMS_TABLE),
    )


async def delete_threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_ids: Sequence[str]
) -> int:
    """Delete the term counts of some threads of a user; return how many rows went."""
    return (await conn.execute(DELETE_THREADS, (tenant_id, user_id, list(thread_ids)))).rowcount


async def scores(
    pool: AsyncConnectionPool,
    tenant_id: str,
    user_id: str,
    words: str,
    *,
    configs: list[str],
    k1: float,
    b: float,
) -> list[dict[str, Any]]:
    """Return the user's threads holding any of `words`, best BM25 first.

    Rows carry `thread_id`, `bm25` and `threads` (how many threads the user has).
    """
    params = {
        "tenant_id": tenant_id,
        "user_id": user_id,
        "query": words,
        "configs": configs,
        "k1": k1,
        "b": b,
    }
    async with tenant_connection(pool, tenant_id) as conn:
        return await (await conn.execute(SCORES, params)).fetchall()
