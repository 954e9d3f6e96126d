"""Retrieve: search the sources the router chose, scoped by tenant and user (cached)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from graph.context import Context
from graph.privacy import is_private, uncached
from graph.state import State, latest_question
from graph.tracing import annotate_turn, candidate_counts
from retrievers.cache import fingerprint
from storage.metrics import RETRIEVE_MS


def make_retrieve(resources, *, stores_turns: bool = False):  # noqa: ANN001, ANN201 - Resources
    """Build the retrieve node bound to `resources`.

    Args:
        resources: graph.resources.Resources.
        stores_turns: The graph stores each turn's messages (its persist node), so each
            turn's own outbox job retires the memory version its retrieval read.
    """

    async def retrieve(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict:
        """Fetch fused candidates for the latest question, from the cache when still valid."""
        res = await resources.open()
        ctx = runtime.context or Context()
        ident = res.identity(config)
        route = state["route"]
        query = latest_question(state)
        started = time.perf_counter()
        version = state.get("memory_version")
        # The thread's own recent messages change every turn: never cached. A private turn
        # leaves nothing in any cache.
        private = is_private(state)
        # This process's own worker indexes a stored turn within milliseconds and bumps the
        # version an entry would be keyed by: no later turn could read it back (0 hits in
        # 476 lookups of `memoria bench turns`), so neither the lookup nor the write is paid.
        retired = stores_turns and res.indexes_own_turns
        cacheable = bool(version) and "thread" not in route["sources"] and not private
        cacheable = cacheable and not retired
        knobs = fingerprint(
            sources=sorted(route["sources"]),
            strategy=route["strategy"],
            fetch_k=ctx.fetch_k,
            neighbour_weight=ctx.neighbour_weight,
            fusion=ctx.fusion,
            language=state.get("language"),
            # Relative dates ("last week") resolve against today.
            day=datetime.now(UTC).date().isoformat(),
        )

        async def search() -> list:
            with uncached(private):
                return await res.retriever.retrieve(
                    ident,
                    query,
                    route,
                    fetch_k=ctx.fetch_k,
                    neighbour_weight=ctx.neighbour_weight,
                    fusion=ctx.fusion,
                    language=state.get("language"),
                )

        if cacheable:
            vector = await res.embeddings.aembed_query(query)
            # The legs start while the cache is read (a miss costs no extra round trip);
            # a hit cancels them.
            searching = asyncio.create_task(search())
            try:
                candidates = await res.retrieval_cache.get(ident, version, knobs, query, vector)
                cache = "hit" if candidates is not None else "miss"
                if candidates is None:
                    candidates = await searching
                    res.retrieval_cache.put(ident, version, knobs, query, vector, candidates)
            finally:
                if not searching.done():
                    searching.cancel()
                elif not searching.cancelled():
                    searching.exception()  # a search that failed beside a hit is moot
        else:
            candidates, cache = await search(), "off"
        elapsed_ms = (time.perf_counter() - started) * 1000
        RETRIEVE_MS.labels(route["strategy"], cache).observe(elapsed_ms)
        annotate_turn(
            config,
            {
                "memoria_retrieval_cache": cache,
                **candidate_counts(candidates, route["sources"]),
                "memoria_retrieve_ms": round(elapsed_ms, 2),
            },
        )
        return {
            "candidates": candidates,
            "retrieval_cache": cache,
            "timings": {"retrieve_ms": round(elapsed_ms, 2)},
        }

    return retrieve
