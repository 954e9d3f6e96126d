"""The user's past messages by meaning: nearest in the message index (pgvector, cosine)."""

from __future__ import annotations

from typing import ClassVar

from memory import message_index
from retrievers.legs.base import Search, Stores, Version
from retrievers.legs.sources import message_candidate, message_label, roles_for
from retrievers.types import Candidate, Source
from text.names import without_names


class MessagesDense:
    """The user's messages, in any of their threads, closest in meaning to the question."""

    name: ClassVar[str] = "messages_dense"
    source: ClassVar[Source] = "conversation"
    signal: ClassVar[str] = "vector"
    needs_vector: ClassVar[bool] = True
    batched: ClassVar[bool] = True
    version: ClassVar[Version | None] = "memory"

    def __init__(self, stores: Stores) -> None:
        """Search `stores.pool`."""
        self._pool = stores.pool

    @staticmethod
    def vector_text(question: str) -> str:
        """Return what the question's vector for this leg embeds: the question without names."""
        return without_names(question)

    async def search(self, q: Search) -> list[Candidate]:
        """Return the nearest messages, scored by cosine similarity."""
        assert q.vector is not None
        rows = await message_index.dense(
            self._pool, q.ident, q.vector, q.fetch_k, roles=roles_for(q.text)
        )
        return [message_candidate(r, {"vector": 1.0 - float(r["distance"])}) for r in rows]

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return who said it, and when."""
        return message_label(cand, language)
