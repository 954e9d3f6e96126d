"""Forgetting: delete a thread or everything of a user, and apply the retention period.

Every Postgres store is cleared in one transaction (chat history, checkpoints, message index,
outbox, summaries, strategy log, facts, thread ownership), and the user's memory version is
bumped in it, so no cached retrieval made before can be read again. Redis copies (hot
windows, and whatever caches the caller hands over: cached retrievals, cached embeddings of
the user's questions) are deleted after the commit; if Redis is down they are unreachable
anyway and expire on their own. Each call returns a receipt with the count per store.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from memory import checkpoints, facts, message_index, outbox, strategy_log, summaries, threads
from memory import transcript as transcripts
from memory.conversation import ConversationMemory, ThreadOwnershipError
from storage.identity import Identity
from storage.tenancy import ALL_TENANTS, tenant_connection, user_connection
from storage.versions import bump_user

# Every store a user's data can reach, as receipts name them: forgetting deletes from each,
# and export (memory/export.py) reads each, so the two cannot drift apart.
STORES = (
    "threads",
    "chat_history",
    "checkpoints",
    "summaries",
    "message_index",
    "strategy_log",
    "outbox",
    "facts",
)
# Redis copies of those stores, deleted with them and rebuilt from them: what each copies.
COPIES = {
    "hot_window": "chat_history: each thread's latest messages",
    "retrieval_cache": "message_index and facts: search results for the user's questions",
    "embedding_cache": "the user's questions, as vectors keyed by a hash of their text",
}


class UserCache(Protocol):
    """A Redis cache that may hold copies of a user's data (retrievals, question vectors)."""

    name: str
    """The store's name on receipts, e.g. "retrieval_cache"."""

    async def forget_user(self, tenant_id: str, user_id: str, questions: Sequence[str]) -> int:
        """Delete the user's entries (their `questions` among them); return how many went."""
        ...


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
        caches: Sequence[UserCache] = (),
    ) -> None:
        """Wire the stores whose copies must go too.

        Args:
            pool: Autocommit pool (dict rows).
            conversation: Whose hot windows hold recent messages in Redis.
            caches: Further Redis caches that may hold the user's data.
        """
        self.pool = pool
        self._conversation = conversation
        self._caches = caches

    async def delete_thread(
        self, ident: Identity, *, idle_days: int | None = None, keep_facts: bool = False
    ) -> Receipt:
        """Delete one thread of `ident`'s user, and (unless `keep_facts`) the facts it stated.

        Args:
            ident: Whose thread.
            idle_days: Only if the thread is still unused for this many days as it is locked
                (retention: a turn that touched it meanwhile keeps it).
            keep_facts: Keep the facts first stated in the thread.

        Raises:
            ThreadOwnershipError: the thread is not this user's (or does not exist, or is in
                use again when `idle_days` is given).
        """
        receipt = Receipt(ident.as_dict())
        async with self._acting_for(ident.tenant_id, ident.user_id) as conn, conn.transaction():
            owned = await self._lock_thread(conn, ident, idle_days)
            questions = await self._delete(conn, receipt, ident.tenant_id, ident.user_id, owned)
            if not keep_facts:
                receipt.add("facts", await facts.delete_stated_in_thread(conn, ident))
        await self._clear_redis(receipt, ident.tenant_id, ident.user_id, owned, questions)
        return receipt

    async def archive_thread(
        self, ident: Identity, *, idle_days: int, keep_facts: bool = True
    ) -> Receipt:
        """Take an idle thread out of memory, keeping its transcript, summaries and log.

        Its message index, state (checkpoints), pending jobs and hot window go, so nothing
        recalls it and its cached retrievals retire; the transcript stays, for export and
        for the operator, until the user or an erasure deletes it. A turn in the thread
        later starts it afresh.

        Raises:
            ThreadOwnershipError: the thread is not this user's, or is in use again.
        """
        receipt = Receipt(ident.as_dict())
        tenant_id, user_id = ident.tenant_id, ident.user_id
        async with self._acting_for(tenant_id, user_id) as conn, conn.transaction():
            owned = await self._lock_thread(conn, ident, idle_days)
            ids = [ident.thread_id]
            receipt.add("outbox", await outbox.delete_threads(conn, tenant_id, user_id, ids))
            keys = [ident.thread_id, str(owned[0]["session_id"])]
            receipt.add("checkpoints", await checkpoints.delete_threads(conn, keys))
            receipt.add(
                "message_index", await message_index.delete_threads(conn, tenant_id, user_id, ids)
            )
            receipt.add("archived", await threads.archive(conn, ident))
            if not keep_facts:
                receipt.add("facts", await facts.delete_stated_in_thread(conn, ident))
            await bump_user(conn, tenant_id, user_id)
        await self._clear_redis(receipt, tenant_id, user_id, owned, [])
        return receipt

    def _acting_for(
        self, tenant_id: str, user_id: str
    ) -> AbstractAsyncContextManager[AsyncConnection]:
        # As the user whose data goes, whoever calls: a caller acting for another user of
        # the tenant (a background task that inherited one) would see none of its rows.
        return user_connection(self.pool, tenant_id, user_id)

    @staticmethod
    async def _lock_thread(
        conn: AsyncConnection, ident: Identity, idle_days: int | None
    ) -> list[dict[str, Any]]:
        owned = await threads.lock_for_delete(
            conn, ident.tenant_id, ident.user_id, ident.thread_id, idle_days=idle_days
        )
        if not owned:
            raise ThreadOwnershipError(ident.thread_id)
        return owned

    async def forget_user(self, tenant_id: str, user_id: str) -> Receipt:
        """Delete everything memoria holds about one user of a tenant."""
        receipt = Receipt({"tenant_id": tenant_id, "user_id": user_id})
        async with self._acting_for(tenant_id, user_id) as conn, conn.transaction():
            owned = await threads.lock_for_delete(conn, tenant_id, user_id)
            questions = await self._delete(conn, receipt, tenant_id, user_id, owned)
            receipt.add("facts", await facts.delete_user(conn, tenant_id, user_id))
        await self._clear_redis(receipt, tenant_id, user_id, owned, questions)
        return receipt

    async def purge(self, days: int) -> Receipt:
        """Apply the retention period: delete threads idle for `days` and old fact history."""
        if days < 1:
            raise ValueError("retention must be at least one day")
        receipt = Receipt({"retention_days": days})
        async with tenant_connection(self.pool, ALL_TENANTS) as conn:
            stale = await threads.idle(conn, days)
        for ident in stale:
            try:
                done = await self.delete_thread(ident, idle_days=days)
            except ThreadOwnershipError:
                continue  # deleted, or used again, meanwhile
            for store, n in done.counts.items():
                receipt.add(store, n)
        async with tenant_connection(self.pool, ALL_TENANTS) as conn, conn.transaction():
            receipt.add("fact_history", await facts.delete_closed_before(conn, days))
            receipt.add("strategy_log", await strategy_log.delete_older(conn, days))
        return receipt

    async def _delete(
        self,
        conn: AsyncConnection,
        receipt: Receipt,
        tenant_id: str,
        user_id: str,
        owned: list[dict[str, Any]],
    ) -> list[str]:
        """Delete the threads' rows from every Postgres store; return the user's questions."""
        ids = [t["thread_id"] for t in owned]
        sessions = [t["session_id"] for t in owned]
        # First: waits for a worker busy with one of these jobs, so nothing is indexed after.
        receipt.add("outbox", await outbox.delete_threads(conn, tenant_id, user_id, ids))
        questions = await transcripts.user_texts(conn, sessions)
        receipt.add("chat_history", await transcripts.delete(conn, sessions))
        # HTTP runs key checkpoints by the thread's session id, LangGraph's server by its id.
        keys = [*ids, *(str(session) for session in sessions)]
        receipt.add("checkpoints", await checkpoints.delete_threads(conn, keys))
        for store, module in (
            ("message_index", message_index),
            ("summaries", summaries),
            ("strategy_log", strategy_log),
            ("threads", threads),
        ):
            receipt.add(store, await module.delete_threads(conn, tenant_id, user_id, ids))
        await bump_user(conn, tenant_id, user_id)
        return questions

    async def _clear_redis(
        self,
        receipt: Receipt,
        tenant_id: str,
        user_id: str,
        owned: list[dict[str, Any]],
        questions: list[str],
    ) -> None:
        idents = [Identity(tenant_id, user_id, t["thread_id"]) for t in owned]
        if idents:
            receipt.add("hot_window", await self._conversation.forget_hot_windows(idents))
        for cache in self._caches:
            receipt.add(cache.name, await cache.forget_user(tenant_id, user_id, questions))
