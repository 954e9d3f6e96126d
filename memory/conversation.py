"""A user's conversations: thread ownership, transcript, hot window and message index.

Postgres holds the transcript (the source of truth) and the message index used for semantic
recall across threads; Redis holds a hot window of recent messages per thread. A turn is
acknowledged by one transaction (messages plus an outbox job); the outbox worker indexes it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict
from langchain_postgres import PostgresChatMessageHistory
from psycopg import AsyncCursor
from psycopg.errors import InsufficientPrivilege
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from storage.identity import Identity, redis_key
from storage.metrics import CACHE_LOOKUPS, WRITE_ACK_MS
from storage.schema import CHAT_HISTORY_TABLE, KB_SCOPE, OUTBOX_CHANNEL
from storage.speed import SpeedLayer
from storage.tenancy import tenant_connection

logger = logging.getLogger(__name__)

# Claims a thread for its owner, or touches it if the owner already has it. Returns no row
# when another (tenant, user) owns the thread_id.
CLAIM_THREAD = """
    INSERT INTO threads (thread_id, tenant_id, user_id, session_id)
    VALUES (%(thread_id)s, %(tenant_id)s, %(user_id)s, %(session_id)s)
    ON CONFLICT (thread_id) DO UPDATE SET updated_at = now()
    WHERE threads.tenant_id = EXCLUDED.tenant_id AND threads.user_id = EXCLUDED.user_id
    RETURNING thread_id
"""
# The claim, plus the versions of what this user's retrieval can see (0 before any write).
CLAIM_AND_READ_VERSIONS = f"""
    WITH claim AS ({CLAIM_THREAD})
    SELECT claim.thread_id,
        coalesce((SELECT version FROM memory_versions
                  WHERE tenant_id = %(tenant_id)s AND scope = 'user:' || %(user_id)s), 0)
            AS memory_version,
        coalesce((SELECT version FROM memory_versions
                  WHERE tenant_id = %(tenant_id)s AND scope = '{KB_SCOPE}'), 0) AS kb_version
    FROM claim
"""
# The row PostgresChatMessageHistory.aadd_messages writes (it reads them back); written here
# because aadd_messages commits on its own, and the turn must commit with its outbox job.
# A message already stored (a turn sent again after a crash lost the checkpoint recording it)
# is skipped; concurrent turns of a thread wait for each other on the claim's row lock.
INSERT_CHAT_MESSAGE = f"""
    INSERT INTO {CHAT_HISTORY_TABLE} (session_id, message)
    SELECT %(session_id)s::uuid, %(message)s::jsonb
    WHERE NOT EXISTS (
        SELECT 1 FROM {CHAT_HISTORY_TABLE}
        WHERE session_id = %(session_id)s::uuid AND message -> 'data' ->> 'id' = %(message_id)s
    )
    RETURNING message -> 'data' ->> 'id'
"""
# The notification is delivered at commit (never for a rolled-back turn) and wakes workers.
ENQUEUE = f"""
    WITH job AS (
        INSERT INTO memory_outbox (tenant_id, user_id, thread_id, payload)
        VALUES (%(tenant_id)s, %(user_id)s, %(thread_id)s, %(payload)s)
        RETURNING id
    )
    SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM job
"""


# Messages may carry extra provenance for the index under this additional_kwargs key.
EXTRA_METADATA_KEY = "memoria_metadata"

# Columns of `memory_messages` besides content and embedding; everything else is JSON metadata.
INDEX_COLUMNS = frozenset(
    {"tenant_id", "user_id", "thread_id", "role", "created_at", "seq", "message_id"}
)

# Embed each message together with the one before it in the same append (measured on the
# LoCoMo dev split, see BENCHMARKS.md).
EMBED_WITH_PREVIOUS = True

# Replies of the offline extractive responder only quote sources already indexed; indexing them
# as conversation memory would make later answers quote earlier quotes.
EXTRACTIVE_MODEL_NAME = "memoria-extractive"


class ThreadOwnershipError(PermissionError):
    """The thread id belongs to another user or tenant."""

    def __init__(self, thread_id: str) -> None:
        """Build the error for `thread_id` without saying who owns it."""
        super().__init__(
            f"thread_id {thread_id!r} is not available to this user; "
            "start a new thread with a fresh id (a UUID is a good choice)"
        )


def message_uuid(message: BaseMessage) -> str:
    """Return a UUID for `message`, derived from its id so re-indexing replaces, not duplicates."""
    if message.id is None:
        raise ValueError("message has no id; add it to graph state before persisting")
    return message_uuid_of(message.id)


def message_uuid_of(message_id: str) -> str:
    """Return the index row id of the message with id `message_id`."""
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, message_id))


def is_extractive_reply(message: BaseMessage) -> bool:
    """Return whether `message` is a reply of the offline extractive responder."""
    return message.response_metadata.get("model_name") == EXTRACTIVE_MODEL_NAME


def message_text(message: BaseMessage) -> str:
    """Return the plain text of a message, whatever its content blocks."""
    return message.text if isinstance(message.text, str) else str(message.content)


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One message as the index stores it: text, what gets embedded, and where it sits."""

    id: str
    message_id: str
    content: str
    view: str
    role: str
    created_at: datetime
    seq: int
    metadata: dict[str, Any]


