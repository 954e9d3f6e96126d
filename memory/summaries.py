"""Summaries (`memory_summaries`): each thread's running summary and the messages it covers.

A row says what its summary covers in bounded space, however long the thread: how many
messages (`covered`) and the last of them (`covered_through`), i.e. the `covered` messages of
the thread's transcript (ordered) that end with that one. Rows written before kept every id
(`covers`); reading them gives the same two fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from storage.identity import Identity
from storage.tenancy import tenant_connection

INSERT = """
    INSERT INTO memory_summaries (tenant_id, user_id, thread_id, summary, covered, covered_through)
    VALUES (%(tenant_id)s, %(user_id)s, %(thread_id)s, %(summary)s, %(covered)s, %(through)s)
"""
# What a row covers, also for rows a process without these columns wrote after the migration.
COVERED = """coalesce(covered, cardinality(covers)) AS covered,
    coalesce(covered_through, covers[cardinality(covers)]) AS covered_through"""
LATEST = f"""
    SELECT summary, {COVERED}, created_at FROM memory_summaries
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND thread_id = %(thread_id)s
    ORDER BY id DESC LIMIT 1
"""
DELETE_THREADS = """
    DELETE FROM memory_summaries WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)
"""


async def record(
    pool: AsyncConnectionPool, ident: Identity, summary: str, covered: int, through: str
) -> None:
    """Record the thread's new running summary: it covers `covered` messages, up to `through`."""
    params = {**ident.as_dict(), "summary": summary, "covered": covered, "through": through}
    async with tenant_connection(pool, ident.tenant_id) as conn:
        await conn.execute(INSERT, params)


async def latest(pool: AsyncConnectionPool, ident: Identity) -> dict[str, Any] | None:
    """Return the thread's running summary, how many messages it covers and the last, if any."""
    async with tenant_connection(pool, ident.tenant_id) as conn:
        return await (await conn.execute(LATEST, ident.as_dict())).fetchone()


async def delete_threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_ids: Sequence[str]
) -> int:
    """Delete the summaries of some threads of a user; return how many went."""
    return (await conn.execute(DELETE_THREADS, (tenant_id, user_id, list(thread_ids)))).rowcount
