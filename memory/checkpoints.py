"""Checkpoints: LangGraph's per-thread state tables, as forgetting deletes them.

LangGraph's Postgres saver owns these tables; its `adelete_thread` commits on a connection of
its own, while forgetting must delete a user's threads in one transaction with every other
store, so the deletion is written here against the saver's layout.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection, sql

TABLES = ("checkpoint_writes", "checkpoint_blobs", "checkpoints")


async def delete_threads(conn: AsyncConnection, thread_ids: Sequence[str]) -> int:
    """Delete the checkpoints, blobs and writes keyed by `thread_ids`; return checkpoints gone."""
    deleted = 0
    for table in TABLES:
        statement = sql.SQL("DELETE FROM {} WHERE thread_id = ANY(%s)").format(
            sql.Identifier(table)
        )
        cur = await conn.execute(statement, (list(thread_ids),))
        deleted += cur.rowcount if table == "checkpoints" else 0
    return deleted
