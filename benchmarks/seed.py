"""Bulk seeding for benchmarks: many messages and knowledge-base chunks in minutes.

Seeding 1M messages through the write path (append, then the worker embedding each one)
would take hours here. This loader writes the same rows the write path would, with COPY:

- messages: each turn (a human and an AI message of `benchmarks.corpus`) claims its thread
  and lands in the transcript (`chat_history`) and the message index (`memory_messages`),
  its index rows built by the write path's own `index_entries` (views, time references,
  sequence), their postings and half vectors by the write path's `message_terms.add` and
  `message_half_vectors.add`; users and threads round-robin as `benchmarks.suite` seeds them;
- knowledge base: help pages (`corpus.kb_page`) read and chunked as ingestion reads them,
  their catalogue rows with BM25 statistics, and the tenant's term frequencies;
- versions of every user's memory and of the knowledge base, so caches and routing see them.

Vectors are reproducible and not random: each word of the corpus is embedded once with the
configured model, and a text's vector is the normalised sum of its words' vectors (plus a
little noise seeded by its index), so the dense legs find related texts. Facts are not
extracted (the facts leg reads a user's few facts, whatever the number of messages).
When a load more than doubles a table, its HNSW, GIN and covering indexes are dropped and built
afterwards (much faster than row by row); the rows go in as the tables' owner, tenant,
user and thread set on every row.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from langchain_core.messages import AIMessage, HumanMessage, message_to_dict
from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from benchmarks.corpus import kb_page, message_text, message_time
from graph.resources import Resources
from knowledge import catalog, terms
from knowledge.chunks import METADATA_COLUMNS, search_columns
from knowledge.ingest import document_id
from knowledge.reading import prepare
from memory import message_half_vectors, message_terms
from memory.message_index import index_entries
from storage.identity import Identity
from storage.schema import (
    CHAT_HISTORY_TABLE,
    KB_TABLE,
    MESSAGE_HALF_VECTORS_TABLE,
    MESSAGE_TERMS_TABLE,
    MESSAGES_TABLE,
)
from storage.tenancy import tenant_connection
from storage.versions import bump_kb, bump_user

logger = logging.getLogger(__name__)

BLOCK = 20_000  # messages (or chunks) built and copied at a time
_WORDS = re.compile(r"[^\W\d_]{2,}")
MESSAGE_COLUMNS = (
    "langchain_id", "content", "embedding", "tenant_id", "user_id", "thread_id", "role",
    "created_at", "seq", "langchain_metadata", "embedded_text", "lang", "search_text",
)  # fmt: skip
MESSAGE_TYPES = (
    "uuid", "text", "vector", "text", "text", "text", "text",
    "timestamptz", "int8", "jsonb", "text", "text", "text",
)  # fmt: skip
CHUNK_COLUMNS = ("langchain_id", "content", "embedding", *METADATA_COLUMNS, "langchain_metadata")
CHUNK_TYPES = ("uuid", "text", "vector", "text", "text", "text", "text", "int4", "text", "text")
CHUNK_TYPES += ("jsonb",)
INDEXES = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef ~ %s"
CLAIM_THREADS = """
    INSERT INTO threads (thread_id, tenant_id, user_id, session_id)
    SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::uuid[])
    ON CONFLICT (tenant_id, thread_id) DO NOTHING
"""
CHUNKS_PER_PAGE = 12  # `kb_page` at the default chunk size
# Loads smaller than this keep the indexes (a rebuild costs more than it saves).
BULK_REBUILD = 50_000


@dataclass(frozen=True)
class SeedPlan:
    """What to add to one tenant: messages and chunks from where the last load stopped."""

    tenant: str
    messages: tuple[int, int]
    """Message indices [start, stop) (turns are pairs: keep both even)."""
    pages: tuple[int, int] = (0, 0)
    """Knowledge-base page indices [start, stop), ~12 chunks each."""
    users: int = 100
    threads_per_user: int = 10
    total_messages: int = 0
    """Messages the tenant will hold in the end: their timestamps spread over a year."""
    seed: int = 7


def user_id(n: int) -> str:
    """Return the id of seeded user `n`."""
    return f"user-{n:04d}"


def thread_id(user: int, thread: int) -> str:
    """Return the id of seeded user `user`'s thread `thread`."""
    return f"thread-{user:04d}-{thread:02d}"


class WordVectors:
    """Reproducible text vectors: the normalised sum of the model's vectors of its words."""

    def __init__(self, res: Resources, seed: int) -> None:
        """Embed words with `res.embeddings`, noise seeded by `seed`."""
        self._embeddings = res.embeddings
        self._seed = seed
        self._vectors: dict[str, np.ndarray] = {}

    async def learn(self, texts: Iterable[str]) -> None:
        """Embed the words of `texts` not embedded yet."""
        new = sorted({w for t in texts for w in _WORDS.findall(t.lower())} - self._vectors.keys())
        for start in range(0, len(new), 256):
            batch = new[start : start + 256]
            vectors = await self._embeddings.aembed_documents(batch)
            self._vectors.update(zip(batch, np.asarray(vectors, np.float32), strict=True))

    def vector(self, text: str, index: int) -> np.ndarray:
        """Return the vector of `text` (its words learnt), with noise of index `index`."""
        rng = np.random.default_rng(self._seed * 1_000_003 + index)
        words = [self._vectors[w] for w in _WORDS.findall(text.lower())]
        dims = next(iter(self._vectors.values())).shape[0]
        total = np.sum(words, axis=0) if words else np.zeros(dims, np.float32)
        total = total + rng.normal(0, 0.15, dims).astype(np.float32)
        return (total / np.linalg.norm(total)).astype(np.float32)


