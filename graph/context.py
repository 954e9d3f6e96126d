"""Per-run knobs, shown by LangGraph Studio and read by nodes through `runtime.context`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, Literal, get_type_hints

from retrievers.types import STRATEGIES, Strategy

# Far above any useful run; keeps counts inside the bigint of the SQL LIMITs they become.
KNOB_MAX = 1_000_000


@dataclass(kw_only=True)
class Context:
    """Per-run configuration of memory and retrieval."""

    k: int = field(default=5, metadata={"description": "Passages kept after reranking."})
    fetch_k: int = field(
        default=20, metadata={"description": "Candidates fetched per source before fusion."}
    )
    strategy: Strategy | None = field(
        default=None,
        metadata={"description": "Force a memory strategy instead of letting the router choose."},
    )
    fusion: Literal["zscore", "rrf"] = field(
        default="zscore",
        metadata={
            "description": "How retrieval legs combine: z-scored scores (keeps how far ahead a "
            "hit is) or reciprocal rank fusion (ranks only)."
        },
    )
    neighbour_weight: float = field(
        default=0.3,
        metadata={
            "description": "Share of a past message's score lent to the turns next to it "
            "(answers often follow the message naming the topic); 0 turns it off."
        },
    )
    rerank: bool = field(default=True, metadata={"description": "Rerank retrieved candidates."})
    rerank_threshold: float = field(
        default=0.05,
        metadata={"description": "Drop reranked passages scoring below this (0-1)."},
    )
    rerank_min_keep: int = field(
        default=1, metadata={"description": "Keep at least this many passages after the threshold."}
    )
    summary_max_messages: int = field(
        default=24,
        metadata={"description": "Summarise once the thread window holds more messages than this."},
    )
    summary_max_tokens: int = field(
        default=3000,
        metadata={
            "description": "Summarise once the window exceeds this many (approximate) tokens."
        },
    )
    summary_keep_messages: int = field(
        default=8, metadata={"description": "Messages kept verbatim after summarising."}
    )
    max_tool_rounds: int = field(
        default=3, metadata={"description": "Most generate <-> tools round trips per turn."}
    )
    incognito: bool = field(
        default=False,
        metadata={
            "description": "Incognito thread: answered, but nothing kept beyond the thread's own "
            "state (no transcript, facts, recall from other threads or caches); sticks to the "
            "thread once set."
        },
    )

    def __post_init__(self) -> None:
        """Reject values no run could use."""
        self._check_types()
        if self.strategy is not None and self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}")
        for name in ("k", "fetch_k", "summary_max_messages", "summary_keep_messages"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.summary_keep_messages >= self.summary_max_messages:
            raise ValueError("summary_keep_messages must be below summary_max_messages")
        if self.fusion not in ("zscore", "rrf"):
            raise ValueError("fusion must be 'zscore' or 'rrf'")
        if not 0 <= self.neighbour_weight <= 1:
            raise ValueError("neighbour_weight must be between 0 and 1")
        if self.max_tool_rounds < 0:
            raise ValueError("max_tool_rounds must be 0 or more")

    def _check_types(self) -> None:
        # Knobs arrive as JSON from callers: bools are ints to Python, and 1e400 is infinity.
        for name, kind in _knob_types().items():
            value = getattr(self, name)
            if kind is bool and not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            if kind is int and (
                isinstance(value, bool) or not isinstance(value, int) or value > KNOB_MAX
            ):
                raise ValueError(f"{name} must be a whole number, at most {KNOB_MAX}")
            if kind is float and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ValueError(f"{name} must be a finite number")

    @classmethod
    def from_configurable(cls, configurable: dict[str, Any]) -> Context:
        """Build a Context from the knob names present in a `configurable` dict."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in configurable.items() if k in names})


@cache
def _knob_types() -> dict[str, Any]:
    """Each knob's declared type, resolved once (the annotations are strings)."""
    return get_type_hints(Context)
