"""Scoped retrieval across the knowledge base, the user's conversations and their facts.

Each source contributes a vector leg (pgvector, cosine) and, for lexical-leaning
strategies, an Okapi BM25 leg computed in SQL. Legs are fused over the union of candidates
(z-scored scores by default, or reciprocal rank fusion); then a period named in the question,
a person it names and the turns next to strong hits adjust the order. Every candidate keeps
its per-signal ranks and scores.
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from memory.conversation import ConversationMemory, is_extractive_reply, message_text
from memory.facts import FactStore
from retrievers.fusion import propagate_to_neighbours, reciprocal_rank_fusion, zscore_fusion
from retrievers.temporal import time_window
from retrievers.text import terms
from retrievers.types import Candidate, RouteDecision, Source, Strategy
from storage.identity import Identity
from storage.schema import KB_TABLE, MESSAGES_TABLE
from storage.tenancy import tenant_connection

logger = logging.getLogger(__name__)

Fusion = Literal["zscore", "rrf"]

# How much each leg counts in fusion, per strategy: lookups of codes and ids lean lexical,
# "do you remember" questions lean on meaning.
LEG_WEIGHTS: dict[Strategy, dict[str, float]] = {
    "semantic_search": {"vector": 1.0, "lexical": 0.0},
    "hybrid": {"vector": 1.0, "lexical": 1.0},
    "cross_conversation": {"vector": 1.0, "lexical": 0.6},
    "recent_history": {"recent": 1.0},
    "session_only": {},
}

# Scoping columns stay out of candidate metadata: callers already know whose data it is.
MESSAGE_SCOPE_KEYS = frozenset({"tenant_id", "user_id"})

SOURCES: dict[Strategy, list[Source]] = {
    "session_only": [],
    "recent_history": ["thread"],
    "semantic_search": ["knowledge_base", "conversation", "facts"],
    "hybrid": ["knowledge_base", "conversation", "facts"],
    "cross_conversation": ["conversation", "facts"],
}


# pgvector settings for the dense legs, as libpq startup options. Without iterative scans,
# HNSW returns the `ef_search` nearest rows of the whole table and filters by tenant and user
# afterwards, so a user sharing a table with many others would get too few rows back.
FILTERED_HNSW_OPTIONS = "-c hnsw.ef_search=100 -c hnsw.iterative_scan=relaxed_order"


# Lexical leg: Okapi BM25 computed in SQL from the scope's own term statistics (document
# frequency and average length over the tenant's chunks, or the user's messages), on the
# stemmed generated tsvector. The GIN index narrows rows to those holding a query lexeme.
# Lexemes are passed pre-stemmed, so the tsquery is built verbatim (no second stemming).
# The statistics CTEs are MATERIALIZED: inlined, the planner re-ran them once per hit row.
_BM25 = """
    WITH q AS (
        SELECT coalesce(array_agg(DISTINCT lexeme), ARRAY[]::text[]) AS lexemes
        FROM unnest(to_tsvector('english', %(query)s))
        -- The parser splits "E-4012" into e-4012, e and 4012; a lone letter matches every
        -- code in a table and means nothing on its own.
        WHERE length(lexeme) > 1
    ),
    tsq AS (
        SELECT string_agg(quote_literal(l), ' | ')::tsquery AS query FROM q, unnest(q.lexemes) l
    ),
    scope AS MATERIALIZED ({stats}),
    -- Each matching row's tsvector is cut down to the query's lexemes before unnesting
    -- (marked with weight A, then filtered on it, in C): unnesting whole tsvectors cost ~100
    -- rows per match and made the leg grow with the number of matching chunks.
    hits AS (
        SELECT t.langchain_id, u.lexeme,
               coalesce(array_length(u.positions, 1), 1)::float8 AS tf,
               length(t.content_tsv)::float8 AS dl
        FROM {table} t, q, tsq,
             unnest(ts_filter(setweight(t.content_tsv, 'A', q.lexemes), ARRAY['a']::"char"[])) AS u
        WHERE {scope_t} AND t.content_tsv @@ tsq.query
    ),
    df AS MATERIALIZED (SELECT lexeme, count(*)::float8 AS df FROM hits GROUP BY lexeme),
    scored AS (
        SELECT h.langchain_id,
               sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
                   * h.tf * (%(k1)s + 1)
                   / (h.tf + %(k1)s * (1 - %(b)s + %(b)s * h.dl / s.avgdl))) AS bm25
        FROM hits h JOIN df USING (lexeme), scope s
        GROUP BY h.langchain_id
        ORDER BY bm25 DESC, h.langchain_id
        LIMIT %(limit)s
    )
    SELECT t.langchain_id::text AS id, t.content, {columns}, scored.bm25 AS lexical
    FROM scored JOIN {table} t USING (langchain_id)
    ORDER BY lexical DESC, t.langchain_id
