"""The user's past messages by words: Okapi BM25 over the message index, in Postgres.

Users switch language between threads ("I work at the port", then "Onde é que eu
trabalho?"): a message in another language than the question is one its words could not
meet, so fusion does not count the leg's silence against it (`sees`).
"""

from __future__ import annotations

from typing import ClassVar

from memory import message_index
from retrievers.legs.base import Search, Stores, Version, stemmed_alike
from retrievers.legs.sources import message_candidate, message_label, roles_for
from retrievers.types import Candidate, Source
from text.language import query_configs
from text.words import terms


class MessagesLexical:
    """The user's messages that best match the question's words."""

    name: ClassVar[str] = "messages_lexical"
    source: ClassVar[Source] = "conversation"
    signal: ClassVar[str] = "lexical"
    needs_vector: ClassVar[bool] = False
    batched: ClassVar[bool] = True
    version: ClassVar[Version | None] = "memory"

    def __init__(self, stores: Stores, *, k1: float, b: float) -> None:
        """Search `stores.pool` with BM25 constants `k1` and `b`."""
        self._pool = stores.pool
        self._k1 = k1
        self._b = b

    async def search(self, q: Search) -> list[Candidate]:
        """Return the best messages by BM25 (none when the question has no content word)."""
        words = " ".join(terms(q.text))
        if not words:
            return []
        rows = await message_index.lexical(
            self._pool,
            q.ident,
            words,
            q.fetch_k,
            configs=query_configs(q.language),
            k1=self._k1,
            b=self._b,
            roles=roles_for(q.text),
        )
        return [message_candidate(r, {"lexical": float(r["lexical"])}) for r in rows]

    @classmethod
    def sees(cls, cand: Candidate, language: str | None) -> bool:
        """Return whether a question in `language` could match a message's words at all."""
        return cand["source"] != cls.source or stemmed_alike(cand, language)

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return who said it, and when."""
        return message_label(cand, language)
