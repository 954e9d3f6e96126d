"""Tenant-safe LangSmith metadata for a turn: what a team filters and groups runs by.

Nodes add what they decided (strategy, cache outcomes, counts, responder) to their own run
and to the turn's run (the graph's, whose id the API returns), so the trace list can be
filtered without opening a trace. Values are ids, names, numbers and fixed phrases only,
never message text: run inputs and outputs already hold the turn's own messages, and
metadata is what gets copied into dashboards and exports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tracers.langchain import LangChainTracer
from langsmith.run_helpers import get_current_run_tree
from langsmith.run_trees import RunTree

from retrievers.types import Candidate, Source

TRACE_TAG = "memoria"
"""Tag on every run of a memoria turn."""


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
