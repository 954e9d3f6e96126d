"""Summaries (`memory_summaries`): each thread's running summary and the messages it covers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from storage.identity import Identity
from storage.tenancy import tenant_connection

INSERT = """
    INSERT INTO memory_summaries (tenant_id, user_id, thread_id, summary, covers)
    VALUES (%(tenant_id)s, %(user_id)s, %(thread_id)s, %(summary)s, %(covers)s)
"""
LATEST = """
    SELECT summary, covers, created_at FROM memory_summaries
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND thread_id = %(thread_id)s
    ORDER BY id DESC LIMIT 1
"""
DELETE_THREADS = """
    DELETE FROM memory_summaries WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)
"""


async def record(
    pool: AsyncConnectionPool, ident: Identity, summary: str, covers: Sequence[str]
) -> None:
    """Record the thread's new running summary and the ids of the messages it covers."""
    params = {**ident.as_dict(), "summary": summary, "covers": list(covers)}
    async with tenant_connection(pool, ident.tenant_id) as conn:
        await conn.execute(INSERT, params)


async def latest(pool: AsyncConnectionPool, ident: Identity) -> dict[str, Any] | None:
    """Return the thread's running summary and the message ids it covers, if any."""
    async with tenant_connection(pool, ident.tenant_id) as conn:
        return await (await conn.execute(LATEST, ident.as_dict())).fetchone()


async def delete_threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_ids: Sequence[str]
) -> int:
    """Delete the summaries of some threads of a user; return how many went."""
    return (await conn.execute(DELETE_THREADS, (tenant_id, user_id, list(thread_ids)))).rowcount
