"""Threads (`threads`): which user of a tenant owns each thread id; every statement on it.

Thread ids are namespaced by tenant: the same id in two tenants is two threads. Within a
tenant a thread belongs to one user: the first acknowledged turn claims it, later turns of
its owner touch it, another user of the tenant gets no row back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from memory.consent import READ_CONSENT
from storage.identity import Identity
from storage.tenancy import tenant_connection
from storage.versions import READ_VERSIONS

# Claims a thread for its owner, or touches it if the owner already has it. Returns no row
# when another user of the tenant owns the thread id.
CLAIM = """
    INSERT INTO threads (thread_id, tenant_id, user_id, session_id)
    VALUES (%(thread_id)s, %(tenant_id)s, %(user_id)s, %(session_id)s)
    ON CONFLICT (tenant_id, thread_id) DO UPDATE SET updated_at = now(), archived_at = NULL
    WHERE threads.tenant_id = EXCLUDED.tenant_id AND threads.user_id = EXCLUDED.user_id
    RETURNING thread_id
"""
# Whether the caller may use the thread (theirs, or nobody's yet in the tenant), and the
# versions of what their retrieval can see, and their consent to memory. Reads only: the turn
# claims the thread when it is acknowledged, and checks again then.
AVAILABLE_AND_VERSIONS = f"""
    SELECT coalesce((SELECT user_id = %(user_id)s FROM threads
                     WHERE tenant_id = %(tenant_id)s AND thread_id = %(thread_id)s), true)
               AS available,
           {READ_VERSIONS},
           {READ_CONSENT}
"""
LIST = """
    SELECT thread_id, created_at, updated_at FROM threads
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
    ORDER BY updated_at DESC
    LIMIT %(limit)s
"""
OWNS = """
    SELECT 1 FROM threads
    WHERE thread_id = %(thread_id)s AND tenant_id = %(tenant_id)s AND user_id = %(user_id)s
"""
# Locks the threads: a turn claiming one of them waits until the deletion commits. With
# `idle_days`, only threads still unused that long (a turn may have touched one meanwhile).
LOCK_FOR_DELETE = """
    SELECT thread_id, session_id FROM threads
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
      AND (%(thread_id)s::text IS NULL OR thread_id = %(thread_id)s)
      AND (%(idle_days)s::int IS NULL
           OR updated_at < now() - make_interval(days => %(idle_days)s::int))
    FOR UPDATE
"""
ARCHIVE = """
    UPDATE threads SET archived_at = now()
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND thread_id = %(thread_id)s
"""
TENANTS = "SELECT DISTINCT tenant_id FROM threads"
# A tenant's threads unused for %(days)s days; archived ones only when %(archived)s.
IDLE_IN_TENANT = """
    SELECT tenant_id, user_id, thread_id FROM threads
    WHERE tenant_id = %(tenant_id)s
      AND updated_at < now() - make_interval(days => %(days)s)
      AND (%(archived)s OR archived_at IS NULL)
"""
DELETE = "DELETE FROM threads WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)"
USERS = "SELECT DISTINCT user_id FROM threads WHERE tenant_id = %s"
IDLE = """
    SELECT tenant_id, user_id, thread_id FROM threads
    WHERE updated_at < now() - make_interval(days => %s)
"""


def claim_params(ident: Identity) -> dict[str, str]:
    """Return the parameters of `CLAIM` for `ident`'s thread."""
    return {**ident.as_dict(), "session_id": ident.session_id}


async def list_threads(
    pool: AsyncConnectionPool, tenant_id: str, user_id: str, limit: int = 100
) -> list[dict[str, Any]]:
    """Return the user's threads, most recently used first."""
    params = {"tenant_id": tenant_id, "user_id": user_id, "limit": limit}
    async with tenant_connection(pool, tenant_id) as conn:
        return await (await conn.execute(LIST, params)).fetchall()


async def owns(pool: AsyncConnectionPool, ident: Identity) -> bool:
    """Whether `ident`'s thread exists and is that user's (never creates it)."""
    async with tenant_connection(pool, ident.tenant_id) as conn:
        return await (await conn.execute(OWNS, ident.as_dict())).fetchone() is not None


async def lock_for_delete(
    conn: AsyncConnection,
    tenant_id: str,
    user_id: str,
    thread_id: str | None = None,
    *,
    idle_days: int | None = None,
) -> list[dict[str, Any]]:
    """Lock and return the user's threads (or that one), in the caller's transaction.

    With `idle_days`, only those still unused that long.
    """
    params = {
        "tenant_id": tenant_id,
        "user_id": user_id,
        "thread_id": thread_id,
        "idle_days": idle_days,
    }
    return list(await (await conn.execute(LOCK_FOR_DELETE, params)).fetchall())


async def delete_threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_ids: Sequence[str]
) -> int:
    """Delete the user's threads `thread_ids`; return how many went."""
    return (await conn.execute(DELETE, (tenant_id, user_id, list(thread_ids)))).rowcount


async def users_of(conn: AsyncConnection, tenant_id: str) -> list[str]:
    """Return every user of a tenant who has a thread."""
    rows = await (await conn.execute(USERS, (tenant_id,))).fetchall()
    return [r["user_id"] for r in rows]


async def idle(conn: AsyncConnection, days: int) -> list[Identity]:
    """Return every tenant's threads unused for `days` days."""
    rows = await (await conn.execute(IDLE, (days,))).fetchall()
    return [Identity(r["tenant_id"], r["user_id"], r["thread_id"]) for r in rows]


async def archive(conn: AsyncConnection, ident: Identity) -> int:
    """Mark `ident`'s thread archived (a turn in it clears the mark); return threads marked."""
    return (await conn.execute(ARCHIVE, ident.as_dict())).rowcount


async def tenants(conn: AsyncConnection) -> list[str]:
    """Return every tenant with a thread (`conn` bound to all tenants)."""
    return [r["tenant_id"] for r in await (await conn.execute(TENANTS)).fetchall()]


async def idle_in_tenant(
    conn: AsyncConnection, tenant_id: str, days: int, *, archived: bool
) -> list[Identity]:
    """Return a tenant's threads unused for `days` days (archived ones too if `archived`)."""
    params = {"tenant_id": tenant_id, "days": days, "archived": archived}
    rows = await (await conn.execute(IDLE_IN_TENANT, params)).fetchall()
    return [Identity(r["tenant_id"], r["user_id"], r["thread_id"]) for r in rows]
