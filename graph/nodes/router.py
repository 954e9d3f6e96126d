"""Router: start the turn (thread check, leftovers of an unfinished turn), choose its strategy."""

from __future__ import annotations

import asyncio

from langchain_core.messages import RemoveMessage
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from graph.context import Context
from graph.privacy import private_reason, uncached, without_user_memory
from graph.routing import choose_strategy, decision, for_a_new_thread, skip_empty_sources
from graph.state import State, latest_question
from graph.tracing import annotate_turn, strategy_tag
from graph.turn import leftovers, turn_input
from storage.metrics import STRATEGY_USE
from text.language import detect


def make_router(resources):  # noqa: ANN001, ANN201 - resources is graph.resources.Resources
    """Build the router node bound to `resources`."""

    async def router(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict:
        """Check the thread, drop an unfinished turn's leftovers, choose this turn's strategy."""
        res = await resources.open()
        ctx = runtime.context or Context()
        query = latest_question(state)
        ident = res.identity(config)
        incognito = ctx.incognito or bool(state.get("incognito"))
        opened = res.conversation.open_turn(ident)
        registry = res.retriever.registry
        embedding_cache: dict[str, str] = {}
        cached = True
        asked_by_meaning: tuple[str, ...] = ()
        if ctx.strategy or not query:
            thread = await opened
            similarities: dict[str, float] = {}
        else:
            # Independent: the thread is checked in Postgres while the question is embedded.
            # The decision below only reaches state if the check passed.
            with uncached(incognito):
                thread, (vector, cached) = await asyncio.gather(
                    opened, res.embeddings.aembed_query_cached(query)
                )
            similarities = res.router.similarities(vector)
            # What the question asks of the user by meaning, where no word rule sees it.
            if res.attributes is not None:
                asked_by_meaning = res.attributes.asked(vector)
            embedding_cache["memoria_embedding_cache"] = "hit" if cached else "miss"
        version = thread.version
        tenant_memory = res.settings.privacy(ident.tenant_id).memory
        private = private_reason(incognito, thread.consent, tenant_memory)
        if private and not cached and not incognito:
            # Memory turned out to be off after the question was embedded: unlearn its vector.
            await res.embeddings.forget([query], tenant_id=ident.tenant_id)
        if ctx.strategy:
            decided = decision(ctx.strategy, "forced by the run's context", {}, registry)
        else:
            decided = choose_strategy(
                query, similarities, registry, res.router.calibration, asked_by_meaning
            )
        if not ctx.strategy and not state.get("persisted_ids"):
            decided = for_a_new_thread(decided, registry)
        decided = skip_empty_sources(decided, version, registry)
        if private:
            decided = without_user_memory(decided, private)
        STRATEGY_USE.labels(decided["strategy"]).inc()
        # Every turn carries every key: later nodes overwrite the ones they get to.
        annotate_turn(
            config,
            {
                "memoria_strategy": decided["strategy"],
                "memoria_strategy_reason": decided["reason"],
                "memoria_sources": decided["sources"],
                **embedding_cache,
                "memoria_retrieval_cache": "off",
                "memoria_candidates": 0,
                "memoria_kept": 0,
            },
            tags=[strategy_tag(decided["strategy"])],
        )
        dropped = leftovers(state)
        return {
            "language": detect(query) or state.get("language"),
            "messages": [RemoveMessage(id=message_id) for message_id in dropped],
            "open_turn": turn_input(state, dropped),
            "route": decided,
            "memory_version": version,
            "retrieval_cache": "off",
            "candidates": [],
            "context": [],
            "citations": [],
            "tool_rounds": 0,
            "incognito": incognito,
            "private": bool(private),
        }

    return router
