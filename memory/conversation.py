"""A user's conversations: thread ownership, transcript, hot window and message index.

Postgres holds the transcript (the source of truth) and the message index used for semantic
recall across threads; Redis holds a hot window of recent messages per thread.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict
from langchain_postgres import PGVectorStore, PostgresChatMessageHistory
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from redis.exceptions import RedisError

from memory.identity import Identity
from memory.schema import CHAT_HISTORY_TABLE

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
OWNER_OF_THREAD = "SELECT tenant_id, user_id FROM threads WHERE thread_id = %(thread_id)s"


# Messages may carry extra provenance for the index under this additional_kwargs key.
EXTRA_METADATA_KEY = "memoria_metadata"

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
    try:
        return str(uuid.UUID(message.id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, message.id))


def is_extractive_reply(message: BaseMessage) -> bool:
    """Return whether `message` is a reply of the offline extractive responder."""
    return message.response_metadata.get("model_name") == EXTRACTIVE_MODEL_NAME


def message_text(message: BaseMessage) -> str:
    """Return the plain text of a message, whatever its content blocks."""
    return message.text if isinstance(message.text, str) else str(message.content)


class ConversationMemory:
    """Reads and writes one user's conversations; every method is scoped by an Identity."""

    def __init__(
        self,
        *,
        pool: AsyncConnectionPool,
        history_pool: AsyncConnectionPool,
        redis: Redis,
        index: PGVectorStore,
        hot_window: int,
        hot_window_ttl_s: int,
    ) -> None:
        """Wire the stores; nothing is opened here.

        Args:
            pool: Autocommit pool (dict rows) for thread ownership.
            history_pool: Transactional pool with tuple rows for the chat history, which reads
                rows by position and commits itself: a turn's messages commit together.
            redis: Hot-window cache; losing it costs speed, never data.
            index: Vector store over `memory_messages`.
            hot_window: Messages kept per thread in Redis.
            hot_window_ttl_s: Seconds an idle thread's hot window lives.
        """
        self._pool = pool
        self._history_pool = history_pool
        self._redis = redis
        self.index = index
        self._hot_window = hot_window
        self._hot_window_ttl_s = hot_window_ttl_s

    @staticmethod
    def _window_key(ident: Identity) -> str:
        return f"memoria:{ident.tenant_id}:window:{ident.user_id}:{ident.thread_id}"

    async def claim_thread(self, ident: Identity) -> None:
        """Make sure `ident` owns its thread, creating the thread on first use.

        Raises:
            ThreadOwnershipError: another user or tenant owns this thread id.
        """
        async with self._pool.connection() as conn, conn.transaction():
            # The durable claim is the one persist commits with the turn's messages; this one
            # only has to check ownership, so it need not wait for the WAL flush.
            await conn.execute("SET LOCAL synchronous_commit = off")
            cur = await conn.execute(CLAIM_THREAD, _thread_params(ident))
            if await cur.fetchone() is None:
                raise ThreadOwnershipError(ident.thread_id)

    async def append(self, ident: Identity, messages: Sequence[BaseMessage]) -> None:
        """Store a turn's messages: transcript first (one transaction), then index and hot window.

        The transcript commit is the acknowledgement; the index and the hot window can be
        rebuilt from it, so a failure there is logged, not raised.
        """
        if not messages:
            return
        async with self._history_pool.connection() as conn:
            cur = await conn.execute(CLAIM_THREAD, _thread_params(ident))
            if await cur.fetchone() is None:
                await conn.rollback()
                raise ThreadOwnershipError(ident.thread_id)
            # aadd_messages commits, covering the claim above and the messages together.
            history = PostgresChatMessageHistory(
                CHAT_HISTORY_TABLE, ident.session_id, async_connection=conn
            )
            await history.aadd_messages(messages)
        await self._index(ident, messages)
        await self._push_hot_window(ident, messages)

    async def _index(self, ident: Identity, messages: Sequence[BaseMessage]) -> None:
        now = datetime.now(UTC)
        # Microsecond clock plus position: increasing within a thread across appends, and
        # distinct within one append even when the clock does not move.
        base_seq = time.time_ns() // 1000
        docs, ids, views = [], [], []
        previous = ""
        for position, message in enumerate(messages):
            text = message_text(message).strip()
            if message.type not in ("human", "ai") or not text:
                continue
            if is_extractive_reply(message):
                continue
            # Embed a message with the one before it: a reply ("Yes, in June!") means little
            # alone. The stored text stays the message itself.
            views.append(f"{previous}\n{text}" if previous and EMBED_WITH_PREVIOUS else text)
            previous = text
            created = message.additional_kwargs.get("created_at")
            docs.append(
                Document(
                    page_content=text,
                    metadata={
                        # Caller-supplied provenance (e.g. an importer's turn id) goes first
                        # so it can never overwrite the scoping columns below.
                        **({"speaker": message.name} if message.name else {}),
                        **message.additional_kwargs.get(EXTRA_METADATA_KEY, {}),
                        "tenant_id": ident.tenant_id,
                        "user_id": ident.user_id,
                        "thread_id": ident.thread_id,
                        "role": message.type,
                        "created_at": datetime.fromisoformat(created) if created else now,
                        "message_id": message.id,
                        "seq": base_seq + position,
                    },
                )
            )
            ids.append(message_uuid(message))
        if docs:
            vectors = await self.index.embeddings.aembed_documents(views)
            await self.index.aadd_embeddings(
                [d.page_content for d in docs],
                vectors,
                metadatas=[d.metadata for d in docs],
                ids=ids,
            )

    async def _push_hot_window(self, ident: Identity, messages: Sequence[BaseMessage]) -> None:
        key = self._window_key(ident)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, *(json.dumps(message_to_dict(m)) for m in messages))
                pipe.ltrim(key, -self._hot_window, -1)
                pipe.expire(key, self._hot_window_ttl_s)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            # The transcript already holds these messages; the window refills from it.
            logger.warning("hot window write skipped, Redis unavailable: %s", exc)

    async def transcript(self, ident: Identity) -> list[BaseMessage]:
        """Return every message of the thread, oldest first, from Postgres."""
        async with self._history_pool.connection() as conn:
            history = PostgresChatMessageHistory(
                CHAT_HISTORY_TABLE, ident.session_id, async_connection=conn
            )
            return await history.aget_messages()

    async def recent(self, ident: Identity, n: int) -> list[BaseMessage]:
        """Return the thread's last `n` messages: Redis when it has them, else Postgres."""
        key = self._window_key(ident)
        try:
            raw = await self._redis.lrange(key, -n, -1)
            if raw:
                return messages_from_dict([json.loads(item) for item in raw])
        except (RedisError, OSError) as exc:
            logger.warning("hot window read fell back to Postgres: %s", exc)
        messages = (await self.transcript(ident))[-n:]
        if messages:
            await self._push_hot_window(ident, messages)
        return messages


def _thread_params(ident: Identity) -> dict[str, str]:
    return {
        "thread_id": ident.thread_id,
        "tenant_id": ident.tenant_id,
        "user_id": ident.user_id,
        "session_id": ident.session_id,
    }
