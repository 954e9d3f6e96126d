"""Persist: acknowledge the turn (transcript + outbox job) and log how it used memory."""

from __future__ import annotations

import logging

from langchain_core.runnables import RunnableConfig

from graph.privacy import is_private
from graph.state import State, latest_question
from memory import strategy_log
from memory.fact_extractors import Extractor

logger = logging.getLogger(__name__)

# Remember this many persisted ids: far more than a thread window holds between summaries.
PERSISTED_IDS_KEPT = 200


def make_persist(resources, extractor: Extractor):  # noqa: ANN001, ANN201 - graph.resources
    """Build the persist node bound to `resources`; turns ask for `extractor`'s kind of facts."""

    async def persist(state: State, config: RunnableConfig) -> dict:
        """Store every message of the window not stored yet, and the route's log row, at once."""
        res = await resources.open()
        ident = res.identity(config)
        done = state.get("persisted_ids", [])
        seen = set(done)
        new = [m for m in state["messages"] if m.id not in seen]
        private = is_private(state)
        route = state.get("route")
        decision = {
            "strategy": route["strategy"] if route else None,
            "results": len(state.get("context", [])),
            "latency_ms": state.get("timings", {}).get("retrieve_ms", 0.0),
            "cache": state.get("retrieval_cache", "off"),
        }
        if private:
            # The thread's checkpoint holds the messages; they are marked done, never stored.
            await res.conversation.claim(ident)
        else:
            log = None
            if route:
                query = latest_question(state)
                log = strategy_log.entry(ident, **decision, reason=route["reason"], query=query)
            # The messages, the outbox job and the log row: one transaction.
            await res.conversation.append(ident, new, extractor=extractor.kind, log=log)
        # One structured record per turn: ids and counts, never the messages.
        stored = 0 if private else len(new)
        logger.info("turn persisted", extra={**ident.as_dict(), **decision, "stored": stored})
        return {
            "persisted_ids": [*done, *(m.id for m in new)][-PERSISTED_IDS_KEPT:],
            "open_turn": [],
            # Retrieval's working set is spent: the thread's checkpoint need not carry it.
            "candidates": [],
        }

    return persist
