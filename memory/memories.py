"""One user's facts as memory items: get, list, correct with history, delete with a receipt.

What the memory API, the SDK, the MCP server and the LangGraph Store view do to facts one at a
time, over `FactStore` (memory/facts.py, which records facts as turns state them). An item's
versions form a chain: a correction closes the item (`valid_to`, `superseded_by`) and stores
the new value naming it in `supersedes`, whatever the attribute's kind. Deleting an item
deletes its whole chain, so nothing of it is left to find. Every change bumps the user's memory
version in Postgres, which retires their cached retrievals.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from langgraph.store.base import Item, PutOp
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from memory import message_index
from memory.fact_extractors import Extractor
from memory.facts import FactStore, facts_namespace
from memory.forget import Receipt
from memory.messages import message_uuid_of
from memory.outbox import LOCK_USER
from storage.identity import Identity
from storage.tenancy import tenant_connection, tenant_scope
from storage.versions import bump_user

# Changes of facts one process makes at once (each holds a connection for its lock).
CONCURRENT_CHANGES = 3
# The longest chain of corrections followed; a chain is a handful of versions in practice.
MAX_VERSIONS = 1000


class MemoryNotFound(LookupError):
    """No fact of this user has that id."""

    def __init__(self, key: str) -> None:
        """Build the error for `key`, without saying whether another user has one."""
        super().__init__(
            f"memory {key!r} not found for this user; list them with GET /users/{{user_id}}"
            "/memories"
        )


class MemoryClosed(ValueError):
    """The fact was already superseded: only the current version can be corrected."""

    def __init__(self, key: str, current: str | None) -> None:
        """Build the error naming the version to correct instead."""
        newer = f"correct {current!r}, its current version" if current else "add a new one"
        super().__init__(f"memory {key!r} was superseded; {newer}")
        self.current = current


class Memories:
    """A user's facts one at a time, scoped by an Identity (its thread is not used)."""

    def __init__(self, facts: FactStore, *, pool: AsyncConnectionPool) -> None:
        """Work over `facts` and the autocommit `pool` (memory versions, message marks)."""
        self._facts = facts
        self._store = facts.store
        self._pool = pool
        # A change holds one pooled connection while the store takes others from the same
        # pool: bounded, so concurrent changes can never hold every connection and wait.
        self._slots = asyncio.Semaphore(CONCURRENT_CHANGES)

    async def add(self, ident: Identity, text: str, *, extractor: Extractor) -> list[Item]:
        """Record `text` as facts (typed when recognisable, else a note); return them."""
        async with self._changing(ident):
            keys = await self._facts.remember(ident, text, extractor=extractor)
        with tenant_scope(ident.tenant_id):
            found = [await self._store.aget(facts_namespace(ident), key) for key in keys]
        return [item for item in found if item is not None]

    async def put(
        self,
        ident: Identity,
        key: str,
        text: str,
        *,
        attribute: str | None = None,
        value: str | None = None,
    ) -> Item:
        """Keep `text` as the new fact `key` (a note unless `attribute` says what it is).

        Raises:
            ValueError: `key` names a fact already (correct it instead).
        """
        ns = facts_namespace(ident)
        now = datetime.now(UTC).isoformat()
        fact = {
            "text": text,
            "attribute": attribute or "note",
            "value": value or text,
            "single_valued": False,
            "current": True,
            "valid_from": now,
            "valid_to": None,
            "supersedes": None,
            "superseded_by": None,
            "thread_id": ident.thread_id,
            "source_id": key,
            "origin": "remember",
            "extractor": "client",
        }
        async with self._changing(ident):
            with tenant_scope(ident.tenant_id):
                if await self._store.aget(ns, key) is not None:
                    raise ValueError(f"memory {key!r} exists; correct it instead")
                await self._store.abatch([PutOp(ns, key, fact)])
        return await self.get(ident, key)

    async def get(self, ident: Identity, key: str) -> Item:
        """Return the user's fact `key`, current or closed.

        Raises:
            MemoryNotFound: the user has no such fact.
        """
        with tenant_scope(ident.tenant_id):
            item = await self._store.aget(facts_namespace(ident), key)
        if item is None:
            raise MemoryNotFound(key)
        return item

    async def list(
        self,
        ident: Identity,
        *,
        include_history: bool = False,
        attribute: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Item]:
        """Return the user's facts, newest first: current ones, or with their history too."""
        items = await self._facts.history(ident, attribute=attribute)
        if not include_history:
            items = [item for item in items if item.value.get("current")]
        items.reverse()
        return items[offset : offset + limit]

    async def history(self, ident: Identity, key: str) -> list[Item]:
        """Return every version of fact `key`'s chain, oldest first.

        Raises:
            MemoryNotFound: the user has no such fact.
        """
        item = await self.get(ident, key)
        older = await self._follow(ident, item, "supersedes")
        newer = await self._follow(ident, item, "superseded_by")
        return [*reversed(older), item, *newer]

    async def _follow(self, ident: Identity, item: Item, link: str) -> list[Item]:
        """Return the versions reached from `item` through `link`, nearest first."""
        found: list[Item] = []
        with tenant_scope(ident.tenant_id):
            while (key := item.value.get(link)) and len(found) < MAX_VERSIONS:
                nxt = await self._store.aget(facts_namespace(ident), key)
                if nxt is None:
                    break  # a version removed by retention (`memoria purge`)
                found.append(nxt)
                item = nxt
        return found

    async def correct(
        self, ident: Identity, key: str, text: str, *, value: str | None = None
    ) -> Item:
        """Replace the current fact `key` by `text`; the old version stays in its history.

        The new version keeps the attribute; its value is `value`, else the text itself.

        Raises:
            MemoryNotFound: the user has no such fact.
            MemoryClosed: `key` was superseded already.
        """
        async with self._changing(ident) as conn:
            new_key = await self._correct(conn, ident, key, text, value)
        return await self.get(ident, new_key)

    async def _correct(
        self, conn: AsyncConnection, ident: Identity, key: str, text: str, value: str | None
    ) -> str:
        old = await self.get(ident, key)
        if not old.value.get("current"):
            raise MemoryClosed(key, await self._current_of(ident, old))
        now = datetime.now(UTC).isoformat()
        new_key = str(uuid.uuid4())
        new = {
            **old.value,
            "text": text,
            "value": value or text,
            "current": True,
            "valid_from": now,
            "valid_to": None,
            "supersedes": key,
            "superseded_by": None,
            "source_id": new_key,
            "origin": "correction",
        }
        closed = {**old.value, "current": False, "valid_to": now, "superseded_by": new_key}
        ns = facts_namespace(ident)
        with tenant_scope(ident.tenant_id):
            await self._store.abatch([PutOp(ns, key, closed), PutOp(ns, new_key, new)])
        stated = old.value.get("origin") == "message"
        stated_in = [message_uuid_of(old.value["source_id"])] if stated else []
        # The messages that stated the old value now rank below current statements.
        await message_index.mark_superseded(conn, ident, stated_in, text)
        return new_key

    async def delete(self, ident: Identity, key: str) -> Receipt:
        """Delete fact `key` and every version of its chain; return a receipt.

        The conversations that stated it stay (delete a thread to remove those).

        Raises:
            MemoryNotFound: the user has no such fact.
        """
        ns = facts_namespace(ident)
        async with self._changing(ident):
            chain = await self.history(ident, key)
            with tenant_scope(ident.tenant_id):
                await self._store.abatch([PutOp(ns, item.key, None) for item in chain])
        receipt = Receipt({"tenant_id": ident.tenant_id, "user_id": ident.user_id, "id": key})
        receipt.add("facts", len(chain))
        return receipt

    @asynccontextmanager
    async def _changing(self, ident: Identity) -> AsyncIterator[AsyncConnection]:
        """Hold the user's fact lock for a change; then bump their memory version.

        The outbox worker takes the same lock while it records a user's facts, so a
        correction and a fact arriving from a turn never interleave (latest wins holds).
        """
        async with (
            self._slots,
            tenant_connection(self._pool, ident.tenant_id) as conn,
            conn.transaction(),
        ):
            await conn.execute(LOCK_USER, (f"{ident.tenant_id}\x1f{ident.user_id}",))
            yield conn
            # Cached retrievals of this user were made without this change.
            await bump_user(conn, ident.tenant_id, ident.user_id)

    async def _current_of(self, ident: Identity, item: Item) -> str | None:
        chain = await self.history(ident, item.key)
        return next((i.key for i in chain if i.value.get("current")), None)