async def seed(res: Resources, plan: SeedPlan) -> dict[str, Any]:
    """Add `plan`'s messages and pages to its tenant; return rows added and seconds taken."""
    started = time.perf_counter()
    words = WordVectors(res, plan.seed)
    report: dict[str, Any] = {"tenant": plan.tenant}
    async with res.storage.owner_connection() as conn:
        await register_vector_async(conn)
        report["messages"] = await _seed_messages(conn, words, plan)
        report["chunks"] = await _seed_pages(conn, words, plan)
        async with conn.transaction():
            for u in range(plan.users):
                await bump_user(conn, plan.tenant, user_id(u))
            await bump_kb(conn, plan.tenant)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _turns(plan: SeedPlan, start: int, stop: int) -> Iterable[tuple[Identity, list[Any]]]:
    threads = [
        Identity(plan.tenant, user_id(u), thread_id(u, t))
        for u in range(plan.users)
        for t in range(plan.threads_per_user)
    ]
    total = max(plan.total_messages, plan.messages[1])
    for i in range(start - start % 2, stop, 2):
        created = message_time(i, total).isoformat()
        kwargs = {"created_at": created}
        ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"{plan.tenant}/{i + k}")) for k in (0, 1)]
        yield (
            threads[(i // 2) % len(threads)],
            [
                HumanMessage(message_text(i, plan.seed), id=ids[0], additional_kwargs=kwargs),
                AIMessage(message_text(i + 1, plan.seed), id=ids[1], additional_kwargs=kwargs),
            ],
        )


async def _seed_messages(conn: AsyncConnection, words: WordVectors, plan: SeedPlan) -> int:
    start, stop = plan.messages
    if stop <= start:
        return 0
    # ~10 postings a message (memory/message_terms.py) and its half vector
    # (memory/message_half_vectors.py): their search indexes are rebuilt too.
    async with (
        _bulk(conn, MESSAGES_TABLE, stop - start),
        _bulk(conn, MESSAGE_TERMS_TABLE, (stop - start) * 10),
        _bulk(conn, MESSAGE_HALF_VECTORS_TABLE, stop - start),
    ):
        added = 0
        for block in range(start, stop, BLOCK):
            turns = list(_turns(plan, block, min(block + BLOCK, stop)))
            await words.learn(m.content for _, turn in turns for m in turn)
            history, index, claimed = [], [], {}
            for ident, turn in turns:
                claimed[ident.thread_id] = ident
                session = uuid.UUID(ident.session_id)
                for m in turn:
                    history.append((session, Jsonb(message_to_dict(m))))
                # As the worker numbers a turn: microseconds since the epoch, plus its position.
                said = datetime.fromisoformat(turn[0].additional_kwargs["created_at"])
                base_seq = int(said.timestamp() * 1_000_000)
                for e in index_entries(turn, base_seq=base_seq, acked_at=said):
                    row = search_columns(e.content)
                    index.append((
                        uuid.UUID(e.id), e.content, words.vector(e.view, e.seq), plan.tenant,
                        ident.user_id, ident.thread_id, e.role, e.created_at, e.seq,
                        Jsonb(e.metadata), e.view if e.view != e.content else None,
                        row["lang"], row["search_text"],
                    ))  # fmt: skip
            async with conn.transaction():
                idents = list(claimed.values())
                await conn.execute(
                    CLAIM_THREADS,
                    (
                        [i.thread_id for i in idents],
                        [i.tenant_id for i in idents],
                        [i.user_id for i in idents],
                        [i.session_id for i in idents],
                    ),
                )
                await _copy(
                    conn, CHAT_HISTORY_TABLE, ("session_id", "message"), ("uuid", "jsonb"), history
                )
                await _copy(conn, MESSAGES_TABLE, MESSAGE_COLUMNS, MESSAGE_TYPES, index)
                await message_terms.add(conn, [row[0] for row in index])
                await message_half_vectors.add(conn, [row[0] for row in index])
            added += len(index)
            logger.info("seeded %d/%d messages", min(block + BLOCK, stop), stop)
    return added


async def _seed_pages(conn: AsyncConnection, words: WordVectors, plan: SeedPlan) -> int:
    start, stop = plan.pages
    if stop <= start:
        return 0
    added = 0
    async with _bulk(conn, KB_TABLE, (stop - start) * CHUNKS_PER_PAGE):
        per_block = max(1, BLOCK // CHUNKS_PER_PAGE)
        for block in range(start, stop, per_block):
            pages = range(block, min(block + per_block, stop))
            prepared = [
                (
                    f"bench-seed:page-{i:05d}.md",
                    prepare(f"page-{i:05d}.md", kb_page(i, plan.seed).encode()),
                )
                for i in pages
            ]
            await words.learn(c.page_content for _, p in prepared for c in p.chunks)
            rows, documents = [], []
            for source, page in prepared:
                doc_id = document_id(source)
                documents.append((doc_id, source, page))
                for n, chunk in enumerate(page.chunks):
                    key = f"{plan.tenant}\x1f{doc_id}:{page.digest}:{n}"
                    metadata = {
                        **chunk.metadata, **search_columns(chunk.page_content),
                        "tenant_id": plan.tenant, "doc_id": doc_id, "source": source,
                    }  # fmt: skip
                    extra = {k: v for k, v in metadata.items() if k not in METADATA_COLUMNS}
                    rows.append((
                        uuid.uuid5(uuid.NAMESPACE_OID, key), chunk.page_content,
                        words.vector(chunk.page_content, _digest_int(key)),
                        *(metadata.get(c) for c in METADATA_COLUMNS), Jsonb(extra),
                    ))  # fmt: skip
            async with conn.transaction():
                await _copy(conn, KB_TABLE, CHUNK_COLUMNS, CHUNK_TYPES, rows)
                for doc_id, source, page in documents:
                    await catalog.record(
                        conn, tenant_id=plan.tenant, doc_id=doc_id, source=source,
                        title=page.metadata["title"], digest=page.digest,
                    )  # fmt: skip
            added += len(rows)
            logger.info("seeded %d/%d pages", pages.stop, stop)
    async with conn.transaction():
        await terms.recount(conn, plan.tenant)
    return added


def _digest_int(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:6], "big")


async def _copy(
    conn: AsyncConnection,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    async with conn.cursor().copy(statement) as copy:
        copy.set_types(list(types))
        for row in rows:
            await copy.write_row(row)


class _bulk:
    """Drop `table`'s HNSW, GIN and covering indexes while a load adds more than it holds."""

    def __init__(self, conn: AsyncConnection, table: str, adding: int) -> None:
        self._conn, self._table, self._adding = conn, table, adding
        self._dropped: list[dict[str, Any]] = []

    async def __aenter__(self) -> None:
        count = sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(self._table))
        held = (await (await self._conn.execute(count)).fetchone())["n"]
        if self._adding <= max(held, BULK_REBUILD):
            return
        cur = await self._conn.execute(INDEXES, (self._table, "USING (hnsw|gin)|INCLUDE"))
        self._dropped = await cur.fetchall()
        for index in self._dropped:
            await self._conn.execute(
                sql.SQL("DROP INDEX {}").format(sql.Identifier(index["indexname"]))
            )

    async def __aexit__(self, *exc: object) -> None:
        if self._dropped:
            await self._conn.execute("SET maintenance_work_mem = '3GB'")
        for index in self._dropped:
            started = time.perf_counter()
            await self._conn.execute(index["indexdef"])
            logger.info("rebuilt %s in %.0f s", index["indexname"], time.perf_counter() - started)
        # After a bulk load VACUUM too: it marks the loaded pages all-visible, as autovacuum
        # would later, so index-only scans (a user's vectors) skip the heap at once.
        command = "VACUUM (ANALYZE) {}" if self._dropped else "ANALYZE {}"
        await self._conn.execute(sql.SQL(command).format(sql.Identifier(self._table)))


def plan_growth(
    tenant: str, messages: tuple[int, int], chunks_per_message: float, **kw: Any
) -> SeedPlan:
    """Return the plan growing `tenant` from `messages[0]` to `messages[1]` messages.

    Its knowledge base grows with it, `chunks_per_message` chunks per message in pages.
    """
    pages = tuple(int(m * chunks_per_message / CHUNKS_PER_PAGE) for m in messages)
    return SeedPlan(tenant=tenant, messages=messages, pages=pages, **kw)  # type: ignore[arg-type]


async def held(res: Resources, tenant: str) -> tuple[int, int]:
    """Return the messages and pages a tenant seeded before holds (to grow it from there)."""
    async with tenant_connection(res.pool, tenant) as conn:
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM chat_history h JOIN threads t USING (session_id)"
            "        WHERE t.tenant_id = %(t)s) AS messages,"
            " (SELECT count(*) FROM kb_documents WHERE tenant_id = %(t)s) AS pages",
            {"t": tenant},
        )
        row = await cur.fetchone()
    return int(row["messages"]), int(row["pages"])


async def vector_settings(res: Resources) -> dict[str, str]:
    """Return pgvector's version and the HNSW settings the read path's sessions run with."""
    async with res.pool.connection() as conn:
        # pgvector defines its settings once a session has used a vector.
        await conn.execute("SELECT '[1]'::vector <=> '[1]'::vector")
        cur = await conn.execute(
            "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,"
            " current_setting('hnsw.iterative_scan', true) AS iterative_scan,"
            " current_setting('hnsw.ef_search', true) AS ef_search,"
            " current_setting('hnsw.max_scan_tuples', true) AS max_scan_tuples"
        )
        return dict(await cur.fetchone())
