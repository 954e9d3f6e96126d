"""Row-level security: a query that forgets its tenant filter still stays in one tenant.

Every query memoria writes filters by tenant itself; these tests check the second lock, in
Postgres, by sending the app's pool queries with no tenant filter at all. Writes are locked
on every tenant table; reads on all but the search tables and the transcript.
"""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from psycopg.errors import InsufficientPrivilege
from psycopg.types.json import Jsonb

from graph.resources import Resources
from knowledge.ingest import ingest_paths
from storage.tenancy import (
    ALL_TENANTS,
    APP_ROLE,
    READ_OPEN_TABLES,
    TENANT_TABLES,
    tenant_connection,
)
from tests.integration.test_long_term_memory import ident_of
from tests.support import drain, new_config

pytestmark = pytest.mark.integration


async def _two_tenants(resources: Resources):
    idents = [ident_of(new_config()) for _ in range(2)]
    for ident in idents:
        turn = [
            HumanMessage(f"My code word is {uuid.uuid4().hex[:8]}.", id=str(uuid.uuid4())),
            AIMessage("Noted.", id=str(uuid.uuid4())),
        ]
        await resources.conversation.append(ident, turn)
    await drain(resources)
    return idents


async def _unfiltered(resources: Resources, scope: str, table: str) -> set[str]:
    async with tenant_connection(resources.pool, scope) as conn:
        cur = await conn.execute(f"SELECT DISTINCT tenant_id FROM {table}")  # no WHERE at all
        return {row["tenant_id"] for row in await cur.fetchall()}


async def test_the_app_acts_as_a_role_row_level_security_applies_to(resources: Resources):
    # The embedded Postgres connects as its superuser, which would skip every policy.
    async with resources.pool.connection() as conn:
        row = await (await conn.execute("SELECT current_user AS role")).fetchone()
        assert row["role"] == APP_ROLE
    async with resources.storage.history_pool.connection() as conn:
        row = await (await conn.execute("SELECT current_user")).fetchone()
        assert row[0] == APP_ROLE


async def test_a_query_without_a_tenant_filter_sees_only_its_own_tenants_rows(
    resources: Resources,
):
    a, b = await _two_tenants(resources)
    for table in ("threads", "memory_outbox", "memory_versions", "memory_summaries"):
        seen = await _unfiltered(resources, a.tenant_id, table)
        assert seen <= {a.tenant_id}, table
    assert await _unfiltered(resources, a.tenant_id, "threads") == {a.tenant_id}
    assert await _unfiltered(resources, a.tenant_id, "memory_versions") == {a.tenant_id}
    # The operator's view (the worker claiming jobs) does see both.
    assert {a.tenant_id, b.tenant_id} <= await _unfiltered(resources, ALL_TENANTS, "threads")


async def test_nothing_bound_sees_nothing_and_writes_nothing(resources: Resources):
    a, _ = await _two_tenants(resources)
    for table in set(TENANT_TABLES) - set(READ_OPEN_TABLES):
        assert await _unfiltered(resources, "", table) == set(), table
    async with resources.pool.connection() as conn:  # no tenant bound in this task
        for insert, params in [
            (
                "INSERT INTO memory_outbox (tenant_id, user_id, thread_id, payload)"
                " VALUES (%s, %s, %s, %s)",
                (a.tenant_id, a.user_id, a.thread_id, Jsonb({})),
            ),
            (
                "INSERT INTO memory_messages (langchain_id, content, embedding, tenant_id,"
                " user_id, thread_id, role, created_at)"
                " VALUES (gen_random_uuid(), 'x', %s::vector, %s, %s, %s, 'human', now())",
                (
                    str([0.0] * resources.settings.memoria_embedding_dims),
                    a.tenant_id,
                    a.user_id,
                    a.thread_id,
                ),
            ),
        ]:
            with pytest.raises(InsufficientPrivilege):
                await conn.execute(insert, params)


async def test_a_tenant_cannot_write_or_change_another_tenants_rows(resources: Resources):
    a, b = await _two_tenants(resources)
    async with tenant_connection(resources.pool, b.tenant_id) as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM memory_messages WHERE tenant_id = %s", (b.tenant_id,)
        )
        b_messages = (await cur.fetchone())["n"]
    assert b_messages == 2
    async with tenant_connection(resources.pool, a.tenant_id) as conn:
        with pytest.raises(InsufficientPrivilege):
            await conn.execute(
                "INSERT INTO strategy_log"
                " (tenant_id, user_id, thread_id, strategy, reason, query, results, latency_ms)"
                " VALUES (%s, %s, %s, 'semantic', 'test', 'q', 0, 0)",
                (b.tenant_id, b.user_id, b.thread_id),
            )
        # Updates and deletes without a filter touch this tenant's rows only, in the search
        # tables and the transcript too (their reads are left to the queries' filters).
        cur = await conn.execute("UPDATE threads SET updated_at = updated_at")
        assert cur.rowcount == 1
        for table in ("memory_messages", "kb_chunks"):
            cur = await conn.execute(f"DELETE FROM {table} WHERE tenant_id = %s", (b.tenant_id,))
            assert cur.rowcount == 0, table
        cur = await conn.execute(
            "DELETE FROM chat_history WHERE session_id = %s::uuid", (b.session_id,)
        )
        assert cur.rowcount == 0
    async with tenant_connection(resources.pool, b.tenant_id) as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM memory_messages WHERE tenant_id = %s", (b.tenant_id,)
        )
        assert (await cur.fetchone())["n"] == b_messages
        transcript = await resources.conversation.transcript(b)
    assert len(transcript) == 2


async def test_full_text_search_keeps_its_index_as_the_app_role(
    resources: Resources, kb_tenant: str
):
    # A read policy on the chunks would stop Postgres using the GIN index for `@@` (not
    # LEAKPROOF): that is why their reads are left to the queries' filters.
    async with tenant_connection(resources.pool, kb_tenant) as conn:
        # Only the match can use an index here; a tiny table would be scanned anyway.
        await conn.execute("SET enable_seqscan = off")
        try:
            cur = await conn.execute(
                "EXPLAIN SELECT langchain_id FROM kb_chunks WHERE content_tsv @@ 'refund'::tsquery"
            )
            plan = "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())
        finally:
            await conn.execute("RESET enable_seqscan")
    assert "kb_chunks_tsv_idx" in plan, plan


async def test_the_same_file_ingested_by_two_tenants_stays_two_tenants_chunks(
    resources: Resources, tmp_path
):
    # Chunk ids once derived from the file alone: the second tenant's upsert took the first
    # tenant's rows over (row-level security is what noticed).
    page = tmp_path / "handbook.md"
    page.write_text("# Returns\n\n" + "Refunds are issued within 14 days of a return. " * 60)
    tenants = [f"t-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for tenant in tenants:
        kb = await resources.knowledge_base()
        await ingest_paths(pool=resources.pool, kb=kb, tenant_id=tenant, paths=[page])
    async with tenant_connection(resources.pool, ALL_TENANTS) as conn:
        cur = await conn.execute(
            "SELECT tenant_id, count(*) AS n FROM kb_chunks WHERE tenant_id = ANY(%s)"
            " GROUP BY tenant_id",
            (tenants,),
        )
        chunks = {row["tenant_id"]: row["n"] for row in await cur.fetchall()}
    assert set(chunks) == set(tenants) and len(set(chunks.values())) == 1, chunks