"""


# Dense leg: cosine distance, nearest first, within the scope. The planner chooses by cost
# between the HNSW index (iterative scan, see FILTERED_HNSW_OPTIONS) and an exact sort of the
# scope's rows (one user's few hundred messages: a scan and a top-N sort). Read with the
# pool's psycopg connections rather than PGVectorStore's similarity search: the same query
# through SQLAlchemy cost ~10 ms per call against ~2 ms here.
_DENSE = """
    SELECT t.langchain_id::text AS id, t.content, {columns},
           t.embedding <=> %(vector)s::vector AS distance
    FROM {table} t
    WHERE {scope_t}
    ORDER BY t.embedding <=> %(vector)s::vector
    LIMIT %(limit)s
"""

_STATEMENTS = {"lexical": _BM25, "dense": _DENSE}

# BM25's scope statistics, row count and mean tsvector length: over the scope's rows (one
# user's messages: hundreds or thousands), or for the knowledge base from its per-document
# sums (a tenant's chunks can be hundreds of thousands; counting them cost 20 ms at 20k).
ROW_STATS = """
    SELECT count(*)::float8 AS n, coalesce(avg(length(content_tsv)), 1)::float8 AS avgdl
    FROM {table} WHERE {scope}
"""
KB_STATS = """
    SELECT coalesce(sum(chunks), 0)::float8 AS n,
           coalesce(sum(lexemes)::float8 / nullif(sum(chunks), 0), 1)::float8 AS avgdl
    FROM kb_documents WHERE tenant_id = %(tenant_id)s
"""


def _scoped_statement(
    kind: Literal["lexical", "dense"],
    table: str,
    scope: list[str],
    columns: list[str],
    stats: str = ROW_STATS,
) -> sql.Composed:
    """Build a leg's query for `table`, scoped by equality on `scope` columns (bound)."""
    where = " AND ".join(f"{col} = %({col})s" for col in scope)
    return sql.SQL(
        _STATEMENTS[kind].format(
            table="{table}",
            stats=stats.format(table="{table}", scope=where),
            scope_t=" AND ".join(f"t.{col} = %({col})s" for col in scope),
            columns=", ".join(f"t.{c}" for c in columns) + ", t.langchain_metadata AS extra",
        )
    ).format(table=sql.Identifier(table))


KB_COLUMNS = ["doc_id", "source", "title", "chunk_index"]
MESSAGE_COLUMNS = ["thread_id", "role", "created_at"]
LEXICAL_KB = _scoped_statement("lexical", KB_TABLE, ["tenant_id"], KB_COLUMNS, KB_STATS)
LEXICAL_MESSAGES = _scoped_statement(
    "lexical", MESSAGES_TABLE, ["tenant_id", "user_id"], MESSAGE_COLUMNS
)
DENSE_KB = _scoped_statement("dense", KB_TABLE, ["tenant_id"], KB_COLUMNS)
DENSE_MESSAGES = _scoped_statement(
    "dense", MESSAGES_TABLE, ["tenant_id", "user_id"], MESSAGE_COLUMNS
)

# The neighbours (two turns either side, same thread) of the top conversation hits.
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


# Share of the fused-score range given to messages by a person the question names.
AUTHOR_BONUS = 0.3
_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")

# How many top conversation hits lend score to their neighbours.
NEIGHBOUR_HITS = 10
NEIGHBOUR_WEIGHT = 0.3

# BM25 constants per source. Chat turns are short and alike in length, so length
# normalisation (b) matters little there; document chunks vary more.
BM25_PARAMS = {"knowledge_base": {"k1": 1.2, "b": 0.75}, "conversation": {"k1": 1.2, "b": 0.2}}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _row_document(row: dict[str, Any], columns: Sequence[str]) -> Document:
    """Build a Document from a row: its JSON `extra` metadata plus `columns` (dates as ISO)."""
    meta = {**(row.get("extra") or {})}
    meta.update({k: _iso(row[k]) for k in columns})
    return Document(page_content=row["content"], metadata=meta, id=row["id"])


