"""Scoped retrieval: run a strategy's legs, fuse them, then let dates, names and turns adjust.

The legs (`retrievers/legs/`) each search one source one way; the registry says which a
strategy runs and how much each counts. Legs that need no embedding start at once, the others
as soon as the question is embedded. Legs are fused over the union of their candidates
(z-scored scores by default, or reciprocal rank fusion); then a period named in the question,
a person it names and the turns next to strong hits adjust the order. Every candidate keeps
its per-signal ranks and scores.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from typing import Literal

from langchain_core.embeddings import Embeddings

from memory import message_index
from retrievers.boosts import (
    boost_asked_facts,
    boost_named_authors,
    boost_window,
    demote_questions,
    demote_superseded,
    reranked,
)
from retrievers.fusion import propagate_to_neighbours, reciprocal_rank_fusion, zscore_fusion
from retrievers.legs.base import Leg, Search, Stores, batched, can_see, vector_text
from retrievers.legs.sources import message_candidate, roles_for
from retrievers.legs.stated import asked, lift_latest
from retrievers.registry import DEFAULT, Registry
from retrievers.temporal import time_window
from retrievers.types import Candidate, RouteDecision
from retrievers.window import WINDOW_HITS, window_scores
from storage import batch
from storage.identity import Identity
from text.acts import asks_about_own_questions

Fusion = Literal["zscore", "rrf"]


class Retriever:
    """Finds candidates for a question within one identity's scope."""

    def __init__(
        self, *, stores: Stores, embeddings: Embeddings, registry: Registry = DEFAULT
    ) -> None:
        """Build the registry's legs over `stores`; nothing is opened here."""
        self.registry = registry
        self.stores = stores
        self.legs = registry.build(stores)
        self._pool = stores.pool
        self._embeddings = embeddings

    def label(self, cand: Candidate, language: str = "en") -> str:
        """Return a short label for where `cand` came from, in `language` (its legs say)."""
        return self.registry.label(cand, language)

    async def retrieve(
        self,
        ident: Identity,
        query: str,
        route: RouteDecision,
        *,
        fetch_k: int,
        neighbour_weight: float | None = None,
        fusion: Fusion = "zscore",
        language: str | None = None,
    ) -> list[Candidate]:
        """Return fused candidates for `query` from the route's sources, best first.

        Args:
            ident: Whose data to search.
            query: The question.
            route: The router's decision (strategy and sources).
            fetch_k: Candidates per leg before fusion.
            language: The question's language, for stemming its words (None: unknown).
            neighbour_weight: Share of a conversation hit's score lent to adjacent turns
                (default: the registry's).
            fusion: How legs combine: "zscore" (scores) or "rrf" (ranks).
        """
        tuning = self.registry.tuning
        weights = {
            name: weight
            for name, weight in self.registry.weights(route["strategy"]).items()
            if self.legs[name].source in route["sources"]
        }
        if not weights:
            return []
        found, vector = await self._run_legs(ident, query, list(weights), fetch_k, language)
        fused = _fuse(found, [self.legs[n] for n in weights], weights, fusion, language)
        if window := time_window(query):
            fused = boost_window(fused, window)
        if tuning.author_bonus > 0:
            fused = boost_named_authors(fused, query, tuning.author_bonus)
        fused = demote_superseded(fused)
        if "facts" in route["sources"] and (wanted := asked(query, vector, self.stores.attributes)):
            fused = boost_asked_facts(fused, wanted, tuning.stated_bonus)
        weight = tuning.neighbour_weight if neighbour_weight is None else neighbour_weight
        if "conversation" in route["sources"] and weight > 0:
            fused = await self._with_neighbours(ident, query, fused, weight, roles_for(query))
        # After the neighbours: a question still lends to the answer after it.
        if tuning.question_penalty > 0 and not asks_about_own_questions(query):
            fused = demote_questions(fused, tuning.question_penalty)
        # The asked attribute's current facts, then the user's newest statements of it, first.
        return lift_latest(fused)

    async def _run_legs(
        self, ident: Identity, query: str, names: list[str], fetch_k: int, language: str | None
    ) -> tuple[list[list[Candidate]], list[float] | None]:
        """Run the named legs; those needing no vector start while the question is embedded.

        Returns:
            Each leg's candidates, and the question's vector (None if no leg needed it).
        """
        legs = [self.legs[name] for name in names]
        early = Search(ident, query, None, fetch_k, language)
        # Legs that start together and search Postgres through `storage.batch` share a round
        # trip: those needing no vector at once, the others once the question is embedded
        # (in a turn, the router embedded it: both go out at the same moment, side by side).
        together, after_embedding = batch.Batch(self._pool), batch.Batch(self._pool)
        with together.active():
            tasks: dict[str, asyncio.Task[list[Candidate]]] = {
                leg.name: asyncio.create_task(leg.search(early))
                for leg in legs
                if not leg.needs_vector
            }
        # Each distinct text a leg embeds (`vector_text`; the question itself by default) is
        # embedded once, all at once; a leg starts as soon as its own vector is ready.
        embedding: dict[str, asyncio.Task[list[float]]] = {}

        async def search(leg: Leg) -> list[Candidate]:
            vec = await embedding[vector_text(leg, query)]
            return await leg.search(Search(ident, query, vec, fetch_k, language))

        vector = None
        try:
            if any(leg.needs_vector for leg in legs):
                for text in [query, *(vector_text(leg, query) for leg in legs if leg.needs_vector)]:
                    if text not in embedding:
                        embedding[text] = asyncio.create_task(self._embeddings.aembed_query(text))
                with after_embedding.active():
                    for leg in legs:
                        if leg.needs_vector:
                            tasks[leg.name] = asyncio.create_task(search(leg))
            for leg in legs:
                if batched(leg):
                    (after_embedding if leg.needs_vector else together).join(tasks[leg.name])
            if embedding:
                vector = await embedding[query]
            await asyncio.gather(*tasks.values())
        finally:
            for task in [*tasks.values(), *embedding.values()]:
                task.cancel()
        return [tasks[name].result() for name in names], vector

    async def _with_neighbours(
        self,
        ident: Identity,
        query: str,
        fused: list[Candidate],
        weight: float,
        roles: tuple[str, ...],
    ) -> list[Candidate]:
        """Let the top conversation hits lend score to the turns around them, then re-rank.

        Neighbours no leg found join at the floor of the fused scores, so what they rank on
        is what they were lent; only messages of `roles` (whose words are evidence) join.
        The same statement fetches the turns around every hit the reranker will see, for
        each candidate's `window` score (`retrievers.window`).
        """
        lending = self.registry.tuning.neighbour_hits
        hits = [c for c in fused if c["source"] == "conversation"][: max(lending, WINDOW_HITS)]
        if not hits:
            return fused
        rows = await message_index.neighbours(
            self._pool, ident, [c["id"].removeprefix("msg:") for c in hits]
        )
        lenders = {c["id"].removeprefix("msg:") for c in hits[:lending]}
        by_id = {c["id"]: c for c in fused}
        floor = min(c["scores"].get("fused", 0.0) for c in fused)
        around: dict[str, list[tuple[str, int]]] = {}
        for row in rows:
            if row["hit"] not in lenders:
                continue
            cand_id = f"msg:{row['id']}"
            if cand_id not in by_id:
                if row["role"] not in roles:
                    continue
                by_id[cand_id] = message_candidate(row, {"fused": floor})
            around.setdefault(f"msg:{row['hit']}", []).append((cand_id, int(row["offset_turns"])))
        # Only above-median hits lend, and only their margin over the median: otherwise a
        # field of weak hits would lift their shared neighbours above the one strong hit.
        median = statistics.median(c["scores"].get("fused", 0.0) for c in fused)
        base = {cid: max(c["scores"].get("fused", 0.0) - median, 0.0) for cid, c in by_id.items()}
        gains = propagate_to_neighbours(base, around, weight=weight)
        for cand_id, gain in gains.items():
            by_id[cand_id]["scores"]["neighbours"] = round(gain, 6)
        for cand_id, signals in window_scores(query, hits, rows).items():
            if cand_id in by_id:
                by_id[cand_id]["scores"].update((k, round(v, 6)) for k, v in signals.items())
        return reranked(by_id.values())


