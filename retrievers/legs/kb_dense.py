"""Knowledge base by meaning: the tenant's chunks nearest to the question (pgvector, cosine)."""

from __future__ import annotations

from typing import ClassVar

from knowledge import chunks
from retrievers.legs.base import Search, Stores, Version
from retrievers.legs.sources import kb_candidate, kb_label
from retrievers.types import Candidate, Source


class KbDense:
    """The tenant's knowledge-base chunks closest in meaning to the question."""

    name: ClassVar[str] = "kb_dense"
    source: ClassVar[Source] = "knowledge_base"
    signal: ClassVar[str] = "vector"
    needs_vector: ClassVar[bool] = True
    batched: ClassVar[bool] = True
    version: ClassVar[Version | None] = "kb"

    def __init__(self, stores: Stores) -> None:
        """Search `stores.pool`."""
        self._pool = stores.pool

    async def search(self, q: Search) -> list[Candidate]:
        """Return the nearest chunks, scored by cosine similarity."""
        assert q.vector is not None
        rows = await chunks.dense(self._pool, q.ident.tenant_id, q.vector, q.fetch_k)
        return [kb_candidate(r, {"vector": 1.0 - float(r["distance"])}) for r in rows]

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return the passage's document and section."""
        return kb_label(cand)
