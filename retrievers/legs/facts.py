"""The user's current facts by meaning (LangGraph's PostgresStore, pgvector)."""

from __future__ import annotations

from typing import ClassVar

from retrievers.legs.base import Search, Stores, Version
from retrievers.types import Candidate, Source


class Facts:
    """What the user told memoria about themselves and still holds, closest to the question."""

    name: ClassVar[str] = "facts"
    source: ClassVar[Source] = "facts"
    signal: ClassVar[str] = "vector"
    needs_vector: ClassVar[bool] = True
    version: ClassVar[Version | None] = "memory"

    def __init__(self, stores: Stores) -> None:
        """Search `stores.facts`."""
        self._facts = stores.facts

    async def search(self, q: Search) -> list[Candidate]:
        """Return current facts, scored by cosine similarity."""
        assert q.vector is not None
        found = await self._facts.search(q.ident, q.vector, limit=q.fetch_k)
        return [
            Candidate(
                id=f"fact:{row['key']}",
                source="facts",
                content=row["value"]["text"],
                metadata={
                    "attribute": row["value"].get("attribute", "note"),
                    "value": row["value"].get("value"),
                    "valid_from": row["value"].get("valid_from"),
                    "origin": row["value"].get("origin", "remember"),
                    "thread_id": row["value"].get("thread_id"),
                },
                scores={"vector": float(row["score"])},
                ranks={},
            )
            for row in found
        ]

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return "what I know about you", with since when, in `language`."""
        since = str(cand["metadata"].get("valid_from") or "")[:10]
        if language == "pt":
            return "o que sei sobre você" + (f", desde {since}" if since else "")
        return "what I know about you" + (f", since {since}" if since else "")
