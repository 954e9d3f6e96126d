"""Rerank: order candidates by relevance, keep the best k above a threshold."""

from __future__ import annotations

import logging

from langgraph.runtime import Runtime
from langsmith.run_helpers import get_current_run_tree

from graph.configuration import Context
from graph.nodes.router import latest_question
from graph.state import State
from retrievers.rerank import LocalReranker, select

logger = logging.getLogger(__name__)

# Rerank only the head of the fused list: the tail rarely climbs, and remote rerankers bill per doc.
RERANK_DEPTH = 40

_fallback = LocalReranker()


def make_rerank(resources):  # noqa: ANN001, ANN201 - resources is graph.resources.Resources
    """Build the rerank node bound to `resources`."""

    async def rerank(state: State, runtime: Runtime[Context]) -> dict:
        """Score the fused candidates and keep the best."""
        res = await resources.open()
        ctx = runtime.context or Context()
        candidates = state.get("candidates", [])[:RERANK_DEPTH]
        if not ctx.rerank or not candidates:
            return {"context": candidates[: ctx.k]}
        query = latest_question(state)
        reranker = res.reranker
        try:
            scores = await reranker.score(query, candidates)
        except Exception as exc:  # noqa: BLE001 - a remote reranker must not fail the turn
            logger.warning("%s reranker failed, using the local scorer: %s", reranker.name, exc)
            scores = await _fallback.score(query, candidates)
        kept = select(
            candidates,
            scores,
            k=ctx.k,
            threshold=ctx.rerank_threshold,
            min_keep=ctx.rerank_min_keep,
        )
        _trace_signals(state, reranker.name, kept)
        return {"context": kept}

    return rerank


def _trace_signals(state: State, reranker: str, kept: list) -> None:
    """Attach the route and each kept passage's signals to the LangSmith run, when tracing.

    Ids, scores and ranks only: never message text, which may belong to other tenants' traces.
    """
    run = get_current_run_tree()
    if run is None:
        return
    route = state.get("route") or {}
    run.add_metadata(
        {
            "memoria_strategy": route.get("strategy"),
            "memoria_reranker": reranker,
            "memoria_signals": [
                {"id": c["id"], "scores": c["scores"], "ranks": c["ranks"]} for c in kept[:10]
            ],
        }
    )
