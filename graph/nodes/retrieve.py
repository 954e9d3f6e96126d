"""Retrieve: search the sources the router chose, scoped by tenant and user."""

from __future__ import annotations

import time

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from graph.configuration import Context
from graph.nodes.router import latest_question
from graph.state import State


def make_retrieve(resources):  # noqa: ANN001, ANN201 - resources is graph.resources.Resources
    """Build the retrieve node bound to `resources`."""

    async def retrieve(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict:
        """Fetch fused candidates for the latest question."""
        res = await resources.open()
        ctx = runtime.context or Context()
        ident = res.identity(config)
        started = time.perf_counter()
        candidates = await res.retriever.retrieve(
            ident,
            latest_question(state),
            state["route"],
            fetch_k=ctx.fetch_k,
            neighbour_weight=ctx.neighbour_weight,
            fusion=ctx.fusion,
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        return {"candidates": candidates, "timings": {"retrieve_ms": round(elapsed_ms, 2)}}

    return retrieve
