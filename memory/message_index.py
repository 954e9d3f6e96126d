"""The message index (`memory_messages`): each user's past messages, embedded and searchable.

The outbox worker writes rows for acknowledged turns; retrieval reads them by meaning, by
BM25 and by position in their thread; fact changes mark the messages that stated an old
value; forgetting deletes them. Every statement on the table lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.messages import BaseMessage
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from memory import message_half_vectors, message_terms
from memory.messages import is_extractive_reply, message_text, message_uuid
from memory.time_refs import resolve_time_refs
from storage import batch
from storage.identity import Identity
from storage.reindex import Reindexable
from storage.schema import MESSAGE_HALF_VECTORS_TABLE, MESSAGE_TERMS_TABLE, MESSAGES_TABLE
from storage.search import compiled, half_vector_statement, postings_statement, vector_literal
from text.language import row_language
from text.words import fold

# Messages may carry extra provenance for the index under this additional_kwargs key.
EXTRA_METADATA_KEY = "memoria_metadata"

# Columns of `memory_messages` besides content and embedding; everything else is JSON metadata.
INDEX_COLUMNS = frozenset(
    {"tenant_id", "user_id", "thread_id", "role", "created_at", "seq", "message_id"}
)
# Columns a search returns beside the text and the JSON metadata (`lang`: the row's language,
# en/pt, or "simple" when too short to tell; the responder reads it).
COLUMNS = ["thread_id", "role", "created_at", "lang"]

# Embed each message together with the one before it in the same append (measured on the
# LoCoMo dev split, see BENCHMARKS.md).
EMBED_WITH_PREVIOUS = True

# Same layout as langchain-postgres PGVectorStore rows (scoping columns plus JSON metadata),
# written by the outbox worker so the rows commit with its job. A replayed job inserts nothing.
INSERT_ROW = f"""
    INSERT INTO {MESSAGES_TABLE} (langchain_id, content, embedding, tenant_id, user_id,
                                  thread_id, role, created_at, seq, langchain_metadata,
                                  embedded_text, lang, search_text)
    VALUES (%s, %s, %s::vector, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (langchain_id) DO NOTHING
"""
# What `memoria reindex` re-embeds: the view a row's vector was made of.
REINDEX = Reindexable(
    table=MESSAGES_TABLE,
    key=("langchain_id",),
    text="coalesce(embedded_text, content)",
    tenant="tenant_id",
    index="memory_messages_embedding_idx",
    derived=message_half_vectors.RECOMPUTE,
)
MARK_SUPERSEDED = f"""
    UPDATE {MESSAGES_TABLE}
    SET langchain_metadata = coalesce(langchain_metadata, '{{}}'::jsonb)
                             || jsonb_build_object('superseded_by', %(by)s::text)
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
      AND langchain_id = ANY(%(ids)s::uuid[])
"""
DELETE_THREADS = f"""
    DELETE FROM {MESSAGES_TABLE}
    WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)
"""
# Searches find messages by the roles asked for: the user's own words are evidence about
# them, the assistant's earlier answers only when the question is about what it said.
# A user's messages are a small part of the table: up to EXACT_UP_TO of them are ranked
# from their half-size vectors in one range of a covering index (memory/message_half_vectors.py),
# more by HNSW with pgvector's iterative scan (storage/search.py, BENCHMARKS.md "a million").
DENSE = half_vector_statement(
    MESSAGES_TABLE, MESSAGE_HALF_VECTORS_TABLE, ["tenant_id", "user_id"], COLUMNS, any_of=["role"]
)
EXACT_UP_TO = 20_000
# BM25 from the postings of the question's lexemes in the user's rows (memory/message_terms.py).
LEXICAL = postings_statement(
    MESSAGES_TABLE, MESSAGE_TERMS_TABLE, ["tenant_id", "user_id"], COLUMNS, any_of=["role"]
)
USER_ROLES = ("human",)
ALL_ROLES = ("human", "ai")
# The neighbours (two turns either side, same thread) of some messages of a user.
NEIGHBOURS = sql.SQL("""
    -- The hits first (a handful of rows), so neighbours are looked up for them alone, whatever
    -- the planner believes about the user's row count (stale right after a bulk import).
    WITH hits AS MATERIALIZED (
        SELECT langchain_id, tenant_id, user_id, thread_id, seq
        FROM {table}
        WHERE langchain_id = ANY(%(ids)s::uuid[])
          AND tenant_id = %(tenant_id)s AND user_id = %(user_id)s
    )
    SELECT a.langchain_id::text AS hit, n.langchain_id::text AS id, n.content, n.thread_id,
           n.role, n.created_at, n.langchain_metadata AS extra, n.offset_turns
    FROM hits a
    CROSS JOIN LATERAL (
        (SELECT b.*, -row_number() OVER (ORDER BY b.seq DESC) AS offset_turns
         FROM {table} b
         WHERE b.tenant_id = a.tenant_id AND b.user_id = a.user_id
           AND b.thread_id = a.thread_id AND b.seq < a.seq
         ORDER BY b.seq DESC LIMIT 2)
        UNION ALL
        (SELECT b.*, row_number() OVER (ORDER BY b.seq) AS offset_turns
         FROM {table} b
         WHERE b.tenant_id = a.tenant_id AND b.user_id = a.user_id
           AND b.thread_id = a.thread_id AND b.seq > a.seq
         ORDER BY b.seq LIMIT 2)
    ) AS n
""").format(table=sql.Identifier(MESSAGES_TABLE))


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One message as the index stores it: text, what gets embedded, and where it sits."""

    id: str
    message_id: str
    content: str
    view: str
    role: str
    created_at: datetime
    seq: int
    metadata: dict[str, Any]


