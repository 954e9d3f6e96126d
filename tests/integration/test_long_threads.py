"""Long threads: what a thread carries and writes per turn does not grow with its length."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage

from graph.context import Context
from graph.nodes.persist import PERSISTED_IDS_KEPT
from memory import summaries
from memory.export import Exporter
from storage.identity import Identity, identity_from_config
from storage.tenancy import ALL_TENANTS, tenant_connection
from tests.support import new_config, turn_body

pytestmark = pytest.mark.integration

KNOBS = Context(summary_max_messages=4, summary_keep_messages=2)
THINGS = ("ferns", "the bike", "rent", "my passport", "the kettle", "Ana's birthday", "tea")
# What a summary row holds besides its text and its fixed-size columns.
ROW_BOOKKEEPING = """
    SELECT octet_length((to_jsonb(s) - 'summary' - 'id' - 'created_at' - 'covered')::text) AS bytes
    FROM memory_summaries s WHERE thread_id = %s ORDER BY id
"""


async def test_a_long_thread_carries_and_writes_no_more_per_turn_than_a_short_one(agent, resources):
    config = new_config()
    for i in range(24):
        text = f"Note {i}: remember {THINGS[i % len(THINGS)]} on day {i % 28 + 1}."
        await agent.ainvoke({"messages": [HumanMessage(text)]}, config, context=KNOBS)
        state = (await agent.aget_state(config)).values
        # The window stays within its budget however long the thread gets.
        assert len(state["messages"]) <= KNOBS.summary_max_messages + 2
        # No list of message ids outgrows the window but persist's bounded tail.
        id_lists = {
            key: len(value)
            for key, value in state.items()
            if isinstance(value, list) and value and all(isinstance(x, str) for x in value)
        }
        assert id_lists.pop("persisted_ids", 0) <= PERSISTED_IDS_KEPT
        assert all(n <= KNOBS.summary_max_messages + 2 for n in id_lists.values()), id_lists

    ident = identity_from_config(config, default_tenant="local")
    transcript = await resources.conversation.transcript(ident)
    ids = [m.id for m in transcript]
    covered = state["summarised_count"]
    assert covered > 30 and ids[covered - 1] == state["summarised_through"]
    assert ids[:covered] + [m.id for m in state["messages"]] == ids
    # Every summary row says what it covers in the same few bytes, the first as the last.
    async with tenant_connection(resources.pool, ALL_TENANTS) as conn:
        cur = await conn.execute(ROW_BOOKKEEPING, (config["configurable"]["thread_id"],))
        sizes = [row["bytes"] for row in await cur.fetchall()]
    assert len(sizes) > 10 and max(sizes) - min(sizes) <= 2, sizes


async def test_a_summary_row_that_lists_its_ids_reads_as_a_count_and_the_last_one(resources):
    """Rows written before counts were kept (or by a process not yet upgraded) list every id."""
    ident = Identity(f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}", "t-old")
    old_ids = [str(uuid.uuid4()) for _ in range(5)]
    async with tenant_connection(resources.pool, ident.tenant_id) as conn:
        await conn.execute(
            "INSERT INTO threads (thread_id, tenant_id, user_id, session_id)"
            " VALUES (%s, %s, %s, %s)",
            (ident.thread_id, ident.tenant_id, ident.user_id, ident.session_id),
        )
        await conn.execute(
            "INSERT INTO memory_summaries (tenant_id, user_id, thread_id, summary, covers)"
            " VALUES (%s, %s, %s, %s, %s)",
            (ident.tenant_id, ident.user_id, ident.thread_id, "- The user said: hi", old_ids),
        )
    latest = await summaries.latest(resources.pool, ident)
    assert (latest["covered"], latest["covered_through"]) == (5, old_ids[-1])

    # The export keeps the ids such a row holds, beside the count and the last one.
    exporter = Exporter(pool=resources.pool, checkpointer=resources.storage.checkpointer)
    async for store, records in exporter.sections(ident.tenant_id, ident.user_id):
        rows = [r async for r in records]
        if store == "summaries":
            assert len(rows) == 1 and rows[0]["covers"] == old_ids
            assert (rows[0]["covered"], rows[0]["covered_through"]) == (5, old_ids[-1])


async def test_a_threads_page_says_which_messages_its_summary_covers(client):
    config = new_config(summary_max_messages=4, summary_keep_messages=2)
    scope = config["configurable"]
    for i in range(5):
        text = f"Note {i}: remember {THINGS[i]} on day {i + 1}."
        response = await client.post("/agent/invoke", json=turn_body(text, config))
        assert response.status_code == 200, response.text
    headers = {"X-Tenant-Id": scope["tenant_id"], "X-User-Id": scope["user_id"]}
    page = (await client.get(f"/threads/{scope['thread_id']}", headers=headers)).json()
    ids = [m["data"]["id"] for m in page["messages"]]
    summary = page["summary"]
    assert 0 < summary["covered"] < len(ids) == 10
    assert ids[summary["covered"] - 1] == summary["covered_through"]
    assert "Note 0" in summary["summary"] and "covers" not in summary
