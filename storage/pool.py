"""A Postgres connection pool that scopes connections to a tenant and fails fast in outages."""

from __future__ import annotations

import json
import re
import select
import weakref
from typing import Any

import orjson
from psycopg import AsyncConnection, OperationalError
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage.tenancy import SET_SESSION_SCOPE, current_scope, current_user

# How long callers wait for a connection once one has waited the full timeout in vain: long
# enough to pick up a connection the pool is making, short because LangGraph's Postgres saver
# takes its connections one caller at a time, so failing runs queue behind each other.
OUTAGE_WAIT_S = 0.1
# A JSON number orjson would not read exactly: an integer beyond 64 bits comes back a float.
_LONG_NUMBER = re.compile(rb"\d{19}")


class FailFastPool(AsyncConnectionPool):
    """An AsyncConnectionPool whose connections serve one tenant at a time, failing fast.

    Each connection leaves the pool set to the calling task's tenant (`storage.tenancy`), which
    Postgres's row-level security policies read.

    Callers wait `timeout` only until the first one times out. While Postgres is down,
    psycopg_pool makes every caller wait the whole `timeout` for a connection, and a failing
    turn asks for several in a row (its step, then LangGraph saving what the run finished):
    each would add a full timeout to the 503. Worse, LangGraph's Postgres saver holds its
    lock while it waits for a connection, so a run queued behind that lock pays the other
    run's wait and then its own. Here, when one caller times out, the callers already queued
    fail with it, and later ones wait `OUTAGE_WAIT_S` until a connection is handed out again.
    The pool keeps reconnecting in the background throughout, as psycopg_pool always does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool; see `psycopg_pool.AsyncConnectionPool` for the arguments."""
        super().__init__(*args, **kwargs)
        self._in_outage = False
        # The tenant and user each connection's session is set to (see storage/tenancy.py).
        self._scopes: weakref.WeakKeyDictionary[AsyncConnection[Any], tuple[str, str]] = (
            weakref.WeakKeyDictionary()
        )

    async def getconn(self, timeout: float | None = None) -> AsyncConnection[Any]:
        """Return a connection; wait `OUTAGE_WAIT_S` at most while others are timing out."""
        if timeout is None and self._in_outage:
            timeout = min(self.timeout, OUTAGE_WAIT_S)
        try:
            conn = await super().getconn(timeout)
        except PoolTimeout as exc:
            if not self._in_outage:
                self._in_outage = True
                await self._fail_waiting(exc)
            raise
        self._in_outage = False
        try:
            await self._bind_scope(conn)
        except BaseException:
            await self.putconn(conn)
            raise
        return conn

    async def _get_ready_connection(self, timeout: float | None) -> AsyncConnection[Any] | None:
        """Hand out an idle connection already set to the caller's scope first, if one is.

        psycopg_pool hands idle connections out oldest first, so a turn's checkouts (opening
        the turn, the retrieval legs, the checkpoint, persist) each found a connection last
        used by another user and paid a round trip to set the scope. Called under the pool's
        lock, over its idle connections (a handful).
        """
        scope = (current_scope(), current_user())
        idle = self._pool
        for i, conn in enumerate(idle):
            if self._scopes.get(conn) == scope:
                if i:
                    del idle[i]
                    idle.appendleft(conn)
                break
        return await super()._get_ready_connection(timeout)

    async def _bind_scope(self, conn: AsyncConnection[Any]) -> None:
        """Set the session's tenant and user to the calling task's, when not those already.

        Set for the session and committed, so no later rollback can undo it behind the
        record kept here; most checkouts find it set and cost nothing.
        """
        scope = (current_scope(), current_user())
        if self._scopes.get(conn) == scope:
            return
        if conn.autocommit:
            await conn.execute(SET_SESSION_SCOPE, scope)
        else:
            # One statement in autocommit: one round trip, where BEGIN, it and COMMIT took three.
            await conn.set_autocommit(True)
            try:
                await conn.execute(SET_SESSION_SCOPE, scope)
            finally:
                await conn.set_autocommit(False)
        self._scopes[conn] = scope

    async def _fail_waiting(self, error: PoolTimeout) -> None:
        """Fail every caller queued for a connection, as psycopg_pool does when it closes."""
        async with self._lock:
            waiting = list(self._waiting)
            self._waiting.clear()
        for client in waiting:
            await client.fail(PoolTimeout(f"{error} (Postgres is not answering)"))


async def check_if_suspect(conn: AsyncConnection[Any]) -> None:
    """Check a connection leaving the pool, with a round trip only when it looks closed.

    An idle connection's socket has nothing to read unless the server sent something: on a
    shutdown or restart, its "terminating connection" error and then the close. Polling the
    socket costs microseconds; `AsyncConnectionPool.check_connection` on every checkout costs
    a round trip each time (several per turn), so it runs only when the poll finds data.
    """
    if conn.closed or conn.broken:
        raise OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:
        await AsyncConnectionPool.check_connection(conn)


def load_json(data: bytes) -> Any:
    """Decode a json/jsonb value from Postgres with orjson, as `json.loads` would.

    A turn decodes ~90 jsonb values (candidates' metadata, facts); orjson does it several
    times faster. What orjson reads differently goes to `json.loads`: long integers (orjson
    makes them floats) and what it refuses (numbers beyond a double, lone surrogates).
    """
    if _LONG_NUMBER.search(data):
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


async def configure_connection(conn: AsyncConnection[Any]) -> None:
    """Set up a new pooled connection: json and jsonb decoded by `load_json`."""
    set_json_loads(load_json, conn)
