"""Long-term facts per user, in LangGraph's PostgresStore with its pgvector index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from langgraph.store.postgres.aio import AsyncPostgresStore

from memory.identity import Identity


def facts_namespace(ident: Identity) -> tuple[str, ...]:
    """Return the store namespace holding `ident`'s user's facts (shared by all their threads)."""
    return ("facts", ident.tenant_id, ident.user_id)


class FactStore:
    """Facts a user asked the agent to keep, searchable by meaning."""

    def __init__(self, store: AsyncPostgresStore) -> None:
        """Wrap an opened, set-up PostgresStore whose index embeds the `text` field."""
        self.store = store

    async def remember(self, ident: Identity, text: str) -> str:
        """Store `text` as a fact of `ident`'s user and return its key."""
        text = text.strip()
        if not text:
            raise ValueError("a fact needs some text")
        key = str(uuid.uuid4())
        await self.store.aput(
            facts_namespace(ident),
            key,
            {
                "text": text,
                "thread_id": ident.thread_id,
                "created_at": datetime.now(UTC).isoformat(),
            },
        )
        return key

    async def search(
        self, ident: Identity, query: str, *, limit: int
    ) -> list[tuple[str, str, float]]:
        """Return `(key, text, similarity)` for the user's facts closest to `query`."""
        items = await self.store.asearch(facts_namespace(ident), query=query, limit=limit)
        return [(item.key, item.value["text"], float(item.score or 0.0)) for item in items]
