"""The strategy log (`strategy_log`): how each turn used memory, for the user and operators.

One row per turn: the router's strategy and reason, the question, how many passages reached
the answer, how long retrieval took and whether the cache answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from storage.identity import Identity
from storage.tenancy import tenant_connection

# Questions are kept to this length in the log.
QUERY_CHARS = 2000

INSERT = """
    INSERT INTO strategy_log
        (tenant_id, user_id, thread_id, strategy, reason, query, results, latency_ms, cache)
    VALUES (%(tenant_id)s, %(user_id)s, %(thread_id)s, %(strategy)s, %(reason)s, %(query)s,
            %(results)s, %(latency_ms)s, %(cache)s)
"""
LATEST = """
    SELECT thread_id, strategy, reason, query, results, latency_ms, cache, created_at
    FROM strategy_log
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
    ORDER BY created_at DESC
    LIMIT %(limit)s
"""
DELETE_THREADS = """
    DELETE FROM strategy_log WHERE tenant_id = %s AND user_id = %s AND thread_id = ANY(%s)
"""
DELETE_OLDER = "DELETE FROM strategy_log WHERE created_at < now() - make_interval(days => %s)"


def entry(
    ident: Identity,
    *,
    strategy: str,
    reason: str,
    query: str,
    results: int,
    latency_ms: float,
    cache: str,
) -> dict[str, Any]:
    """Return the parameters of `INSERT` logging one turn's routing decision.

    A turn's acknowledgement writes it in its own transaction (`ConversationMemory.append`):
    no connection or round trip of its own.
    """
    return {
        **ident.as_dict(),
        "strategy": strategy,
        "reason": reason,
        "query": query[:QUERY_CHARS],
        "results": results,
        "latency_ms": latency_ms,
        "cache": cache,
    }


async def latest(
    pool: AsyncConnectionPool, tenant_id: str, user_id: str, limit: int = 20
) -> list[dict[str, Any]]:
    """Return the user's latest routing decisions, newest first."""
    params = {"tenant_id": tenant_id, "user_id": user_id, "limit": limit}
    async with tenant_connection(pool, tenant_id) as conn:
        return await (await conn.execute(LATEST, params)).fetchall()


async def delete_threads(
    conn: AsyncConnection, tenant_id: str, user_id: str, thread_ids: Sequence[str]
) -> int:
    """Delete the log of some threads of a user; return how many rows went."""
    return (await conn.execute(DELETE_THREADS, (tenant_id, user_id, list(thread_ids)))).rowcount


async def delete_older(conn: AsyncConnection, days: int) -> int:
    """Delete every tenant's log rows older than `days` days; return how many went."""
    return (await conn.execute(DELETE_OLDER, (days,))).rowcount
