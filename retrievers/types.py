"""Types every retrieval layer shares: strategies, sources, route decisions and candidates.

They live below `graph` so that retrievers, tools and nodes all speak them without importing
the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

# LangServe's schema generation needs typing_extensions.TypedDict on Python 3.11.
from typing_extensions import TypedDict

Strategy = Literal[
    "session_only", "recent_history", "semantic_search", "hybrid", "cross_conversation"
]
STRATEGIES: tuple[Strategy, ...] = (
    "session_only",
    "recent_history",
    "semantic_search",
    "hybrid",
    "cross_conversation",
)
Source = Literal["knowledge_base", "conversation", "facts", "thread"]


class RouteDecision(TypedDict):
    """The router's choice for this turn, and why."""

    strategy: Strategy
    """Memory strategy for this turn."""
    sources: list[Source]
    """Where retrieve looks: knowledge base, the user's past conversations, facts, this thread."""
    reason: str
    """Human-readable reason for the choice (shown in Studio and the strategy log)."""
    similarities: dict[str, float]
    """Best cosine similarity of the query to each strategy's example utterances."""


class Candidate(TypedDict):
    """One retrieved item, with every signal that ranked it."""

    id: str
    """Stable id, prefixed by source: `kb:<uuid>`, `msg:<uuid>`, `fact:<key>`."""
    source: Source
    """Which store it came from."""
    content: str
    """The text shown to the model and quoted by the extractive responder."""
    metadata: dict[str, Any]
    """Provenance: document title/path and chunk, or thread and timestamp of a message."""
    scores: dict[str, float]
    """Per-signal scores: `vector` (cosine), `lexical` (BM25), `fused` (z-score or RRF fusion,
    plus date and author lifts), `time`/`author` (1 when lifted), `neighbours`, `window` (the
    question's term coverage by the turn and the turns around it), `rerank`."""
    ranks: dict[str, int]
    """Per-signal 1-based ranks."""


Labeller = Callable[..., str]
"""`label(candidate, language="en")`: a short human label for where a candidate came from,
in the conversation's language ("you, a past conversation", "você, numa conversa anterior")."""
