"""Per-run knobs, shown by LangGraph Studio and read by nodes through `runtime.context`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from graph.state import STRATEGIES, Strategy


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

    def __post_init__(self) -> None:
        """Reject values no run could use."""
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

    @classmethod
    def from_configurable(cls, configurable: dict[str, Any]) -> Context:
        """Build a Context from the knob names present in a `configurable` dict."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in configurable.items() if k in names})
