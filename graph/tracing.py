"""LangSmith tracing of turns, exactly when keyed, with tenant-safe metadata.

`Tracing` decides from the settings whether runs are traced (a key is set and tracing is not
turned off), whatever LANGSMITH_* variables the process environment holds.

Nodes add what they decided (strategy, cache outcomes, counts, responder) to their own run
and to the turn's run (the graph's, whose id the API returns), so the trace list can be
filtered without opening a trace. Values are ids, names, numbers and fixed phrases only,
never message text: run inputs and outputs already hold the turn's own messages, and
metadata is what gets copied into dashboards and exports.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tracers.langchain import LangChainTracer
from langsmith import Client as LangSmithClient
from langsmith.run_helpers import get_current_run_tree, tracing_context
from langsmith.run_trees import RunTree

from configs.settings import Settings
from retrievers.types import Candidate, Source

logger = logging.getLogger(__name__)

# On shutdown, how long to wait for traces still queued for LangSmith before dropping them.
TRACE_FLUSH_TIMEOUT_S = 10.0

TRACE_TAG = "memoria"
"""Tag on every run of a memoria turn."""


def build_langsmith_client(settings: Settings) -> LangSmithClient | None:
    """Return the LangSmith client turns are traced with, or None when tracing is off."""
    if settings.tracing_enabled:
        assert settings.langsmith_api_key is not None  # tracing_enabled checks it
        return LangSmithClient(
            api_url=settings.langsmith_endpoint,
            api_key=settings.langsmith_api_key.get_secret_value(),
        )
    if settings.langsmith_tracing:
        logger.warning("LANGSMITH_TRACING is true but LANGSMITH_API_KEY is unset: not tracing")
    return None


class Tracing:
    """Whether and where a process traces its turns."""

    def __init__(self, client: LangSmithClient | None, project: str | None) -> None:
        """Trace to `client` (None: never trace) under `project`."""
        self.client = client
        self._project = project

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracing:
        """Trace when a LangSmith key is set and tracing is not turned off."""
        client = build_langsmith_client(settings)
        return cls(client, settings.langsmith_project if client else None)

    def context(self) -> AbstractContextManager[None]:
        """Trace the runs started inside to LangSmith when configured, and never otherwise.

        Explicit both ways, so the settings decide rather than whatever LANGSMITH_* variables
        the process environment holds (a key in `.env` is not in the environment).
        """
        return tracing_context(
            enabled=self.client is not None, client=self.client, project_name=self._project
        )

    def describe(self) -> str:
        """Say where traces go, for the startup log."""
        return f"langsmith ({self.client.api_url})" if self.client else "off"

    async def aclose(self) -> None:
        """Flush traces still queued (for a while at most), then close."""
        if self.client is not None:
            await asyncio.to_thread(self.client.close, timeout=TRACE_FLUSH_TIMEOUT_S)


def strategy_tag(strategy: str) -> str:
    """Return the tag naming a turn's strategy, e.g. `strategy:hybrid`."""
    return f"strategy:{strategy}"


def candidate_counts(candidates: Sequence[Candidate], sources: Sequence[Source]) -> dict[str, int]:
    """Return `memoria_candidates` and one `memoria_candidates_<source>` per searched source.

    A source searched that found nothing counts 0; a source not searched has no key.
    """
    found = Counter(c["source"] for c in candidates)
    return {
        "memoria_candidates": len(candidates),
        **{f"memoria_candidates_{source}": found[source] for source in sources},
    }


def annotate_turn(
    config: RunnableConfig, metadata: Mapping[str, Any], *, tags: Sequence[str] = ()
) -> None:
    """Add `metadata` to the current node's run and the turn's run; `tags` to the turn's.

    Does nothing when the run is not traced.
    """
    node = get_current_run_tree()
    if node is None:
        return
    node.add_metadata(dict(metadata))
    turn = _turn_run(config, node)
    if turn is None:
        return
    turn.add_metadata(dict(metadata))
    turn.add_tags([tag for tag in tags if tag not in (turn.tags or [])])


def _turn_run(config: RunnableConfig, node: RunTree) -> RunTree | None:
    """Return the graph's run, the parent of a node's run, as the turn's tracer holds it.

    LangSmith run trees no longer link to their parent object, so it is looked up by id in
    the tracer that made both, the way langchain-core finds the current run for a config.
    """
    if node.parent_run_id is None:
        return None
    handlers = getattr(config.get("callbacks"), "handlers", None) or []
    for handler in handlers:
        if isinstance(handler, LangChainTracer):
            return handler.run_map.get(str(node.parent_run_id))
    return None
