"""Rerankers: Cohere Rerank when keyed, else a cheap local scorer; threshold with a minimum kept."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from langchain_core.documents import Document
from pydantic import SecretStr

from graph.state import Candidate
from retrievers.text import fold, overlap

logger = logging.getLogger(__name__)


class Reranker(Protocol):
    """Scores candidates for a query; higher is better, in [0, 1]."""

    name: str

    async def score(self, query: str, candidates: Sequence[Candidate]) -> list[float]:
        """Return one relevance score per candidate, in order."""
        ...


class LocalReranker:
    """Blend of the candidate's vector similarity and query-term coverage; no model, no network.

    Dense similarity alone misses exact terms (codes, names); term coverage alone misses
    paraphrase. Their blend orders both kinds well enough to pick the passages worth quoting.
    """

    name = "local"

    def __init__(self, *, vector_weight: float = 0.55) -> None:
        """Set how much vector similarity counts against term coverage."""
        self.vector_weight = vector_weight

    async def score(self, query: str, candidates: Sequence[Candidate]) -> list[float]:
        """Score each candidate by similarity and term coverage."""
        out = []
        for cand in candidates:
            coverage = overlap(query, cand["content"])
            vector = cand["scores"].get("vector")
            if vector is None:
                # Lexical-only or recent-window hits: coverage plus a little for recency.
                base = coverage * 0.9 + 0.1 * cand["scores"].get("recency", 0.0)
            else:
                base = self.vector_weight * max(vector, 0.0) + (1 - self.vector_weight) * coverage
            out.append(round(min(max(base, 0.0), 1.0), 6))
        return out


class CohereReranker:
    """Cohere Rerank through langchain-cohere; only built when COHERE_API_KEY is set."""

    name = "cohere"

    def __init__(self, api_key: SecretStr, model: str) -> None:
        """Build the client; no request is made until `score`."""
        from langchain_cohere import CohereRerank

        self._rerank = CohereRerank(cohere_api_key=api_key, model=model)

    async def score(self, query: str, candidates: Sequence[Candidate]) -> list[float]:
        """Score candidates with Cohere, keeping the input order."""
        docs = [
            Document(page_content=c["content"], metadata={"i": i}) for i, c in enumerate(candidates)
        ]
        self._rerank.top_n = len(docs)
        ranked = await self._rerank.acompress_documents(docs, query)
        scores = [0.0] * len(docs)
        for doc in ranked:
            scores[doc.metadata["i"]] = float(doc.metadata.get("relevance_score", 0.0))
        return scores


def select(
    candidates: Sequence[Candidate],
    scores: Sequence[float],
    *,
    k: int,
    threshold: float,
    min_keep: int,
) -> list[Candidate]:
    """Order by score, drop those under `threshold` but keep at least `min_keep`, return top `k`.

    A passage whose text repeats one already kept (the same sentence said in two threads) is
    skipped: it would take a slot and add nothing.
    """
    order = sorted(range(len(candidates)), key=lambda i: scores[i], reverse=True)
    kept: list[Candidate] = []
    seen: set[str] = set()
    for position, i in enumerate(order, start=1):
        if scores[i] < threshold and len(kept) >= min_keep:
            break
        cand = candidates[i]
        text = " ".join(fold(cand["content"]).split())
        if text in seen:
            continue
        seen.add(text)
        cand["scores"]["rerank"] = scores[i]
        cand["ranks"]["rerank"] = position
        kept.append(cand)
        if len(kept) == k:
            break
    return kept