def index_entries(
    messages: Sequence[BaseMessage], *, base_seq: int, acked_at: datetime
) -> list[IndexEntry]:
    """Return the index entries of a turn's messages (user and assistant text only).

    Args:
        messages: The turn's messages, in order.
        base_seq: Position of the turn in its thread; message i gets `base_seq + i`.
        acked_at: When the turn was acknowledged: the timestamp of messages that carry none.
    """
    entries = []
    previous = ""
    for position, message in enumerate(messages):
        text = message_text(message).strip()
        if message.type not in ("human", "ai") or not text or is_extractive_reply(message):
            continue
        # Embed a message with the one before it: a reply ("Yes, in June!") means little
        # alone. The stored text stays the message itself.
        view = f"{previous}\n{text}" if previous and EMBED_WITH_PREVIOUS else text
        previous = text
        created = message.additional_kwargs.get("created_at")
        entries.append(
            IndexEntry(
                id=message_uuid(message),
                message_id=str(message.id),
                content=text,
                view=view,
                role=message.type,
                created_at=datetime.fromisoformat(created) if created else acked_at,
                seq=base_seq + position,
                metadata={
                    # Caller-supplied provenance (e.g. an importer's turn id); it can never
                    # shadow the columns every query scopes by.
                    **{
                        k: v
                        for k, v in message.additional_kwargs.get(EXTRA_METADATA_KEY, {}).items()
                        if k not in INDEX_COLUMNS
                    },
                    **({"speaker": message.name} if message.name else {}),
                    "message_id": message.id,
                },
            )
        )
    return entries


