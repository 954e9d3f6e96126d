"""A retrieval's searches that start together sent to Postgres together: one round trip.

Each retrieval leg used to take a pooled connection of its own for its one statement: four
or five checkouts, sends, wake-ups and returns a turn. The retriever now opens a `Batch` for
the legs that start together (those needing no vector at once, the others once the question
is embedded) and makes the legs that search through `rows` its members; once every member
has either queued its statement or finished without one, the queue goes out on one
connection in pipeline mode and each member gets its own rows back. Postgres runs a batch's
statements one after another in one backend: the same rows, fewer round trips and
transactions, while the two batches of a turn still run side by side.

A statement sent outside a batch, by a task that is not a member, or after the batch went
out, runs on its own connection as before.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from storage.tenancy import tenant_connection

Statement = str | bytes | sql.Composable
_active: contextvars.ContextVar[Batch | None] = contextvars.ContextVar(
    "memoria_statement_batch", default=None
)


class Batch:
    """The statements of some concurrent tasks (its members), sent once all are queued."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        """Collect statements for `pool`; nothing is sent until the members are all in."""
        self._pool = pool
        self._open: set[asyncio.Task[Any]] = set()  # members neither queued nor done
        self._queued: list[tuple[str, Statement, dict[str, Any], asyncio.Future[Any]]] = []
        self._sent = False
        self._sender: asyncio.Task[None] | None = None

    @contextmanager
    def active(self) -> Iterator[None]:
        """Let the tasks created inside this block queue their statements here."""
        token = _active.set(self)
        try:
            yield
        finally:
            _active.reset(token)

    def join(self, task: asyncio.Task[Any]) -> None:
        """Make `task` a member: the batch waits for its statement or its end."""
        self._open.add(task)
        task.add_done_callback(self._resolved)

    def _resolved(self, task: asyncio.Task[Any]) -> None:
        self._open.discard(task)
        self._send_when_ready()

    def _takes(self, pool: AsyncConnectionPool, tenant_id: str) -> bool:
        task = asyncio.current_task()
        same = not self._queued or self._queued[0][0] == tenant_id
        return not self._sent and pool is self._pool and task in self._open and same

    async def rows(
        self, tenant_id: str, statement: Statement, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Queue the calling member's statement; return its rows once the batch is back."""
        done: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self._queued.append((tenant_id, statement, params, done))
        self._open.discard(asyncio.current_task())  # type: ignore[arg-type]
        self._send_when_ready()
        return await done

    def _send_when_ready(self) -> None:
        if self._open or not self._queued or self._sent:
            return
        self._sent = True
        # Created from a member's context or the retrieval's: the same tenant and user scope.
        self._sender = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        queued = self._queued
        try:
            async with tenant_connection(self._pool, queued[0][0]) as conn:
                if len(queued) == 1:
                    found = [await (await conn.execute(queued[0][1], queued[0][2])).fetchall()]
                else:
                    async with conn.pipeline():
                        cursors = [await conn.execute(s, p) for _, s, p, _ in queued]
                    found = [await cur.fetchall() for cur in cursors]
        except Exception as exc:
            for *_, done in queued:
                if not done.done():
                    done.set_exception(exc)
            return
        except BaseException:
            for *_, done in queued:
                done.cancel()
            raise
        for (*_, done), rows in zip(queued, found, strict=True):
            if not done.done():
                done.set_result(rows)


async def rows(
    pool: AsyncConnectionPool, tenant_id: str, statement: Statement, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Return the rows of one search statement of `tenant_id`'s, through the batch if one waits.

    Args:
        pool: Where the connection comes from.
        tenant_id: Whose rows (the connection's scope; the user's too when the task binds one).
        statement: The statement, as psycopg takes it (`storage.search.compiled` for constants).
        params: Its named parameters.
    """
    batch = _active.get()
    if batch is not None and batch._takes(pool, tenant_id):
        return await batch.rows(tenant_id, statement, params)
    async with tenant_connection(pool, tenant_id) as conn:
        return await (await conn.execute(statement, params)).fetchall()