class Retriever:
    """Finds candidates for a query within one identity's scope."""

    def __init__(
        self,
        *,
        pool: AsyncConnectionPool,
        embeddings: Embeddings,
        conversation: ConversationMemory,
        facts: FactStore,
        recent_window: int,
    ) -> None:
        """Wire the stores; nothing is opened here."""
        self._pool = pool
        self._embeddings = embeddings
        self._conversation = conversation
        self._facts = facts
        self._recent_window = recent_window

    async def retrieve(
        self,
        ident: Identity,
        query: str,
        route: RouteDecision,
        *,
        fetch_k: int,
        neighbour_weight: float = NEIGHBOUR_WEIGHT,
        fusion: Fusion = "zscore",
    ) -> list[Candidate]:
        """Return fused candidates for `query` from the route's sources, best first.

        Args:
            ident: Whose data to search.
            query: The question.
            route: The router's decision (strategy and sources).
            fetch_k: Candidates per leg before fusion.
            neighbour_weight: Share of a conversation hit's score lent to adjacent turns.
            fusion: How legs combine: "zscore" (scores) or "rrf" (ranks).
        """
        strategy = route["strategy"]
        weights = LEG_WEIGHTS[strategy]
        sources = route["sources"]
        if not sources:
            return []
        if sources == ["thread"]:
            return await self._recent(ident)
        vector = await self._embeddings.aembed_query(query)
        use_lexical = weights.get("lexical", 0.0) > 0
        tasks = []
        for source in sources:
            if source == "knowledge_base":
                tasks.append(self._dense(DENSE_KB, source, ident, vector, fetch_k))
                if use_lexical:
                    tasks.append(self._lexical(LEXICAL_KB, "knowledge_base", ident, query, fetch_k))
            elif source == "conversation":
                tasks.append(self._dense(DENSE_MESSAGES, source, ident, vector, fetch_k))
                if use_lexical:
                    tasks.append(
                        self._lexical(LEXICAL_MESSAGES, "conversation", ident, query, fetch_k)
                    )
            elif source == "facts":
                tasks.append(self._facts_leg(ident, query, fetch_k))
        legs: list[tuple[str, list[Candidate]]] = await asyncio.gather(*tasks)
        fused = _fuse(legs, weights, fusion)
        if window := time_window(query):
            fused = _boost_window(fused, window)
        if AUTHOR_BONUS > 0:
            fused = _boost_named_authors(fused, query)
        fused = _demote_superseded(fused)
        if "conversation" in sources and neighbour_weight > 0:
            fused = await self._with_neighbours(ident, fused, neighbour_weight)
        return fused

    async def _with_neighbours(
        self, ident: Identity, fused: list[Candidate], weight: float
    ) -> list[Candidate]:
        """Let the top conversation hits lend score to the turns around them, then re-rank."""
        hits = [c for c in fused if c["source"] == "conversation"][:NEIGHBOUR_HITS]
        if not hits:
            return fused
        params = {
            "ids": [c["id"].removeprefix("msg:") for c in hits],
            "tenant_id": ident.tenant_id,
            "user_id": ident.user_id,
        }
        async with tenant_connection(self._pool, ident.tenant_id) as conn:
            rows = await (await conn.execute(NEIGHBOURS, params)).fetchall()
        by_id = {c["id"]: c for c in fused}
        around: dict[str, list[tuple[str, int]]] = {}
        for row in rows:
            cand_id = f"msg:{row['id']}"
            around.setdefault(f"msg:{row['hit']}", []).append((cand_id, int(row["offset_turns"])))
            if cand_id not in by_id:
                doc = _row_document(row, ("thread_id", "role", "created_at"))
                by_id[cand_id] = _message_candidate(doc, {})
        # Only above-median hits lend, and only their margin over the median: otherwise a
        # field of weak hits would lift their shared neighbours above the one strong hit.
        median = statistics.median(c["scores"].get("fused", 0.0) for c in fused)
        base = {cid: max(c["scores"].get("fused", 0.0) - median, 0.0) for cid, c in by_id.items()}
        gains = propagate_to_neighbours(base, around, weight=weight)
        for cand_id, gain in gains.items():
            by_id[cand_id]["scores"]["neighbours"] = round(gain, 6)
        return _reranked(
            by_id.values(),
            key=lambda c: c["scores"].get("fused", 0.0) + c["scores"].get("neighbours", 0.0),
        )

    async def _dense(
        self, statement: sql.Composed, source: Source, ident: Identity, vector: list[float], k: int
    ) -> tuple[str, list[Candidate]]:
        params = {
            "vector": _vector_literal(vector),
            "tenant_id": ident.tenant_id,
            "user_id": ident.user_id,
            "limit": k,
        }
        rows = await self._fetch(statement, params)
        return "vector", [
            _candidate(source, row, {"vector": 1.0 - float(row["distance"])}) for row in rows
        ]

    async def _lexical(
        self, statement: sql.Composed, source: Source, ident: Identity, query: str, k: int
    ) -> tuple[str, list[Candidate]]:
        params = {
            "query": " ".join(terms(query)),
            "tenant_id": ident.tenant_id,
            "user_id": ident.user_id,
            "limit": k,
            **BM25_PARAMS[source],
        }
        if not params["query"]:
            return "lexical", []
        rows = await self._fetch(statement, params)
        return "lexical", [
            _candidate(source, row, {"lexical": float(row["lexical"])}) for row in rows
        ]

    async def _fetch(self, statement: sql.Composed, params: dict[str, Any]) -> list[dict[str, Any]]:
        async with tenant_connection(self._pool, params["tenant_id"]) as conn:
            return await (await conn.execute(statement, params)).fetchall()

    async def _facts_leg(self, ident: Identity, query: str, k: int) -> tuple[str, list[Candidate]]:
        found = await self._facts.search(ident, query, limit=k)
        return "vector", [
            Candidate(
                id=f"fact:{item.key}",
                source="facts",
                content=item.value["text"],
                metadata={
                    "attribute": item.value.get("attribute", "note"),
                    "valid_from": item.value.get("valid_from"),
                    "origin": item.value.get("origin", "remember"),
                    "thread_id": item.value.get("thread_id"),
                },
                scores={"vector": float(item.score or 0.0)},
                ranks={},
            )
            for item in found
        ]

    async def _recent(self, ident: Identity) -> list[Candidate]:
        messages = await self._conversation.recent(ident, self._recent_window)
        out = []
        for age, message in enumerate(reversed(messages)):
            text = message_text(message).strip()
            if message.type not in ("human", "ai") or not text or is_extractive_reply(message):
                continue
            out.append(
                Candidate(
                    id=f"msg:{message.id}",
                    source="thread",
                    content=text,
                    metadata={"role": message.type, "thread_id": ident.thread_id},
                    scores={"recency": 1.0 / (1 + age)},
                    ranks={"recency": len(out) + 1},
                )
            )
        return out