def index_entries(
    messages: Sequence[BaseMessage], *, base_seq: int, acked_at: datetime
) -> list[IndexEntry]:
    """Return the index entries of a turn's messages (user and assistant text only).

    Args:
        messages: The turn's messages, in order.
        base_seq: Position of the turn in its thread; message i gets `base_seq + i`.
        acked_at: When the turn was acknowledged: the timestamp of messages that carry none.
    """
    entries = []
    previous = ""
    for position, message in enumerate(messages):
        text = message_text(message).strip()
        if message.type not in ("human", "ai") or not text or is_extractive_reply(message):
            continue
        # Embed a message with the one before it: a reply ("Yes, in June!") means little
        # alone. The stored text stays the message itself.
        view = f"{previous}\n{text}" if previous and EMBED_WITH_PREVIOUS else text
        previous = text
        created = message.additional_kwargs.get("created_at")
        said_at = datetime.fromisoformat(created) if created else acked_at
        time_refs = resolve_time_refs(text, said_at)
        entries.append(
            IndexEntry(
                id=message_uuid(message),
                message_id=str(message.id),
                content=text,
                view=view,
                role=message.type,
                created_at=said_at,
                seq=base_seq + position,
                metadata={
                    # Caller-supplied provenance (e.g. an importer's turn id); it can never
                    # shadow the columns every query scopes by.
                    **{
                        k: v
                        for k, v in message.additional_kwargs.get(EXTRA_METADATA_KEY, {}).items()
                        if k not in INDEX_COLUMNS
                    },
                    **({"speaker": message.name} if message.name else {}),
                    # "yesterday" said on 8 May is 7 May: resolved once, here, off the read path.
                    **({"time_refs": time_refs} if time_refs else {}),
                    "message_id": message.id,
                },
            )
        )
    return entries


async def insert(
    conn: AsyncConnection,
    ident: Identity,
    entries: Sequence[IndexEntry],
    vectors: Sequence[Sequence[float]],
) -> None:
    """Write `entries` of `ident`'s thread with their vectors, in the caller's transaction."""
    if not entries:
        return
    async with conn.cursor() as cur:
        await cur.executemany(
            INSERT_ROW,
            [
                (
                    e.id,
                    e.content,
                    vector_literal(v),
                    ident.tenant_id,
                    ident.user_id,
                    ident.thread_id,
                    e.role,
                    e.created_at,
                    e.seq,
                    Jsonb(e.metadata),
                    e.view if e.view != e.content else None,
                    row_language(e.content),
                    fold(e.content),
                )
                for e, v in zip(entries, vectors, strict=True)
            ],
        )
    await message_terms.add(conn, [e.id for e in entries])
    await message_half_vectors.add(conn, [e.id for e in entries])


async def mark_superseded(
    conn: AsyncConnection, ident: Identity, row_ids: Sequence[str], by: str
) -> None:
    """Record on the messages `row_ids` that what they stated was replaced by `by`."""
    if row_ids:
        params = {**ident.as_dict(), "ids": list(row_ids), "by": by}
        await conn.execute(MARK_SUPERSEDED, params)


async def delete_threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_ids: Sequence[str]
) -> int:
    """Delete the index rows of some threads of a user; return how many went."""
    cur = await conn.execute(DELETE_THREADS, (tenant_id, user_id, list(thread_ids)))
    return cur.rowcount


async def dense(
    pool: AsyncConnectionPool,
    ident: Identity,
    vector: Sequence[float],
    limit: int,
    *,
    roles: Sequence[str] = USER_ROLES,
    exact_up_to: int = EXACT_UP_TO,
) -> list[dict[str, Any]]:
    """Return the user's messages of `roles` nearest to `vector` (rows with `distance`).

    Ranked from every half vector of theirs when the user holds at most `exact_up_to`
    messages of `roles`, by HNSW beyond.
    """
    params = {
        **_scope(ident),
        "vector": vector_literal(vector),
        "limit": limit,
        "role": list(roles),
        "exact_up_to": exact_up_to,
    }
    return await _rows(pool, DENSE, params)


async def lexical(
    pool: AsyncConnectionPool,
    ident: Identity,
    words: str,
    limit: int,
    *,
    configs: list[str],
    k1: float,
    b: float,
    roles: Sequence[str] = USER_ROLES,
) -> list[dict[str, Any]]:
    """Return the user's messages of `roles` best by BM25 for the query `words`.

    Rows carry their score as `lexical`; `configs` are the text-search configurations the
    words are stemmed with.
    """
    params = {
        **_scope(ident),
        "query": words,
        "configs": configs,
        "limit": limit,
        "k1": k1,
        "b": b,
        "role": list(roles),
    }
    return await _rows(pool, LEXICAL, params)


async def neighbours(
    pool: AsyncConnectionPool, ident: Identity, row_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Return up to two messages either side of each of `row_ids` in its thread.

    Each row names its `hit` and `offset_turns` (-2, -1, 1, 2) from it.
    """
    return await _rows(pool, NEIGHBOURS, {**_scope(ident), "ids": list(row_ids)})


def _scope(ident: Identity) -> dict[str, str]:
    return {"tenant_id": ident.tenant_id, "user_id": ident.user_id}


async def _rows(
    pool: AsyncConnectionPool, statement: sql.Composable, params: dict[str, Any]
) -> list[dict[str, Any]]:
    return await batch.rows(pool, params["tenant_id"], compiled(statement), params)
