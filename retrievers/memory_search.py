"""Search a user's memory (facts, past messages) or the tenant's knowledge base, outside a turn.

What the memory API, the MCP server and the LangChain retriever call: the same legs, fusion
and boosts a turn's retrieve node runs (`Retriever.retrieve`), then the caller's filters —
kind, thread, time — and the top `k`. Filters apply to fused candidates, so a narrow filter
is given more candidates to choose from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from retrievers.search import Retriever
from retrievers.types import Candidate, RouteDecision, Source, Strategy
from storage.identity import Identity

Kind = Literal["fact", "message", "document"]
KIND_SOURCES: dict[Kind, Source] = {
    "fact": "facts",
    "message": "conversation",
    "document": "knowledge_base",
}
MEMORY_KINDS: tuple[Kind, ...] = ("fact", "message")
# Candidates per leg for each result asked, and more when a filter drops some.
FETCH_PER_RESULT = 4
FILTERED_FETCH = 100


@dataclass(frozen=True)
class MemoryQuery:
    """What to search for, and which of what is found may be returned."""

    query: str
    k: int = 5
    kinds: tuple[Kind, ...] = MEMORY_KINDS
    thread_id: str | None = None
    after: datetime | None = None
    before: datetime | None = None

    @property
    def filtered(self) -> bool:
        """Whether anything besides the kinds narrows the results."""
        return bool(self.thread_id or self.after or self.before)


def kind_of(cand: Candidate) -> Kind:
    """Return what a candidate is: a fact, a past message or a knowledge-base passage."""
    return next(kind for kind, source in KIND_SOURCES.items() if source == cand["source"])


def item_id(cand: Candidate) -> str:
    """Return the id of what a candidate shows: the fact's key, the message's or chunk's id."""
    return cand["id"].split(":", 1)[1]


def stated_at(cand: Candidate) -> str | None:
    """Return when what a candidate shows was said or stated (ISO 8601), if known."""
    meta = cand["metadata"]
    return meta.get("created_at") or meta.get("valid_from")


async def search(retriever: Retriever, ident: Identity, q: MemoryQuery) -> list[Candidate]:
    """Return the best `q.k` candidates of `q.kinds` for `q.query` that pass its filters."""
    sources = [KIND_SOURCES[kind] for kind in q.kinds]
    # Memory reads like a question about the user; documents like a lookup.
    strategy: Strategy = "hybrid" if sources == ["knowledge_base"] else "cross_conversation"
    route = RouteDecision(strategy=strategy, sources=sources, reason="search", similarities={})
    fetch_k = FILTERED_FETCH if q.filtered else max(q.k * FETCH_PER_RESULT, 20)
    found = await retriever.retrieve(ident, q.query, route, fetch_k=fetch_k)
    return [c for c in found if _passes(c, q)][: q.k]


def _passes(cand: Candidate, q: MemoryQuery) -> bool:
    if q.thread_id is not None and cand["metadata"].get("thread_id") != q.thread_id:
        return False
    if q.after is None and q.before is None:
        return True
    when = stated_at(cand)
    if when is None:
        return False
    at = datetime.fromisoformat(when)
    return (q.after is None or at >= q.after) and (q.before is None or at < q.before)