class ConversationMemory:
    """Reads and writes one user's conversations; every method is scoped by an Identity."""

    def __init__(
        self,
        *,
        pool: AsyncConnectionPool,
        history_pool: AsyncConnectionPool,
        speed: SpeedLayer,
        hot_window: int,
        hot_window_ttl_s: int,
    ) -> None:
        """Wire the stores; nothing is opened here.

        Args:
            pool: Autocommit pool (dict rows) for thread ownership.
            history_pool: Transactional pool with tuple rows for the chat history, which reads
                rows by position and commits itself: a turn's messages commit together.
            speed: Redis for the hot window; losing it costs speed, never data.
            hot_window: Messages kept per thread in Redis.
            hot_window_ttl_s: Seconds an idle thread's hot window lives.
        """
        self._pool = pool
        self._history_pool = history_pool
        self.speed = speed
        self._hot_window = hot_window
        self._hot_window_ttl_s = hot_window_ttl_s

    @staticmethod
    def window_key(ident: Identity) -> str:
        """Return the Redis key of `ident`'s thread's hot window."""
        return redis_key(ident.tenant_id, "window", ident.user_id, ident.thread_id)

    async def claim_thread(self, ident: Identity) -> str:
        """Make sure `ident` owns its thread, creating the thread on first use.

        Returns:
            The memory version this turn reads: the user's memory and the tenant's knowledge
            base versions, e.g. "12.3". It changes whenever what retrieval can return changes.

        Raises:
            ThreadOwnershipError: another user or tenant owns this thread id.
        """
        try:
            async with (
                tenant_connection(self._pool, ident.tenant_id) as conn,
                conn.transaction(),
            ):
                # The durable claim is the one persist commits with the turn's messages; this
                # one only has to check ownership, so it need not wait for the WAL flush.
                await conn.execute("SET LOCAL synchronous_commit = off")
                cur = await conn.execute(CLAIM_AND_READ_VERSIONS, _thread_params(ident))
                row = await cur.fetchone()
        except InsufficientPrivilege as exc:  # Row-level security: another tenant's thread.
            raise ThreadOwnershipError(ident.thread_id) from exc
        if row is None:
            raise ThreadOwnershipError(ident.thread_id)
        return f"{row['memory_version']}.{row['kb_version']}"

    async def append(self, ident: Identity, messages: Sequence[BaseMessage]) -> None:
        """Acknowledge a turn: its messages and an outbox job commit in one transaction.

        Messages the thread already holds (same id) are not stored again. Indexing and fact
        extraction happen later, in the outbox worker, which skips what it has indexed; the
        hot window is refreshed after the commit (it can always be rebuilt from the transcript).
        """
        if not messages:
            return
        started = time.perf_counter()
        acked_at = datetime.now(UTC)
        params = _thread_params(ident)
        dicts = [message_to_dict(m) for m in messages]
        rows = [
            {"session_id": ident.session_id, "message": json.dumps(d), "message_id": m.id}
            for m, d in zip(messages, dicts, strict=True)
        ]
        async with tenant_connection(self._history_pool, ident.tenant_id) as conn:
            # One pipeline: BEGIN, claim, job and messages reach Postgres in one round trip;
            # COMMIT (the acknowledgement) is the second. Not the owner: roll it all back.
            try:
                async with conn.pipeline(), conn.cursor() as cur:
                    claim = await conn.execute(CLAIM_THREAD, params)
                    if index_entries(messages, base_seq=0, acked_at=acked_at):
                        payload = {
                            "messages": dicts,
                            # Microseconds: increasing within a thread across turns.
                            "base_seq": time.time_ns() // 1000,
                            "acked_at": acked_at.isoformat(),
                        }
                        await conn.execute(ENQUEUE, {**params, "payload": Jsonb(payload)})
                    await cur.executemany(INSERT_CHAT_MESSAGE, rows, returning=True)
                    owned = await claim.fetchone() is not None
                    stored = await _returned(cur)
            except InsufficientPrivilege as exc:
                # Row-level security: the thread (so its transcript) is another's.
                await conn.rollback()
                raise ThreadOwnershipError(ident.thread_id) from exc
            if not owned:
                await conn.rollback()
                raise ThreadOwnershipError(ident.thread_id)
            await conn.commit()
        WRITE_ACK_MS.observe((time.perf_counter() - started) * 1000)
        await self._push_hot_window(ident, [m for m in messages if m.id in stored])

    async def _push_hot_window(self, ident: Identity, messages: Sequence[BaseMessage]) -> None:
        if not messages:
            return
        key = self.window_key(ident)
        items = [json.dumps(message_to_dict(m)) for m in messages]

        async def push(redis: Redis) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, *items)
                pipe.ltrim(key, -self._hot_window, -1)
                pipe.expire(key, self._hot_window_ttl_s)
                await pipe.execute()

        await self.speed.run("hot_window.write", push, None)

    async def transcript(self, ident: Identity) -> list[BaseMessage]:
        """Return every message of the thread, oldest first, from Postgres."""
        async with tenant_connection(self._history_pool, ident.tenant_id) as conn:
            history = PostgresChatMessageHistory(
                CHAT_HISTORY_TABLE, ident.session_id, async_connection=conn
            )
            return await history.aget_messages()

    async def recent(self, ident: Identity, n: int) -> list[BaseMessage]:
        """Return the thread's last `n` messages: Redis when it has them, else Postgres."""
        key = self.window_key(ident)
        raw = await self.speed.run("hot_window.read", lambda r: r.lrange(key, -n, -1), [])
        if raw:
            CACHE_LOOKUPS.labels("hot_window", "hit").inc()
            return messages_from_dict([json.loads(item) for item in raw])
        CACHE_LOOKUPS.labels("hot_window", "miss").inc()
        messages = (await self.transcript(ident))[-n:]
        if messages:
            await self._push_hot_window(ident, messages)
        return messages


async def _returned(cur: AsyncCursor) -> set[str]:
    """Return the first column of every row an `executemany(..., returning=True)` returned."""
    found = set()
    while True:
        found.update(row[0] for row in await cur.fetchall())
        if not cur.nextset():
            return found


def _thread_params(ident: Identity) -> dict[str, str]:
    return {**ident.as_dict(), "session_id": ident.session_id}
