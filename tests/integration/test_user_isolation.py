"""User-level isolation in Postgres: a session acting for one user reads only that user's content.

Queries here run as the app role with no user filter of their own, so only the policies
(storage/tenancy.py `user_policy_sql`) stand between two users of one tenant.
"""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage
from psycopg.errors import InsufficientPrivilege

from graph.context import Context
from memory import consent
from storage.identity import Identity, identity_from_config
from storage.tenancy import (
    APP_ROLE,
    LATER_USER_TABLES,
    USER_TABLES,
    tenant_connection,
    user_connection,
)
from tests.support import drain, new_config

pytestmark = pytest.mark.integration

# What a user-bound session can read of each store, with no user filter in the query.
READS = {
    **{
        table: f"SELECT DISTINCT user_id AS owner FROM {table}"
        for table in (*USER_TABLES, *LATER_USER_TABLES)
    },
    "chat_history": (
        "SELECT DISTINCT t.user_id AS owner FROM chat_history h"
        " JOIN threads t ON t.session_id = h.session_id"
    ),
    "facts": "SELECT DISTINCT split_part(prefix, '.', 3) AS owner FROM store",
}


@pytest.fixture(scope="module")
async def two_users(agent, resources) -> tuple[str, str, str]:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    users = [f"u-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    short = Context(summary_max_messages=3, summary_keep_messages=2)
    for user in users:
        config = new_config(tenant, user)
        for said in ("I live in Viseu and my code is 4417.", "I work as a pilot."):
            await agent.ainvoke({"messages": [HumanMessage(said)]}, config, context=short)
        await resources.conversation.append(  # a job left queued in the outbox
            config_ident(config), [HumanMessage("Later.", id=str(uuid.uuid4()))]
        )
    for user in users:
        await consent.record(resources.pool, tenant, user, True)
    await drain(resources)
    for user in users:  # one more queued job each, after the drain
        config = new_config(tenant, user)
        await resources.conversation.append(
            config_ident(config), [HumanMessage("Queued.", id=str(uuid.uuid4()))]
        )
    return tenant, users[0], users[1]


def config_ident(config: dict) -> Identity:
    return identity_from_config(config, default_tenant="")


async def owners(conn, query: str) -> set[str]:
    return {row["owner"] for row in await (await conn.execute(query)).fetchall()}


async def test_a_session_acting_for_a_user_reads_none_of_another_users_content(
    resources, two_users
):
    tenant, ana, bruno = two_users
    async with user_connection(resources.pool, tenant, ana) as conn:
        role = await (await conn.execute("SELECT current_user AS r")).fetchone()
        assert role["r"] == APP_ROLE
        for store, query in READS.items():
            assert await owners(conn, query) == {ana}, store
    # The same user id in another tenant is another user: nothing of Ana's there.
    async with user_connection(resources.pool, f"t-{uuid.uuid4().hex[:8]}", ana) as conn:
        for store, query in READS.items():
            assert await owners(conn, query) == set(), store
    # Acting for the tenant as a whole (the worker, an operator's command): every user (the
    # message index's reads are left to the queries' tenant filters: other tenants' too).
    async with tenant_connection(resources.pool, tenant) as conn:
        for store, query in READS.items():
            assert {ana, bruno} <= await owners(conn, query), store


async def test_a_session_acting_for_a_user_cannot_write_as_another(resources, two_users):
    tenant, ana, bruno = two_users
    async with user_connection(resources.pool, tenant, ana) as conn:
        with pytest.raises(InsufficientPrivilege):
            await conn.execute(
                "INSERT INTO strategy_log (tenant_id, user_id, thread_id, strategy, reason,"
                " query, results, latency_ms) VALUES (%s, %s, 'x', 'hybrid', '', '', 0, 0)",
                (tenant, bruno),
            )
        deleted = await conn.execute(
            "DELETE FROM memory_messages WHERE tenant_id = %s AND user_id = %s", (tenant, bruno)
        )
        assert deleted.rowcount == 0
    async with tenant_connection(resources.pool, tenant) as conn:
        row = await (
            await conn.execute(
                "SELECT count(*) AS n FROM memory_messages WHERE tenant_id = %s AND user_id = %s",
                (tenant, bruno),
            )
        ).fetchone()
        assert row["n"] > 0


async def plan(conn, query: str, params: tuple) -> str:
    # Only an index can serve these; a tiny table would be scanned anyway.
    await conn.execute("SET enable_seqscan = off")
    try:
        cur = await conn.execute("EXPLAIN " + query, params)
        return "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())
    finally:
        await conn.execute("RESET enable_seqscan")


async def test_user_bound_lookups_keep_their_indexes(resources, two_users):
    tenant, ana, _ = two_users
    async with user_connection(resources.pool, tenant, ana) as conn:
        # The messages' lexical leg: the user's rows come from the owner index, then `@@`
        # (not LEAKPROOF, so no longer the GIN index's condition) filters those rows only.
        found = await plan(
            conn,
            "SELECT langchain_id FROM memory_messages"
            " WHERE tenant_id = %s AND user_id = %s AND content_tsv @@ 'viseu'::tsquery",
            (tenant, ana),
        )
        assert "Seq Scan" not in found and "memory_messages_" in found, found
        # Storing a message checks its id with the index, as before the policy. In one of
        # ana's threads, with statistics: on an empty, unanalysed session the planner may as
        # well take the session index and filter the id, which says nothing of the policy.
        async with resources.storage.owner_connection() as owner:
            await owner.execute("ANALYZE chat_history")
        row = await (
            await conn.execute("SELECT session_id FROM threads WHERE user_id = %s LIMIT 1", (ana,))
        ).fetchone()
        stored = await plan(
            conn,
            "SELECT 1 FROM chat_history WHERE session_id = %s::uuid AND message_id = %s",
            (str(row["session_id"]), "m"),
        )
        assert "chat_history_session_message_idx" in stored, stored
        assert "message_id" in stored.split("chat_history_session_message_idx", 1)[1], stored
