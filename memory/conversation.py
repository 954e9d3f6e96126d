"""A user's conversations: thread ownership, the acknowledged turn, the hot window.

Postgres holds the transcript (the source of truth); Redis holds a hot window of recent
messages per thread. A turn is acknowledged by one transaction (the thread claim, its
messages and an outbox job); the outbox worker then indexes it and records its facts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict
from psycopg import AsyncCursor
from psycopg.errors import InsufficientPrivilege
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from configs.settings import Settings
from memory import outbox_jobs, strategy_log, threads, transcript
from memory.fact_extractors import RULES
from memory.message_index import index_entries
from storage.database import Storage
from storage.identity import Identity, redis_key
from storage.metrics import CACHE_LOOKUPS, WRITE_ACK_MS
from storage.speed import SpeedLayer
from storage.tenancy import tenant_connection
from storage.versions import version_label


class ThreadOwnershipError(PermissionError):
    """The thread id belongs to another user or tenant."""

    def __init__(self, thread_id: str) -> None:
        """Build the error for `thread_id` without saying who owns it."""
        super().__init__(
            f"thread_id {thread_id!r} is not available to this user; "
            "start a new thread with a fresh id (a UUID is a good choice)"
        )


@dataclass(frozen=True)
class OpenedThread:
    """What a turn learns as it opens its thread."""

    version: str
    """The user's memory and the knowledge base versions the turn reads, e.g. "12.3"."""
    consent: bool | None
    """The user's own choice of memory on or off; None: the tenant's default holds."""


