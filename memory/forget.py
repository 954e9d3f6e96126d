"""Forgetting: delete a thread or everything of a user, and apply the retention period.

Every Postgres store is cleared in one transaction (chat history, checkpoints, message index,
outbox, summaries, strategy log, facts, thread ownership), and the user's memory version is
bumped in it, so no cached retrieval made before can be read again. Redis copies (hot
windows, cached retrievals, cached embeddings of the user's questions) are deleted after the
commit; if Redis is down they are unreachable anyway and expire on their own. Each call
returns a receipt with the count per store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from memory.conversation import ConversationMemory, ThreadOwnershipError
from memory.facts import facts_namespace
from retrievers.cache import RetrievalCache
from retrievers.embeddings import CachedEmbeddings
from storage.identity import Identity
from storage.schema import BUMP_VERSION, CHAT_HISTORY_TABLE, MESSAGES_TABLE, user_scope
from storage.tenancy import ALL_TENANTS, tenant_connection

_CHECKPOINT_TABLES = ("checkpoint_writes", "checkpoint_blobs", "checkpoints")


@dataclass
class Receipt:
    """What a deletion removed, per store."""

    scope: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def add(self, store: str, n: int) -> None:
        """Count `n` more items removed from `store`."""
        self.counts[store] = self.counts.get(store, 0) + n

    @property
    def total(self) -> int:
        """Items removed across every store."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        """Return the receipt as JSON-ready data."""
        return {"scope": self.scope, "counts": dict(sorted(self.counts.items())), "at": self.at}


class Forgetter:
    """Deletes memory across every store, with receipts."""

    def __init__(
        self,
        *,
        pool: AsyncConnectionPool,
        conversation: ConversationMemory,
        retrieval_cache: RetrievalCache,
        embeddings: CachedEmbeddings,
    ) -> None:
        """Wire the stores whose copies must go too."""
        self._pool = pool
        self._conversation = conversation
        self._retrieval_cache = retrieval_cache
        self._embeddings = embeddings

    async def delete_thread(self, ident: Identity) -> Receipt:
        """Delete one thread of `ident`'s user, and the facts first stated in it.

        Raises:
            ThreadOwnershipError: the thread is not this user's (or does not exist).
        """
        receipt = Receipt(ident.as_dict())
        async with tenant_connection(self._pool, ident.tenant_id) as conn, conn.transaction():
            threads = await _threads(conn, ident.tenant_id, ident.user_id, ident.thread_id)
            if not threads:
                raise ThreadOwnershipError(ident.thread_id)
            questions = await self._delete(conn, receipt, ident.tenant_id, ident.user_id, threads)
            prefix = ".".join(facts_namespace(ident))
            await _count(
                conn,
                receipt,
                "facts",
                "DELETE FROM store WHERE prefix = %s AND value->>'thread_id' = %s",
                (prefix, ident.thread_id),
            )
        await self._clear_redis(receipt, ident.tenant_id, ident.user_id, threads, questions)
        return receipt

    async def forget_user(self, tenant_id: str, user_id: str) -> Receipt:
        """Delete everything memoria holds about one user of a tenant."""
        receipt = Receipt({"tenant_id": tenant_id, "user_id": user_id})
        async with tenant_connection(self._pool, tenant_id) as conn, conn.transaction():
            threads = await _threads(conn, tenant_id, user_id)
            questions = await self._delete(conn, receipt, tenant_id, user_id, threads)
            prefix = ".".join(facts_namespace(Identity(tenant_id, user_id, "-")))
            await _count(conn, receipt, "facts", "DELETE FROM store WHERE prefix = %s", (prefix,))
        await self._clear_redis(receipt, tenant_id, user_id, threads, questions)
        return receipt

    async def purge(self, days: int) -> Receipt:
        """Apply the retention period: delete threads idle for `days` and old fact history."""
        if days < 1:
            raise ValueError("retention must be at least one day")
        receipt = Receipt({"retention_days": days})
        async with tenant_connection(self._pool, ALL_TENANTS) as conn:
            cur = await conn.execute(
                "SELECT tenant_id, user_id, thread_id FROM threads"
                " WHERE updated_at < now() - make_interval(days => %s)",
                (days,),
            )
            stale = await cur.fetchall()
        for row in stale:
            ident = Identity(row["tenant_id"], row["user_id"], row["thread_id"])
            try:
                done = await self.delete_thread(ident)
            except ThreadOwnershipError:
                continue  # deleted meanwhile
            for store, n in done.counts.items():
                receipt.add(store, n)
        async with tenant_connection(self._pool, ALL_TENANTS) as conn, conn.transaction():
            await _count(
                conn,
                receipt,
                "fact_history",
                "DELETE FROM store WHERE prefix LIKE 'facts.%%'"
                " AND value->>'current' = 'false'"
                " AND (value->>'valid_to')::timestamptz"
                "     < now() - make_interval(days => %s)",
                (days,),
            )
            await _count(
                conn,
                receipt,
                "strategy_log",
                "DELETE FROM strategy_log WHERE created_at < now() - make_interval(days => %s)",
                (days,),
            )
        return receipt

    async def _delete(
        self,
        conn: AsyncConnection,
        receipt: Receipt,
        tenant_id: str,
        user_id: str,
        threads: list[dict[str, Any]],
    ) -> list[str]:
        """Delete the threads' rows from every Postgres store; return the user's questions."""
        ids = [t["thread_id"] for t in threads]
        sessions = [t["session_id"] for t in threads]
        scope = (tenant_id, user_id, ids)
        # First: waits for a worker busy with one of these jobs, so nothing is indexed after.
        await _count(
            conn,
            receipt,
            "outbox",
            "DELETE FROM memory_outbox"
            " WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)",
            scope,
        )
        cur = await conn.execute(
            f"SELECT message->'data'->>'content' AS text FROM {CHAT_HISTORY_TABLE}"
            " WHERE session_id = ANY(%s) AND message->>'type' = 'human'",
            (sessions,),
        )
        questions = [r["text"] for r in await cur.fetchall() if r["text"]]
        await _count(
            conn,
            receipt,
            "chat_history",
            f"DELETE FROM {CHAT_HISTORY_TABLE} WHERE session_id = ANY(%s)",
            (sessions,),
        )
        checkpoints = 0
        for table in _CHECKPOINT_TABLES:
            cur = await conn.execute(f"DELETE FROM {table} WHERE thread_id = ANY(%s)", (ids,))
            checkpoints += cur.rowcount if table == "checkpoints" else 0
        receipt.add("checkpoints", checkpoints)
        for store, table in (
            ("message_index", MESSAGES_TABLE),
            ("summaries", "memory_summaries"),
            ("strategy_log", "strategy_log"),
            ("threads", "threads"),
        ):
            await _count(
                conn,
                receipt,
                store,
                f"DELETE FROM {table}"
                " WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)",
                scope,
            )
        await conn.execute(BUMP_VERSION, {"tenant_id": tenant_id, "scope": user_scope(user_id)})
        return questions

    async def _clear_redis(
        self,
        receipt: Receipt,
        tenant_id: str,
        user_id: str,
        threads: list[dict[str, Any]],
        questions: list[str],
    ) -> None:
        windows = [
            self._conversation.window_key(Identity(tenant_id, user_id, t["thread_id"]))
            for t in threads
        ]
        if windows:
            deleted = await self._conversation.speed.run(
                "forget.hot_window", lambda r: r.unlink(*windows), 0
            )
            receipt.add("hot_window", int(deleted))
        receipt.add("retrieval_cache", await self._retrieval_cache.forget_user(tenant_id, user_id))
        receipt.add("embedding_cache", await self._embeddings.forget(questions))


async def _threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_id: str | None = None
) -> list[dict[str, Any]]:
    query = "SELECT thread_id, session_id FROM threads WHERE tenant_id = %s AND user_id = %s"
    params: tuple[Any, ...] = (tenant_id, user_id)
    if thread_id is not None:
        query += " AND thread_id = %s"
        params += (thread_id,)
    # Locks the threads: a turn claiming one of them waits until the deletion commits.
    cur = await conn.execute(query + " FOR UPDATE", params)
    return list(await cur.fetchall())


async def _count(
    conn: AsyncConnection, receipt: Receipt, store: str, query: str, params: tuple[Any, ...]
) -> None:
    cur = await conn.execute(query, params)
    receipt.add(store, cur.rowcount)
