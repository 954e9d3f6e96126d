"""Persist: acknowledge the turn (transcript + outbox job), wake the worker, log the strategy."""

from __future__ import annotations

import logging

from langchain_core.runnables import RunnableConfig

from graph.nodes.router import latest_question
from graph.state import State

logger = logging.getLogger(__name__)

# Remember this many persisted ids: far more than a thread window holds between summaries.
PERSISTED_IDS_KEPT = 200

INSERT_STRATEGY_LOG = """
    INSERT INTO strategy_log
        (tenant_id, user_id, thread_id, strategy, reason, query, results, latency_ms, cache)
    VALUES (%(tenant_id)s, %(user_id)s, %(thread_id)s, %(strategy)s, %(reason)s, %(query)s,
            %(results)s, %(latency_ms)s, %(cache)s)
"""


def make_persist(resources):  # noqa: ANN001, ANN201 - resources is graph.resources.Resources
    """Build the persist node bound to `resources`."""

    async def persist(state: State, config: RunnableConfig) -> dict:
        """Store every message of the window not stored yet, then log the route."""
        res = await resources.open()
        ident = res.identity(config)
        done = state.get("persisted_ids", [])
        seen = set(done)
        new = [m for m in state["messages"] if m.id not in seen]
        await res.conversation.append(ident, new)
        res.worker.notify()

        route = state.get("route")
        decision = {
            "strategy": route["strategy"] if route else None,
            "results": len(state.get("context", [])),
            "latency_ms": state.get("timings", {}).get("retrieve_ms", 0.0),
            "cache": state.get("retrieval_cache", "off"),
        }
        # One structured record per turn: ids and counts, never the messages.
        logger.info("turn persisted", extra={**ident.as_dict(), **decision, "stored": len(new)})
        if route:
            async with res.pool.connection() as conn:
                await conn.execute(
                    INSERT_STRATEGY_LOG,
                    {
                        **ident.as_dict(),
                        **decision,
                        "reason": route["reason"],
                        "query": latest_question(state)[:2000],
                    },
                )
        return {"persisted_ids": [*done, *(m.id for m in new)][-PERSISTED_IDS_KEPT:]}

    return persist
