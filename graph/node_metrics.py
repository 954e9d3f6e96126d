"""Each graph node's latency and failures, as Prometheus metrics (`storage/metrics.py`).

A callback handler on the compiled graph, so every node is timed alike, added ones too,
without a line in the nodes themselves.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from storage.metrics import NODE_ERRORS, NODE_MS


class NodeTimer(BaseCallbackHandler):
    """Observe `memoria_node_ms` per node run; count `memoria_node_errors_total` per failure."""

    # Called on the event loop's thread: it only reads the clock and a dict.
    run_inline = True

    def __init__(self) -> None:
        """Track node runs in flight by run id."""
        self._started: dict[UUID, tuple[str, float]] = {}

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start timing a run that is a node itself (not a runnable inside one)."""
        node = (metadata or {}).get("langgraph_node")
        if node and kwargs.get("name") == node:
            self._started[run_id] = (node, time.perf_counter())

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Observe a node run's latency."""
        if started := self._started.pop(run_id, None):
            node, t0 = started
            NODE_MS.labels(node).observe((time.perf_counter() - t0) * 1000)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Count a node run that raised (a graph interrupt is not a failure)."""
        if started := self._started.pop(run_id, None):
            if type(error).__name__ != "GraphInterrupt":
                NODE_ERRORS.labels(started[0]).inc()
