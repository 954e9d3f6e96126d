"""Rerank: order candidates by relevance, keep the best k above a threshold."""

from __future__ import annotations

import logging

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langsmith.run_helpers import get_current_run_tree

from graph.context import Context
from graph.state import State, latest_question
from graph.tracing import annotate_turn
from retrievers.rerank import LocalReranker, select

logger = logging.getLogger(__name__)

# Rerank only the head of the fused list: the tail rarely climbs, and remote rerankers bill per doc.
RERANK_DEPTH = 40

_fallback = LocalReranker()


def make_rerank(resources):  # noqa: ANN001, ANN201 - resources is graph.resources.Resources
    """Build the rerank node bound to `resources`."""

    async def rerank(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict:
        """Score the fused candidates and keep the best."""
        res = await resources.open()
        ctx = runtime.context or Context()
        candidates = state.get("candidates", [])[:RERANK_DEPTH]
        if not ctx.rerank or not candidates:
            kept = candidates[: ctx.k]
            annotate_turn(config, {"memoria_reranker": "off", "memoria_kept": len(kept)})
            return {"context": kept}
        query = latest_question(state)
        reranker = res.reranker
        try:
            scores = await reranker.score(query, candidates)
        except Exception as exc:  # noqa: BLE001 - a remote reranker must not fail the turn
            logger.warning("%s reranker failed, using the local scorer: %s", reranker.name, exc)
            reranker = _fallback
            scores = await _fallback.score(query, candidates)
        kept = select(
            candidates,
            scores,
            k=ctx.k,
            threshold=ctx.rerank_threshold,
            min_keep=ctx.rerank_min_keep,
        )
        annotate_turn(config, {"memoria_reranker": reranker.name, "memoria_kept": len(kept)})
        _trace_signals(kept)
        return {"context": kept}

    return rerank


def _trace_signals(kept: list) -> None:
    """Attach each kept passage's signals to the rerank run, when tracing.

    Ids, scores and ranks only: the passages' text is in the run's outputs already.
    """
    run = get_current_run_tree()
    if run is None:
        return
    run.add_metadata(
        {
            "memoria_signals": [
                {"id": c["id"], "scores": c["scores"], "ranks": c["ranks"]} for c in kept[:10]
            ],
        }
    )
