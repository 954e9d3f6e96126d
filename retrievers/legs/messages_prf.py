"""The user's past messages by meaning, the question moved toward its own best hits (Rocchio).

Pseudo-relevance feedback with the vectors already stored: the question's vector averaged
with those of its `feedback` nearest messages (the question counting as many times as
they), then a second nearest-neighbour search with that. Turns that say what the question
means in other words ("swimming with the kids" for "activities with her family") sit near
the hits that share the question's words. One statement, no second embedding.
"""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import sql

from memory.message_index import COLUMNS
from retrievers.legs.base import Search, Stores, Version
from retrievers.legs.sources import message_candidate, message_label, roles_for
from retrievers.types import Candidate, Source
from storage.schema import MESSAGES_TABLE
from storage.search import vector_literal
from storage.tenancy import tenant_connection

_SCOPE = "t.tenant_id = %(tenant_id)s AND t.user_id = %(user_id)s AND t.role = ANY(%(role)s)"
PRF = sql.SQL(
    """
    WITH top AS (
        SELECT t.embedding FROM {table} t WHERE """
    + _SCOPE
    + """
        ORDER BY t.embedding <=> %(vector)s::vector LIMIT %(feedback)s
    ),
    moved AS (
        SELECT avg(v) AS v FROM (
            SELECT embedding AS v FROM top
            UNION ALL SELECT %(vector)s::vector FROM generate_series(1, %(feedback)s)
        ) AS pooled
    )
    SELECT t.langchain_id::text AS id, t.content, {columns}, t.langchain_metadata AS extra,
           t.embedding <=> (SELECT v FROM moved) AS distance
    FROM {table} t
    WHERE """
    + _SCOPE
    + """
    ORDER BY t.embedding <=> (SELECT v FROM moved)
    LIMIT %(limit)s
"""
).format(
    table=sql.Identifier(MESSAGES_TABLE),
    columns=sql.SQL(", ".join(f"t.{c}" for c in COLUMNS)),
)


class MessagesPrf:
    """The user's messages nearest to the question moved toward its nearest messages."""

    name: ClassVar[str] = "messages_prf"
    source: ClassVar[Source] = "conversation"
    signal: ClassVar[str] = "prf"
    needs_vector: ClassVar[bool] = True
    version: ClassVar[Version | None] = "memory"

    def __init__(self, stores: Stores, *, feedback: int = 5) -> None:
        """Search `stores.pool`, moving the question toward its `feedback` nearest messages."""
        self._pool = stores.pool
        self._feedback = feedback

    async def search(self, q: Search) -> list[Candidate]:
        """Return the messages nearest the moved question, scored by cosine similarity."""
        assert q.vector is not None
        params: dict[str, Any] = {
            "tenant_id": q.ident.tenant_id,
            "user_id": q.ident.user_id,
            "vector": vector_literal(q.vector),
            "feedback": self._feedback,
            "limit": q.fetch_k,
            "role": list(roles_for(q.text)),
        }
        async with tenant_connection(self._pool, q.ident.tenant_id) as conn:
            rows = await (await conn.execute(PRF, params)).fetchall()
        return [message_candidate(r, {"prf": 1.0 - float(r["distance"])}) for r in rows]

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return who said it, and when."""
        return message_label(cand, language)
