"""What the API shows of a user's memory: threads, summaries and strategy decisions.

Every query is scoped by tenant and user; a thread of someone else reads as absent.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from storage.identity import Identity
from storage.tenancy import tenant_connection

LIST_THREADS = """
    SELECT thread_id, created_at, updated_at FROM threads
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
    ORDER BY updated_at DESC
    LIMIT %(limit)s
"""
OWNS_THREAD = """
    SELECT 1 FROM threads
    WHERE thread_id = %(thread_id)s AND tenant_id = %(tenant_id)s AND user_id = %(user_id)s
"""
LATEST_SUMMARY = """
    SELECT summary, covers, created_at FROM memory_summaries
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s AND thread_id = %(thread_id)s
    ORDER BY id DESC LIMIT 1
"""
STRATEGY_DECISIONS = """
    SELECT thread_id, strategy, reason, query, results, latency_ms, cache, created_at
    FROM strategy_log
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
    ORDER BY created_at DESC
    LIMIT %(limit)s
"""


async def _rows(pool: AsyncConnectionPool, query: str, params: dict[str, Any]) -> list[dict]:
    async with tenant_connection(pool, params["tenant_id"]) as conn:
        return await (await conn.execute(query, params)).fetchall()


async def list_threads(
    pool: AsyncConnectionPool, tenant_id: str, user_id: str, limit: int = 100
) -> list[dict[str, Any]]:
    """Return the user's threads, most recently used first."""
    params = {"tenant_id": tenant_id, "user_id": user_id, "limit": limit}
    return await _rows(pool, LIST_THREADS, params)


async def owns_thread(pool: AsyncConnectionPool, ident: Identity) -> bool:
    """Whether `ident`'s thread exists and is that user's (never creates it)."""
    return bool(await _rows(pool, OWNS_THREAD, ident.as_dict()))


async def latest_summary(pool: AsyncConnectionPool, ident: Identity) -> dict[str, Any] | None:
    """Return the thread's running summary and the message ids it covers, if any."""
    rows = await _rows(pool, LATEST_SUMMARY, ident.as_dict())
    return rows[0] if rows else None


async def strategy_decisions(
    pool: AsyncConnectionPool, tenant_id: str, user_id: str, limit: int = 20
) -> list[dict[str, Any]]:
    """Return the user's latest routing decisions, newest first."""
    params = {"tenant_id": tenant_id, "user_id": user_id, "limit": limit}
    return await _rows(pool, STRATEGY_DECISIONS, params)