def _fuse(
    found: Sequence[list[Candidate]],
    legs: Sequence[Leg],
    weights: dict[str, float],
    method: Fusion,
    language: str | None = None,
) -> list[Candidate]:
    """Merge legs into one list by weighted fusion, keeping each signal's rank and score.

    A candidate a leg could not have found (`can_see`: a question's words against a passage
    in another language) is not counted against it by that leg's silence.
    """
    merged: dict[str, Candidate] = {}
    ranked: dict[str, list[str]] = {}
    scored: dict[str, dict[str, float]] = {}
    same_scale: dict[str, list[float]] = {}
    for leg, candidates in zip(legs, found, strict=True):
        ranked[leg.name], scored[leg.name] = [], {}
        for rank, cand in enumerate(candidates, start=1):
            ranked[leg.name].append(cand["id"])
            scored[leg.name][cand["id"]] = cand["scores"].get(leg.signal, 0.0)
            kept = merged.setdefault(cand["id"], cand)
            if kept is not cand:
                kept["scores"].update(cand["scores"])
            kept["ranks"][leg.signal] = min(rank, kept["ranks"].get(leg.signal, rank))
        same_scale.setdefault(leg.signal, []).extend(scored[leg.name].values())
    if method == "rrf":
        fused = reciprocal_rank_fusion(ranked, weights=weights)
    else:
        reference = {leg.name: same_scale[leg.signal] for leg in legs}
        unseen = {
            leg.name: {i for i, c in merged.items() if not can_see(leg, c, language)}
            for leg in legs
        }
        fused = zscore_fusion(scored, weights=weights, reference=reference, unseen=unseen)
    out = []
    for position, (cand_id, score) in enumerate(fused.items(), start=1):
        cand = merged[cand_id]
        cand["scores"]["fused"] = round(score, 6)
        cand["ranks"]["fused"] = position
        out.append(cand)
    return out
