"""Eval tenants: every row of one removed after a run, and counted to prove it."""

from __future__ import annotations

from psycopg import sql

from evals.locomo.data import TENANT_PREFIX
from graph.resources import Resources
from memory.threads import users_of
from storage.schema import CHAT_HISTORY_TABLE, MESSAGES_TABLE
from storage.tenancy import tenant_connection

# Cleanup of one eval tenant, in one transaction. Transcript rows are keyed by the session_id
# of their thread, so they go before the threads that name them.
COUNT_TENANT_ROWS = sql.SQL("""
    SELECT
      (SELECT count(*) FROM {messages} WHERE tenant_id = %(tenant_id)s) AS memory_messages,
      (SELECT count(*) FROM threads WHERE tenant_id = %(tenant_id)s) AS threads,
      (SELECT count(*) FROM {history} h JOIN threads t ON t.session_id = h.session_id
        WHERE t.tenant_id = %(tenant_id)s) AS chat_history,
      (SELECT count(*) FROM strategy_log WHERE tenant_id = %(tenant_id)s) AS strategy_log,
      (SELECT count(*) FROM memory_outbox WHERE tenant_id = %(tenant_id)s) AS memory_outbox,
      (SELECT count(*) FROM store WHERE prefix LIKE 'facts.' || %(tenant_id)s || '.%%') AS facts
""").format(messages=sql.Identifier(MESSAGES_TABLE), history=sql.Identifier(CHAT_HISTORY_TABLE))


async def delete_tenant(res: Resources, tenant_id: str) -> None:
    """Forget every user of an eval tenant, in every store (only `eval-` tenants)."""
    if not tenant_id.startswith(TENANT_PREFIX):
        raise ValueError(f"refusing to delete tenant {tenant_id!r}: not an eval tenant")
    async with tenant_connection(res.pool, tenant_id) as conn:
        users = await users_of(conn, tenant_id)
    for user_id in users:
        await res.forgetter.forget_user(tenant_id, user_id)
    async with tenant_connection(res.pool, tenant_id) as conn:
        await conn.execute("DELETE FROM memory_versions WHERE tenant_id = %s", (tenant_id,))


async def tenant_row_counts(res: Resources, tenant_id: str) -> dict[str, int]:
    """Return how many rows of each table the tenant still has."""
    async with tenant_connection(res.pool, tenant_id) as conn:
        cur = await conn.execute(COUNT_TENANT_ROWS, {"tenant_id": tenant_id})
        row = await cur.fetchone()
    return dict(row or {})
