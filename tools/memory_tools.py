"""LangChain tools over memoria's stores.

Identity comes from the run's config, never from arguments the model writes, so a model
cannot reach another user's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool
from langgraph.prebuilt import InjectedState
from pydantic import Field

from memory.fact_extractors import Extractor
from retrievers.types import Candidate, Labeller, RouteDecision, Source, Strategy

MAX_RESULTS = 10


def _render(candidates: list[Candidate], limit: int, label: Labeller) -> str:
    if not candidates:
        return "No results."
    return "\n".join(f"- ({label(c)}) {c['content']}" for c in candidates[:limit])


PRIVATE = (
    "Memory is off for this conversation (incognito, or the user turned it off): "
    "nothing was searched or stored."
)


def build_tools(resources, extractor: Extractor) -> list[BaseTool]:  # noqa: ANN001
    """Return the agent's tools bound to `resources` (graph.resources.Resources).

    `remember` records facts with `extractor`, the graph's own.
    """

    def _private(state: dict) -> bool:
        # Set by the router: memory is off for the user, or the thread is incognito.
        return bool(state.get("private"))

    async def _search(
        config: RunnableConfig, query: str, strategy: Strategy, sources: list[Source], limit: int
    ) -> str:
        """Search `sources` (all of the strategy's when empty) the way `strategy` does."""
        res = await resources.open()
        route = RouteDecision(
            strategy=strategy,
            sources=sources or res.retriever.registry.sources(strategy),
            reason="tool call",
            similarities={},
        )
        found = await res.retriever.retrieve(
            res.identity(config), query, route, fetch_k=max(limit * 2, 10)
        )
        return _render(found, limit, res.retriever.label)

    @tool
    async def search_memory(
        query: Annotated[str, Field(min_length=1, description="What to look for.")],
        config: RunnableConfig,
        state: Annotated[dict, InjectedState],
        limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="Most results.")] = 5,
    ) -> str:
        """Search this user's past conversations (all threads) and remembered facts."""
        if _private(state):
            return PRIVATE
        return await _search(config, query, "cross_conversation", ["conversation", "facts"], limit)

    @tool
    async def search_knowledge_base(
        query: Annotated[str, Field(min_length=1, description="What to look for.")],
        config: RunnableConfig,
        limit: Annotated[int, Field(ge=1, le=MAX_RESULTS, description="Most results.")] = 5,
    ) -> str:
        """Search the knowledge base documents of this tenant."""
        return await _search(config, query, "hybrid", ["knowledge_base"], limit)

    @tool
    async def remember(
        fact: Annotated[
            str,
            Field(min_length=1, max_length=2000, description="The fact, as a full sentence."),
        ],
        config: RunnableConfig,
        state: Annotated[dict, InjectedState],
    ) -> str:
        """Store a fact the user asked you to keep; it is available in all their conversations."""
        if _private(state):
            return PRIVATE
        res = await resources.open()
        await res.facts.remember(res.identity(config), fact, extractor=extractor)
        return f"Remembered: {fact}"

    @tool
    def current_time() -> str:
        """Return the current date and time in UTC (ISO 8601)."""
        return datetime.now(UTC).isoformat(timespec="seconds")

    return [search_memory, search_knowledge_base, remember, current_time]
