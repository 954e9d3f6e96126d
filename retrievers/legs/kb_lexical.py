"""Knowledge base by words: Okapi BM25 over the tenant's chunks, computed in Postgres.

Words are weighed by document frequencies kept per tenant at ingestion, and only a bounded
number of chunks per word is read (`knowledge.chunks.LEXICAL`), so the leg costs about the
same at 10k chunks as at 100k.
"""

from __future__ import annotations

from typing import ClassVar

from knowledge import chunks
from retrievers.legs.base import Search, Stores, Version, stemmed_alike
from retrievers.legs.sources import kb_candidate, kb_label
from retrievers.types import Candidate, Source
from text.language import query_configs
from text.words import terms


class KbLexical:
    """The tenant's knowledge-base chunks that best match the question's words."""

    name: ClassVar[str] = "kb_lexical"
    source: ClassVar[Source] = "knowledge_base"
    signal: ClassVar[str] = "lexical"
    needs_vector: ClassVar[bool] = False
    batched: ClassVar[bool] = True
    version: ClassVar[Version | None] = "kb"

    def __init__(self, stores: Stores, *, k1: float, b: float, per_term: int) -> None:
        """Search `stores.pool` with BM25 constants `k1` and `b`, reading `per_term` chunks."""
        self._pool = stores.pool
        self._k1 = k1
        self._b = b
        self._per_term = per_term

    async def search(self, q: Search) -> list[Candidate]:
        """Return the best chunks by BM25 (none when the question has no content word)."""
        words = " ".join(terms(q.text))
        if not words:
            return []
        rows = await chunks.lexical(
            self._pool,
            q.ident.tenant_id,
            words,
            q.fetch_k,
            configs=query_configs(q.language),
            k1=self._k1,
            b=self._b,
            per_term=self._per_term,
        )
        return [kb_candidate(r, {"lexical": float(r["lexical"])}) for r in rows]

    @classmethod
    def sees(cls, cand: Candidate, language: str | None) -> bool:
        """Return whether a question in `language` could match a passage's words at all."""
        return cand["source"] != cls.source or stemmed_alike(cand, language)

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return the passage's document and section."""
        return kb_label(cand)
