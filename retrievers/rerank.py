"""Rerankers: Cohere Rerank when keyed, else a cheap local scorer; threshold with a minimum kept."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Protocol

from langchain_core.documents import Document
from pydantic import SecretStr

from configs.settings import Settings
from retrievers.learned_rerank import LearnedReranker, load_model
from retrievers.registry import Tuning
from retrievers.types import Candidate
from text.language import LANGUAGES, detect
from text.words import QueryTerms, fold

logger = logging.getLogger(__name__)


# Share of the local score given to query-term coverage (a point of `memoria eval locomo
# --cv`'s grid, BENCHMARKS.md); the shipped learned reranker was trained under it.
COVERAGE_WEIGHT = 0.3


class Reranker(Protocol):
    """Scores candidates for a query; higher is better, in [0, 1]."""

    name: str

    async def score(self, query: str, candidates: Sequence[Candidate]) -> list[float]:
        """Return one relevance score per candidate, in order."""
        ...


class LocalReranker:
    """Retrieval evidence adjusted by query-term coverage; no model, no network.

    Fusion already weighs dense similarity, BM25, dates and neighbouring turns; reordering by
    a fresh blend of similarity and word overlap threw that away (LoCoMo dev R@5 .665 -> .574).
    This scorer keeps the fused order as its base and lets coverage of the query's terms
    (numbers weigh triple) settle near-ties. A passage holding every code or id the user
    typed ("E-4012", "#A-1042") goes ahead of those that don't: the user named it.
    """

    name = "local"

    def __init__(self, *, coverage_weight: float = COVERAGE_WEIGHT) -> None:
        """Set how much term coverage counts against the normalised retrieval score."""
        self.coverage_weight = coverage_weight

    async def score(self, query: str, candidates: Sequence[Candidate]) -> list[float]:
        """Score each candidate from its retrieval score and its coverage of the query."""
        wanted = QueryTerms(query)
        base = [retrieval_score(c) for c in candidates]
        low, high = (min(base), max(base)) if base else (0.0, 0.0)
        spread = (high - low) or 1.0
        matched = [wanted.match(c["content"]) for c in candidates]
        coverages = unread_at_mean(query, candidates, [m[0] for m in matched])
        out = []
        for b, coverage, (_, named) in zip(base, coverages, matched, strict=True):
            blended = (1 - self.coverage_weight) * (b - low) / spread
            # Scores stay in [0, 1]: halve everything, and lift named passages above the rest.
            out.append(round((blended + self.coverage_weight * coverage + float(named)) / 2, 6))
        return out


def unread_at_mean(
    query: str, candidates: Sequence[Candidate], coverages: Sequence[float]
) -> list[float]:
    """Return the coverages with a passage in another language than `query` at least at the mean.

    Its words could not be the question's ("Qual é o horário do suporte?" against "Support
    answers on weekdays"), so missing them says nothing against it: it counts at least as
    the mean of the passages that could share them (as fusion counts a word leg's silence,
    `retrievers.fusion.zscore_fusion(unseen=)`). Rows without a stored language, or too
    short to have one, and questions of no known language are read as they are.
    """
    asked = detect(query)
    if asked is None:
        return list(coverages)
    other = [
        c["metadata"].get("lang") in LANGUAGES and c["metadata"]["lang"] != asked
        for c in candidates
    ]
    readable = [v for v, o in zip(coverages, other, strict=True) if not o]
    if not any(other) or not readable:
        return list(coverages)
    mean = sum(readable) / len(readable)
    return [max(v, mean) if o else v for v, o in zip(coverages, other, strict=True)]


def build_reranker(settings: Settings) -> Reranker:
    """Return Cohere Rerank when a key is set, else the learned model over the local scorer.

    Without a usable model file (`memoria_rerank_model`), the local scorer alone.
    """
    if settings.cohere_api_key:
        return CohereReranker(settings.cohere_api_key, settings.memoria_cohere_rerank_model)
    local = LocalReranker()
    model = load_model(
        settings.memoria_rerank_model, settings.memoria_embedding_model, served_constants()
    )
    return LearnedReranker(model, local) if model is not None else local


def served_constants(tuning: Tuning | None = None) -> dict[str, float]:
    """Return the read path's constants a learned model's features depend on, by name.

    The retriever's `Tuning` (fusion's lifts, the neighbours' lending) and the local scorer's
    coverage weight (the slots the model reorders). The model file records those it was
    trained under (`memoria eval locomo --cv --model-out`); the product loads it only when
    they are the ones it serves.
    """
    return {**asdict(tuning or Tuning()), "coverage_weight": COVERAGE_WEIGHT}


def retrieval_score(cand: Candidate) -> float:
    """Return a candidate's score after fusion, dates and neighbour propagation."""
    scores = cand["scores"]
    if "fused" in scores:
        return scores["fused"] + scores.get("neighbours", 0.0)
    # Recent-window items are ranked by recency alone.
    return scores.get("recency", scores.get("vector", 0.0))


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
