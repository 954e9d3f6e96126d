"""Tables memoria owns, created by `setup()` from a versioned list of migrations."""

from __future__ import annotations

import logging
from typing import Any

from langchain_postgres import PostgresChatMessageHistory
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg import AsyncConnection

from storage import tenancy
from storage.migrations import migrations

logger = logging.getLogger(__name__)

CHAT_HISTORY_TABLE = "chat_history"
KB_TABLE = "kb_chunks"
MESSAGES_TABLE = "memory_messages"
MESSAGE_TERMS_TABLE = "memory_message_terms"
MESSAGE_HALF_VECTORS_TABLE = "memory_message_half_vectors"

# Advisory lock key so concurrent processes don't race the same migration.
_MIGRATION_LOCK = tenancy.LOCK


# Postgres notification channel: each enqueue notifies it at commit; workers LISTEN.
OUTBOX_CHANNEL = "memoria_outbox"


def store_index(dims: int, embed: Any) -> dict[str, Any]:
    """Return the index of LangGraph's PostgresStore, where facts live: their `text` embedded."""
    return {"dims": dims, "embed": embed, "fields": ["text"]}


async def _embed_nothing(texts: list[str]) -> list[list[float]]:
    raise RuntimeError("the store was opened to set up its tables, not to embed")


async def setup(conn: AsyncConnection, *, dims: int) -> None:
    """Create LangGraph's and langchain-postgres's tables and apply pending migrations.

    Args:
        conn: An autocommit connection with dict rows.
        dims: Embedding dimensions of the vector columns.
    """
    pending = migrations(dims)
    # LangGraph's checkpoint and store tables and langchain-postgres's chat-history table
    # first (they commit, so not inside the transaction below): migrations index them and
    # put them under row-level security.
    await AsyncPostgresSaver(conn).setup()
    # The store's tables only need the index's shape; nothing is embedded here.
    await AsyncPostgresStore(conn, index=store_index(dims, _embed_nothing)).setup()
    await PostgresChatMessageHistory.acreate_tables(conn, CHAT_HISTORY_TABLE)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS memoria_migrations ("
            " v integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT coalesce(max(v), -1) FROM memoria_migrations")
        row = await cur.fetchone()
        current = list(row.values())[0] if isinstance(row, dict) else row[0]
        for version in range(current + 1, len(pending)):
            logger.info("applying migration %s", version)
            # Several statements per migration: only unprepared, parameterless queries allow that.
            await conn.execute(pending[version], prepare=False)
            await conn.execute("INSERT INTO memoria_migrations (v) VALUES (%s)", (version,))