def _vector_literal(vector: Sequence[float]) -> str:
    """Return pgvector's text form of `vector` (cast with ::vector in the statement)."""
    return "[" + ",".join(map(repr, vector)) + "]"


# Row columns that are not metadata.
_ROW_FIELDS = frozenset({"id", "content", "extra", "lexical", "distance"})


def _candidate(source: Source, row: dict[str, Any], scores: dict[str, float]) -> Candidate:
    """Build a knowledge-base or conversation candidate from a leg's row."""
    doc = _row_document(row, [k for k in row if k not in _ROW_FIELDS])
    make = _kb_candidate if source == "knowledge_base" else _message_candidate
    return make(doc, scores)


def _kb_candidate(doc: Document, scores: dict[str, float]) -> Candidate:
    meta = doc.metadata
    return Candidate(
        id=f"kb:{doc.id}",
        source="knowledge_base",
        content=doc.page_content,
        metadata={
            "title": meta.get("title", ""),
            "source": meta.get("source", ""),
            "doc_id": meta.get("doc_id", ""),
            "chunk_index": meta.get("chunk_index"),
            "section": meta.get("section", ""),
        },
        scores=scores,
        ranks={},
    )


def _message_candidate(doc: Document, scores: dict[str, float]) -> Candidate:
    meta = doc.metadata
    return Candidate(
        id=f"msg:{doc.id}",
        source="conversation",
        content=doc.page_content,
        metadata={
            **{k: v for k, v in meta.items() if k not in MESSAGE_SCOPE_KEYS},
            "created_at": _iso(meta.get("created_at")),
        },
        scores=scores,
        ranks={},
    )