# Threads a request checked before its graph ran (`check_thread`), each taken once by that
# turn's `open_turn` (the router) instead of a second round trip. The dict is shared by the
# tasks the request's context is copied into (LangGraph's node tasks), so taking is once.
_CHECKED: ContextVar[dict[Identity, OpenedThread] | None] = ContextVar(
    "memoria_checked_threads", default=None
)


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

    @classmethod
    def from_storage(cls, storage: Storage, settings: Settings) -> ConversationMemory:
        """Return the conversation memory over an opened `storage`, sized by `settings`."""
        return cls(
            pool=storage.pool,
            history_pool=storage.history_pool,
            speed=storage.speed,
            hot_window=settings.memoria_hot_window_messages,
            hot_window_ttl_s=settings.memoria_hot_window_ttl_s,
        )

    @staticmethod
    def window_key(ident: Identity) -> str:
        """Return the Redis key of `ident`'s thread's hot window."""
        return redis_key(ident.tenant_id, "window", ident.user_id, ident.thread_id)

    async def check_thread(self, ident: Identity) -> None:
        """Check `ident` may use its thread before this request runs its turn.

        For a request that must refuse another's thread before the graph starts (a stream's
        status goes out first; a batch stores nothing unless every thread is the caller's).
        Call it holding the thread's turn lock: the turn's router then takes this check as
        its own (`open_turn`), versions included, instead of asking Postgres again.

        Raises:
            ThreadOwnershipError: another user of the tenant owns this thread id.
        """
        opened = await self._open_turn(ident)
        checked = _CHECKED.get()
        if checked is None:
            checked = {}
            _CHECKED.set(checked)
        checked[ident] = opened

    async def open_turn(self, ident: Identity) -> OpenedThread:
        """Check `ident` may use its thread; return the versions and consent its turn reads.

        Reads only (one round trip): the thread is created, or touched, by the turn's
        acknowledgement (`append`), which checks ownership again as it commits.

        Returns:
            The user's memory and the tenant's knowledge base versions, e.g. "12.3" (it
            changes whenever what retrieval can return changes), and the user's consent.

        Raises:
            ThreadOwnershipError: another user of the tenant owns this thread id.
        """
        checked = _CHECKED.get()
        if checked and (opened := checked.pop(ident, None)) is not None:
            return opened
        return await self._open_turn(ident)

    async def _open_turn(self, ident: Identity) -> OpenedThread:
        async with tenant_connection(self._pool, ident.tenant_id) as conn:
            cur = await conn.execute(threads.AVAILABLE_AND_VERSIONS, ident.as_dict())
            row = await cur.fetchone()
        if not row["available"]:
            raise ThreadOwnershipError(ident.thread_id)
        return OpenedThread(version_label(row["memory_version"], row["kb_version"]), row["consent"])

    async def claim(self, ident: Identity) -> None:
        """Claim (or touch) the thread for `ident` and store nothing else: a private turn.

        The thread's row holds ids and times only; it keeps the id its owner's, and lets
        forgetting and retention find the thread's checkpoint.

        Raises:
            ThreadOwnershipError: another user of the tenant owns this thread id.
        """
        async with tenant_connection(self._pool, ident.tenant_id) as conn:
            try:
                cur = await conn.execute(threads.CLAIM, threads.claim_params(ident))
            except InsufficientPrivilege as exc:
                raise ThreadOwnershipError(ident.thread_id) from exc
            if await cur.fetchone() is None:
                raise ThreadOwnershipError(ident.thread_id)

    async def append(
        self,
        ident: Identity,
        messages: Sequence[BaseMessage],
        *,
        extractor: str = RULES,
        log: dict[str, Any] | None = None,
    ) -> None:
        """Acknowledge a turn: its messages and an outbox job commit in one transaction.

        Messages the thread already holds (same id) are not stored again. Indexing and fact
        extraction happen later, in the outbox worker, which skips what it has indexed; the
        hot window is refreshed after the commit (it can always be rebuilt from the transcript).

        Args:
            ident: Whose thread.
            messages: The turn's new messages, in order.
            extractor: Which fact extractor the job asks for ("llm" or "rules"): only a worker
                that has it takes the job, so no process silently extracts with less.
            log: The turn's strategy-log row (`strategy_log.entry`), written in the same
                transaction: a turn's writes cost one pipeline and one commit.
        """
        if not messages and not log:
            return
        started = time.perf_counter()
        acked_at = datetime.now(UTC)
        params = threads.claim_params(ident)
        dicts = [message_to_dict(m) for m in messages]
        # Each message's JSON text once: the transcript row and the hot window hold the same.
        dumped = [json.dumps(d) for d in dicts]
        async with tenant_connection(self._history_pool, ident.tenant_id) as conn:
            # One pipeline: BEGIN, claim, job and messages reach Postgres in one round trip;
            # COMMIT (the acknowledgement) is the second. Not the owner: roll it all back.
            try:
                async with conn.pipeline(), conn.cursor() as cur:
                    claim = await conn.execute(threads.CLAIM, params)
                    if index_entries(messages, base_seq=0, acked_at=acked_at):
                        job = outbox_jobs.job_payload(dicts, acked_at)
                        await conn.execute(
                            outbox_jobs.ENQUEUE, outbox_jobs.enqueue_params(ident, job, extractor)
                        )
                    if log:
                        await conn.execute(strategy_log.INSERT, log)
                    if messages:
                        rows = transcript.insert_rows(ident, messages, dumped)
                        await cur.executemany(transcript.INSERT, rows, returning=True)
                    owned = await claim.fetchone() is not None
                    stored = await _returned(cur) if messages else set()
            except InsufficientPrivilege as exc:
                # Row-level security: the thread (so its transcript) is another's.
                await conn.rollback()
                raise ThreadOwnershipError(ident.thread_id) from exc
            if not owned:
                await conn.rollback()
                raise ThreadOwnershipError(ident.thread_id)
            await conn.commit()
        WRITE_ACK_MS.observe((time.perf_counter() - started) * 1000)
        pushed = [t for m, t in zip(messages, dumped, strict=True) if m.id in stored]
        await self._push_hot_window(ident, pushed)

    async def _push_hot_window(self, ident: Identity, items: Sequence[str]) -> None:
        """Append messages' JSON texts (`transcript.dump_message`) to the thread's hot window."""
        if not items:
            return
        key = self.window_key(ident)

        async def push(redis: Redis) -> None:
            # One round trip, no MULTI/EXEC: whatever interleaves with another writer's push,
            # the window ends as the last items in RPUSH order, and readers take the last n.
            async with redis.pipeline(transaction=False) as pipe:
                pipe.rpush(key, *items)
                pipe.ltrim(key, -self._hot_window, -1)
                pipe.expire(key, self._hot_window_ttl_s)
                await pipe.execute()

        await self.speed.run("hot_window.write", push, None)

    async def forget_hot_windows(self, idents: Sequence[Identity]) -> int:
        """Delete the hot windows of `idents`' threads; return how many Redis keys went."""
        keys = [self.window_key(ident) for ident in idents]
        if not keys:
            return 0
        return int(await self.speed.run("forget.hot_window", lambda r: r.unlink(*keys), 0))

    async def transcript(self, ident: Identity) -> list[BaseMessage]:
        """Return every message of the thread, oldest first, from Postgres."""
        async with tenant_connection(self._history_pool, ident.tenant_id) as conn:
            return await transcript.read(conn, ident)

    async def first_questions(self, idents: Sequence[Identity]) -> dict[str, str]:
        """Return each thread's first user message (what it is about), by thread id.

        All of `idents` are of one tenant.
        """
        if not idents:
            return {}
        by_session = {ident.session_id: ident.thread_id for ident in idents}
        async with tenant_connection(self._history_pool, idents[0].tenant_id) as conn:
            found = await transcript.first_questions(conn, list(by_session))
        return {by_session[session]: text for session, text in found.items()}

    async def stored(self, ident: Identity, message_ids: Sequence[str]) -> list[BaseMessage]:
        """Return the messages of the thread with these ids that it holds, oldest first."""
        if not message_ids:
            return []
        async with tenant_connection(self._history_pool, ident.tenant_id) as conn:
            return await transcript.stored(conn, ident, message_ids)

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
            await self._push_hot_window(ident, [transcript.dump_message(m) for m in messages])
        return messages


async def _returned(cur: AsyncCursor) -> set[str]:
    """Return the first column of every row an `executemany(..., returning=True)` returned."""
    found = set()
    while True:
        found.update(row[0] for row in await cur.fetchall())
        if not cur.nextset():
            return found
