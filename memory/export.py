"""Export: everything memoria holds about one user, store by store (right of access).

The stores are forgetting's own list (`memory.forget.STORES`): each has a reader here, and a
store added there without one fails `readers()` at once. Redis holds copies only
(`memory.forget.COPIES`), named in the header. Records stream one store at a time, a thread
at a time, so a long history is never held whole; `json_lines` and `json_document` render
them with the schema version.

Knowledge-base documents are not a user's: uploading one needs the tenant's key (a user
token cannot), so they belong to the tenant and are exported with it, not here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from langchain_core.messages import BaseMessage, message_to_dict
from langgraph.checkpoint.base import BaseCheckpointSaver
from psycopg_pool import AsyncConnectionPool

from memory import summaries
from memory.facts import facts_namespace
from memory.forget import COPIES, STORES
from storage.identity import Identity
from storage.schema import CHAT_HISTORY_TABLE
from storage.tenancy import tenant_connection, tenant_scope

SCHEMA = "memoria.user-export"
VERSION = 1

THREADS = """
    SELECT thread_id, session_id, created_at, updated_at, archived_at FROM threads
    WHERE tenant_id = %s AND user_id = %s ORDER BY created_at
"""
MESSAGES = f"SELECT message FROM {CHAT_HISTORY_TABLE} WHERE session_id = %s ORDER BY id"
# Vectors are left out: they are derived from `content` by the embedding model.
INDEXED = """
    SELECT langchain_id AS id, role, content, created_at, seq FROM memory_messages
    WHERE tenant_id = %s AND user_id = %s AND thread_id = %s ORDER BY seq, created_at
"""
# A summary covers the `covered` messages of its thread's transcript ending with
# `covered_through`; rows written before that was kept list every id in `covers` too.
SUMMARIES = f"""
    SELECT summary, {summaries.COVERED}, covers, created_at FROM memory_summaries
    WHERE tenant_id = %s AND user_id = %s AND thread_id = %s ORDER BY id
"""
STRATEGY = """
    SELECT strategy, reason, query, results, latency_ms, cache, created_at FROM strategy_log
    WHERE tenant_id = %s AND user_id = %s AND thread_id = %s ORDER BY id
"""
OUTBOX = """
    SELECT payload, attempts, last_error, created_at FROM memory_outbox
    WHERE tenant_id = %s AND user_id = %s AND thread_id = %s ORDER BY id
"""
FACTS = "SELECT key, value, created_at, updated_at FROM store WHERE prefix = %s ORDER BY created_at"

Record = dict[str, Any]
Section = tuple[str, AsyncIterator[Record]]
# Stores read the same way for each thread of the user: (tenant, user, thread) parameters.
PER_THREAD = {
    "message_index": INDEXED,
    "summaries": SUMMARIES,
    "strategy_log": STRATEGY,
    "outbox": OUTBOX,
}


class Exporter:
    """Reads every store of one user, in the order and with the names forgetting uses."""

    def __init__(self, *, pool: AsyncConnectionPool, checkpointer: BaseCheckpointSaver) -> None:
        """Read through `pool` (autocommit, dict rows) and the threads' states `checkpointer`."""
        self._pool = pool
        self._checkpointer = checkpointer

    async def sections(self, tenant_id: str, user_id: str) -> AsyncIterator[Section]:
        """Yield (store, its records) for every store of `STORES`, in that order.

        Raises:
            RuntimeError: a store forgetting deletes from has no reader here.
        """
        ident = Identity(tenant_id, user_id, "-")
        owned = await self._rows(tenant_id, THREADS, (tenant_id, user_id))
        readers = {
            "threads": self._threads(owned),
            "chat_history": self._transcripts(ident, owned),
            "checkpoints": self._states(ident, owned),
            "facts": self._facts(ident),
            **{store: self._per_thread(ident, owned, q) for store, q in PER_THREAD.items()},
        }
        missing = [store for store in STORES if store not in readers]
        if missing:
            raise RuntimeError(f"no export reader for {missing}: add one to memory/export.py")
        for store in STORES:
            yield store, readers.pop(store)
        for unused in readers.values():
            await unused.aclose()

    async def _rows(self, tenant_id: str, query: str, params: tuple) -> list[Record]:
        async with tenant_connection(self._pool, tenant_id) as conn:
            return await (await conn.execute(query, params)).fetchall()

    async def _threads(self, owned: list[Record]) -> AsyncIterator[Record]:
        for thread in owned:
            yield {k: v for k, v in thread.items() if k != "session_id"}

    async def _transcripts(self, ident: Identity, owned: list[Record]) -> AsyncIterator[Record]:
        for thread in owned:
            rows = await self._rows(ident.tenant_id, MESSAGES, (thread["session_id"],))
            for row in rows:
                yield {"thread_id": thread["thread_id"], "message": row["message"]}

    async def _states(self, ident: Identity, owned: list[Record]) -> AsyncIterator[Record]:
        # HTTP runs key a thread's checkpoints by its session id, LangGraph's server by its id.
        for thread in owned:
            for key in (str(thread["session_id"]), thread["thread_id"]):
                config = {"configurable": {"thread_id": key, "checkpoint_ns": ""}}
                with tenant_scope(ident.tenant_id):
                    found = await self._checkpointer.aget_tuple(config)  # type: ignore[arg-type]
                if found is not None:
                    yield {
                        "thread_id": thread["thread_id"],
                        "saved_at": found.checkpoint["ts"],
                        "state": found.checkpoint["channel_values"],
                    }

    async def _per_thread(
        self, ident: Identity, owned: list[Record], query: str
    ) -> AsyncIterator[Record]:
        for thread in owned:
            params = (ident.tenant_id, ident.user_id, thread["thread_id"])
            for row in await self._rows(ident.tenant_id, query, params):
                yield {"thread_id": thread["thread_id"], **row}

    async def _facts(self, ident: Identity) -> AsyncIterator[Record]:
        prefix = ".".join(facts_namespace(ident))
        for row in await self._rows(ident.tenant_id, FACTS, (prefix,)):
            yield row


def header(tenant_id: str, user_id: str, consent: dict[str, Any]) -> Record:
    """Return what an export says of itself: schema, version, whose, when, and the stores."""
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "tenant_id": tenant_id,
        "user_id": user_id,
        "exported_at": datetime.now(UTC).isoformat(),
        "consent": consent,
        "stores": list(STORES),
        "copies": COPIES,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseMessage):
        return message_to_dict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return repr(value)


def dumps(value: Any) -> str:
    """Return `value` as compact JSON (messages, times and ids included)."""
    return json.dumps(value, default=_jsonable, ensure_ascii=False, separators=(",", ":"))


async def json_lines(head: Record, sections: AsyncIterator[Section]) -> AsyncIterator[str]:
    """Render an export as JSON Lines: the header, then one {"store", ...record} per line."""
    yield dumps({"record": "header", **head}) + "\n"
    async for store, records in sections:
        async for record in records:
            yield dumps({"store": store, **record}) + "\n"


async def json_document(head: Record, sections: AsyncIterator[Section]) -> AsyncIterator[str]:
    """Render an export as one JSON document: the header's fields, and `data` by store."""
    yield dumps(head)[:-1] + ',"data":{'
    first_store = True
    async for store, records in sections:
        yield ("" if first_store else ",") + json.dumps(store) + ":["
        first_store, first = False, True
        async for record in records:
            yield ("" if first else ",") + dumps(record)
            first = False
        yield "]"
    yield "}}"