def _reranked(
    candidates: Iterable[Candidate], key: Callable[[Candidate], float] | None = None
) -> list[Candidate]:
    """Sort candidates best first (by fused score unless `key` says otherwise); renumber ranks."""
    ranked = sorted(candidates, key=key or (lambda c: c["scores"].get("fused", 0.0)), reverse=True)
    for position, cand in enumerate(ranked, start=1):
        cand["ranks"]["fused"] = position
    return ranked


def _lift(
    candidates: list[Candidate],
    signal: str,
    bonus: Callable[[float], float],
    matches: Callable[[Candidate], bool | None],
) -> list[Candidate]:
    """Add `bonus(score range)` to the fused score of candidates that match, then re-rank.

    `matches` returns None where the signal does not apply (nothing recorded), else whether
    the candidate matches; the outcome is recorded as `scores[signal]` (1.0 or 0.0).
    """
    scores = [c["scores"].get("fused", 0.0) for c in candidates]
    if not scores:
        return candidates
    amount = bonus(max(scores) - min(scores))
    lifted = False
    for cand in candidates:
        outcome = matches(cand)
        if outcome is None:
            continue
        cand["scores"][signal] = 1.0 if outcome else 0.0
        if outcome:
            cand["scores"]["fused"] = round(cand["scores"].get("fused", 0.0) + amount, 6)
            lifted = True
    return _reranked(candidates) if lifted else candidates


def _boost_window(
    candidates: list[Candidate], window: tuple[datetime, datetime]
) -> list[Candidate]:
    """Put messages dated inside the period the question names first; the rest follow.

    The user named the period, so it outranks topical closeness; nothing is dropped, since
    people are loose with "last week".
    """
    start, end = window

    def inside(cand: Candidate) -> bool | None:
        created = cand["metadata"].get("created_at")
        if cand["source"] not in ("conversation", "thread") or not created:
            return None
        return start <= datetime.fromisoformat(created) < end

    return _lift(candidates, "time", lambda spread: spread + 1e-6, inside)


def _boost_named_authors(candidates: list[Candidate], query: str) -> list[Candidate]:
    """Lift messages written by a person the question names ("When did Caroline ...?").

    In group chats and transcripts the evidence is usually the named person's own words.
    """
    named = {w.lower() for w in _NAME.findall(query)}
    if not named:
        return candidates

    def by_named(cand: Candidate) -> bool | None:
        speaker = str(cand["metadata"].get("speaker") or "").lower()
        return True if speaker and speaker in named else None

    return _lift(candidates, "author", lambda spread: AUTHOR_BONUS * (spread or 1.0), by_named)


def _demote_superseded(candidates: list[Candidate]) -> list[Candidate]:
    """Rank messages that stated a since-replaced fact ("I live in Porto") below the rest.

    They stay findable ("where did I live before?"), but a current statement wins.
    """

    def superseded(cand: Candidate) -> bool | None:
        return True if cand["metadata"].get("superseded_by") else None

    return _lift(candidates, "superseded", lambda spread: -(spread + 1e-6), superseded)


def _fuse(
    legs: Sequence[tuple[str, list[Candidate]]], weights: dict[str, float], method: Fusion
) -> list[Candidate]:
    """Merge legs into one list by weighted fusion, keeping each signal's rank and score."""
    merged: dict[str, Candidate] = {}
    ranked: dict[str, list[str]] = {}
    scored: dict[str, dict[str, float]] = {}
    leg_weights: dict[str, float] = {}
    for index, (signal, candidates) in enumerate(legs):
        leg = f"{signal}#{index}"
        leg_weights[leg] = weights.get(signal, 1.0)
        ranked[leg], scored[leg] = [], {}
        for rank, cand in enumerate(candidates, start=1):
            ranked[leg].append(cand["id"])
            scored[leg][cand["id"]] = cand["scores"].get(signal, 0.0)
            kept = merged.setdefault(cand["id"], cand)
            if kept is not cand:
                kept["scores"].update(cand["scores"])
            kept["ranks"][signal] = min(rank, kept["ranks"].get(signal, rank))
    if method == "rrf":
        fused = reciprocal_rank_fusion(ranked, weights=leg_weights)
    else:
        fused = zscore_fusion(scored, weights=leg_weights)
    out = []
    for position, (cand_id, score) in enumerate(fused.items(), start=1):
        cand = merged[cand_id]
        cand["scores"]["fused"] = round(score, 6)
        cand["ranks"]["fused"] = position
        out.append(cand)
    return out
