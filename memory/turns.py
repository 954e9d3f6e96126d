"""One turn per thread at a time, across processes: a Postgres advisory lock per thread.

A turn reads the thread's checkpoint as it starts and writes it back as it ends, so two turns
of one thread running together would each write a window missing the other's messages. The
HTTP API holds the thread's lock from before the checkpoint is read until it is written.

Each process keeps one connection for these locks (session advisory locks, keyed by tenant and
thread), rather than one pooled connection per running turn, which would starve the pool. A
session takes a lock it already holds again, so the process's own turns queue on an asyncio
lock per thread first (fair, and without polling); only then does the turn ask Postgres, which
other processes share, polling until the wait runs out. A process that dies loses its session
and with it its locks: nothing is left to clean up.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, OperationalError

from storage.identity import Identity

logger = logging.getLogger(__name__)

TRY_LOCK = "SELECT pg_try_advisory_lock(%s) AS locked"
UNLOCK = "SELECT pg_advisory_unlock(%s) AS unlocked"
# How often a turn asks again while another process holds its thread, at most.
POLL_S = 0.1
# After the lock connection could not be made, turns fail at once for this long instead of
# each waiting for a connection attempt of its own.
RECONNECT_PAUSE_S = 1.0


def lock_key(ident: Identity) -> int:
    """Return the advisory lock key of `ident`'s thread: a signed 64-bit hash of tenant and id.

    Keyed by tenant and thread, not user: two users racing to claim one new thread id queue
    too. Two threads sharing a key (odds 2^-64) would only queue behind each other.
    """
    digest = hashlib.blake2b(f"{ident.tenant_id}\x1f{ident.thread_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class ThreadBusyError(Exception):
    """Another turn of the thread still ran when the wait for it ran out."""

    def __init__(self, thread_id: str, waited_s: float, retry_after_s: int) -> None:
        """Build the error for `thread_id`, saying how long was waited and when to retry."""
        super().__init__(
            f"another turn of thread_id {thread_id!r} is still running (waited {waited_s:g} s); "
            f"retry in {retry_after_s} s. Send one turn per thread at a time; a resent message "
            "with the same id gets the answer of the turn that stored it"
        )
        self.retry_after_s = retry_after_s


@dataclass
class _Queue:
    """The process's turns of one thread: the one holding it, and those waiting."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class TurnLocks:
    """Hands out the turn lock of threads, waiting at most `wait_s` for each request's set."""

    def __init__(
        self, connect: Callable[[], Awaitable[AsyncConnection[Any]]], *, wait_s: float
    ) -> None:
        """Record how to connect; no I/O happens here.

        Args:
            connect: Opens an autocommit connection for the locks (e.g. like the pool's).
            wait_s: How long a turn waits for its thread before ThreadBusyError.
        """
        self._connect = connect
        self.wait_s = wait_s
        self._conn: AsyncConnection[Any] | None = None
        self._connecting = asyncio.Lock()
        self._failed_at = float("-inf")
        self._queues: dict[int, _Queue] = {}

    @asynccontextmanager
    async def hold(self, idents: Sequence[Identity]) -> AsyncIterator[None]:
        """Hold the turn lock of every thread of `idents` for the block.

        Raises:
            ThreadBusyError: a thread stayed busy for the whole wait.
            psycopg.OperationalError: Postgres is unreachable.
        """
        release = await self.acquire(idents)
        try:
            yield
        finally:
            await release()

    async def acquire(self, idents: Sequence[Identity]) -> Callable[[], Awaitable[None]]:
        """Take the turn lock of every thread of `idents`; return the function releasing them.

        Locks are taken in key order, so two requests naming the same threads never hold
        one each while waiting for the other's. Releasing twice releases once.
        """
        threads = {lock_key(ident): ident.thread_id for ident in idents}
        deadline = time.monotonic() + self.wait_s
        held: list[tuple[int, AsyncConnection[Any]]] = []
        try:
            for key in sorted(threads):
                held.append((key, await self._acquire(key, threads[key], deadline)))
        except BaseException:
            await _shielded(self._release_all(held))
            raise
        released = False

        async def release() -> None:
            nonlocal released
            if not released:
                released = True
                await _shielded(self._release_all(held))

        return release

    async def _acquire(self, key: int, thread_id: str, deadline: float) -> AsyncConnection[Any]:
        queue = self._queues.setdefault(key, _Queue())
        queue.users += 1
        try:
            try:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    await queue.lock.acquire()
            except TimeoutError:
                raise self._busy(thread_id) from None
            try:
                return await self._lock_in_postgres(key, thread_id, deadline)
            except BaseException:
                queue.lock.release()
                raise
        except BaseException:
            self._leave(key, queue)
            raise

    async def _lock_in_postgres(
        self, key: int, thread_id: str, deadline: float
    ) -> AsyncConnection[Any]:
        """Take `key`'s advisory lock, asking again while another process holds it."""
        pause = POLL_S / 4
        while True:
            conn = await self._connection()
            if await self._try_lock(conn, key):
                return conn
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._busy(thread_id)
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, POLL_S)

    async def _try_lock(self, conn: AsyncConnection[Any], key: int) -> bool:
        asked = asyncio.ensure_future(self._execute(conn, TRY_LOCK, key))
        try:
            return await asyncio.shield(asked)
        except asyncio.CancelledError:
            # Postgres may have granted it as the turn was cancelled: give it back.
            async def undo() -> None:
                try:
                    if await asked:
                        await self._execute(conn, UNLOCK, key)
                except OperationalError as exc:
                    logger.warning("turn lock: could not unlock (the session is gone): %r", exc)

            _background(undo())
            raise

    async def _release_all(self, held: Sequence[tuple[int, AsyncConnection[Any]]]) -> None:
        for key, conn in reversed(held):
            try:
                # A session that was lost took its locks with it.
                if conn is self._conn and not conn.closed:
                    await self._execute(conn, UNLOCK, key)
            except OperationalError as exc:
                logger.warning("turn lock: could not unlock (the session is gone): %r", exc)
            finally:
                queue = self._queues[key]
                queue.lock.release()
                self._leave(key, queue)

    def _leave(self, key: int, queue: _Queue) -> None:
        queue.users -= 1
        if queue.users == 0:
            del self._queues[key]

    def _busy(self, thread_id: str) -> ThreadBusyError:
        return ThreadBusyError(thread_id, self.wait_s, retry_after_s=1)

    async def _connection(self) -> AsyncConnection[Any]:
        conn = self._conn
        if conn is not None and not conn.closed:
            return conn
        async with self._connecting:
            if self._conn is not None and not self._conn.closed:
                return self._conn
            if time.monotonic() - self._failed_at < RECONNECT_PAUSE_S:
                raise OperationalError("the turn lock's connection to Postgres failed just now")
            try:
                self._conn = await self._connect()
            except OperationalError:
                self._failed_at = time.monotonic()
                raise
            return self._conn

    async def _execute(self, conn: AsyncConnection[Any], query: str, key: int) -> bool:
        try:
            cur = await conn.execute(query, (key,))
            row = await cur.fetchone()
        except OperationalError:
            # Lost: its locks went with the session. The next turn connects again.
            await conn.close()
            raise
        return bool(row[0] if isinstance(row, tuple) else next(iter(row.values())))

    async def aclose(self) -> None:
        """Close the connection, releasing any lock still held."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


# Releases still running after their caller was cancelled (asyncio keeps only weak references).
_releasing: set[asyncio.Future[None]] = set()


def _background(work: Awaitable[None]) -> asyncio.Future[None]:
    task = asyncio.ensure_future(work)
    _releasing.add(task)
    task.add_done_callback(_releasing.discard)
    return task


async def _shielded(work: Awaitable[None]) -> None:
    """Run `work` to the end even if the caller is cancelled (a client gone mid-stream).

    A lock left held would keep the thread busy for this process until it exits.
    """
    await asyncio.shield(_background(work))


def _loop_time(deadline: float) -> float:
    """Return the event loop's clock reading for the `time.monotonic()` reading `deadline`."""
    loop = asyncio.get_running_loop()
    return loop.time() + (deadline - time.monotonic())
