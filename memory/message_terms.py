"""Postings of the message index (`memory_message_terms`): each message's lexemes.

One row per (message, lexeme) with the lexeme's term frequency and the message's length,
plus one row of lexeme `DOCUMENT` per message (its length, for the user's BM25 statistics),
taken from the message's stored tsvector (stemmed in its own language). The messages BM25
leg (`memory.message_index.LEXICAL`) reads a question's lexemes from the user's range of the
table's btree: its cost follows the user's postings of those words, not the user's rows nor
everyone's. Rows are written in the transaction that writes their messages; the foreign key
cascades, so forgetting, thread deletion and archiving take them along.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection, sql

from storage.schema import MESSAGE_TERMS_TABLE, MESSAGES_TABLE
from storage.search import postings_rows

_INSERT = sql.SQL(
    "INSERT INTO {table} (message_id, lexeme, tenant_id, user_id, role, tf, dl) "
).format(table=sql.Identifier(MESSAGE_TERMS_TABLE))
_SCOPE = ["tenant_id", "user_id"]
# The postings of some messages just written; a replayed job's are there already.
ADD = (
    _INSERT
    + postings_rows(MESSAGES_TABLE, _SCOPE, "t.langchain_id = ANY(%(ids)s::uuid[])")
    + sql.SQL(" ORDER BY 1, 2 ON CONFLICT DO NOTHING")
)


async def add(conn: AsyncConnection, message_ids: Sequence[str]) -> None:
    """Write the postings of the stored messages `message_ids`, in the caller's transaction."""
    if message_ids:
        await conn.execute(ADD, {"ids": list(message_ids)})
