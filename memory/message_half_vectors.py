"""The message index's vectors at half size (`memory_message_half_vectors`).

One row per message with its vector as a pgvector `halfvec` (16-bit floats: 1 kB for 512
dimensions, against 2 kB) under a btree led by (tenant, user, role) that includes it. The
messages dense leg (`memory.message_index.DENSE`) ranks a user's rows from that range
alone: the same order as the full vectors but for near-ties, from half the pages, and
without the toasted full vectors of the table's heap. Rows are written in the transaction
that writes their messages; the foreign key cascades, so forgetting, thread deletion and
archiving take them along; `memoria reindex` recomputes them after its swap.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection, sql

from storage.schema import MESSAGE_HALF_VECTORS_TABLE, MESSAGES_TABLE
from storage.search import compiled, half_vector_rows

_INSERT = sql.SQL("INSERT INTO {table} (message_id, tenant_id, user_id, role, embedding) ").format(
    table=sql.Identifier(MESSAGE_HALF_VECTORS_TABLE)
)
_SCOPE = ["tenant_id", "user_id"]
# The half vectors of some messages just written; a replayed job's are there already.
ADD = (
    _INSERT
    + half_vector_rows(MESSAGES_TABLE, _SCOPE, "t.langchain_id = ANY(%(ids)s::uuid[])")
    + sql.SQL(" ON CONFLICT DO NOTHING")
)
# Every row's half vector from the vectors as they are now (after `memoria reindex` swapped).
RECOMPUTE = sql.SQL(
    "UPDATE {halves} h SET embedding = t.embedding::halfvec"
    " FROM {table} t WHERE t.langchain_id = h.message_id"
).format(halves=sql.Identifier(MESSAGE_HALF_VECTORS_TABLE), table=sql.Identifier(MESSAGES_TABLE))


async def add(conn: AsyncConnection, message_ids: Sequence[str]) -> None:
    """Write the half vectors of the stored messages `message_ids`, in the caller's transaction."""
    if message_ids:
        await conn.execute(compiled(ADD), {"ids": list(message_ids)})
