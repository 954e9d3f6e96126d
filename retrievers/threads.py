"""Each conversation turn's thread as a whole, scored against the question (a session as a unit).

Evidence for "what does Melanie do with her kids" is often a turn that never says "kids",
inside a thread that keeps talking about them. The user's threads are scored by BM25 as
whole documents from the term counts the outbox worker keeps per thread
(`memory.thread_terms`), in one statement that starts with the legs; each conversation
candidate then carries its thread's standing among the user's threads: the z-score of its
BM25 over all of them (`thread_z`) and its rank (`thread_rank`). The learned reranker reads
both (`retrievers.rerank_features`); nothing is reordered here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool

from memory import thread_terms
from retrievers.registry import THREADS_BM25
from retrievers.types import Candidate
from storage.identity import Identity
from text.language import query_configs
from text.words import terms


@dataclass(frozen=True)
class Standing:
    """Where the user's threads stand for one question."""

    z: dict[str, float]
    """z-score of each thread holding a question word, over all the user's threads."""
    rank: dict[str, int]
    """1 for the best thread."""
    absent_z: float
    """The z-score of a thread holding none of the words."""

    def of(self, thread_id: str | None) -> tuple[float, int]:
        """Return (z-score, rank) of a thread; one past the last hit for a thread without one."""
        if thread_id in self.z:
            return self.z[thread_id], self.rank[thread_id]
        return self.absent_z, len(self.rank) + 1


NOWHERE = Standing({}, {}, 0.0)


async def standing(
    pool: AsyncConnectionPool, ident: Identity, query: str, language: str | None
) -> Standing:
    """Score `ident`'s threads against `query` as documents (NOWHERE without a content word)."""
    words = " ".join(terms(query))
    if not words:
        return NOWHERE
    rows = await thread_terms.scores(
        pool, ident.tenant_id, ident.user_id, words, configs=query_configs(language), **THREADS_BM25
    )
    if not rows:
        return NOWHERE
    n = max(float(rows[0]["threads"]), len(rows))
    values = [float(r["bm25"]) for r in rows]
    mean = sum(values) / n
    spread = math.sqrt(max(sum(v * v for v in values) / n - mean * mean, 0.0)) or 1.0
    return Standing(
        z={r["thread_id"]: (float(r["bm25"]) - mean) / spread for r in rows},
        rank={r["thread_id"]: i for i, r in enumerate(rows, start=1)},
        absent_z=-mean / spread,
    )


def mark(candidates: Iterable[Candidate], found: Standing) -> None:
    """Give each conversation candidate its thread's `thread_z` and `thread_rank` scores."""
    for cand in candidates:
        if cand["source"] == "conversation":
            z, rank = found.of(cand["metadata"].get("thread_id"))
            cand["scores"]["thread_z"] = round(z, 6)
            cand["scores"]["thread_rank"] = rank
