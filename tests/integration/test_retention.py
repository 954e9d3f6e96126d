"""Scheduled retention on real Postgres and Redis, with backdated threads."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage
from prometheus_client import REGISTRY

from configs.settings import TenantPrivacy
from graph.context import Context
from memory.conversation import ThreadOwnershipError
from memory.retention import Retention
from storage.identity import Identity, identity_from_config
from storage.tenancy import ALL_TENANTS, tenant_connection
from tests.support import drain, new_config

pytestmark = pytest.mark.integration

BACKDATE = "UPDATE threads SET updated_at = now() - make_interval(days => %s) WHERE thread_id = %s"
ROWS = {
    "threads": "SELECT count(*) FROM threads WHERE tenant_id = %s AND thread_id = %s",
    "memory_messages": (
        "SELECT count(*) FROM memory_messages WHERE tenant_id = %s AND thread_id = %s"
    ),
    "chat_history": (
        "SELECT count(*) FROM chat_history h JOIN threads t ON t.session_id = h.session_id"
        " WHERE t.tenant_id = %s AND t.thread_id = %s"
    ),
    "archived": (
        "SELECT count(*) FROM threads"
        " WHERE tenant_id = %s AND thread_id = %s AND archived_at IS NOT NULL"
    ),
}


async def ask(agent, config: dict, text: str) -> dict:
    return await agent.ainvoke({"messages": [HumanMessage(text)]}, config, context=Context())


async def backdate(res, config: dict, days: int) -> None:
    async with tenant_connection(res.pool, ALL_TENANTS) as conn:
        await conn.execute(BACKDATE, (days, config["configurable"]["thread_id"]))


async def rows(res, config: dict) -> dict[str, int]:
    ident = identity_from_config(config, default_tenant="")
    out = {}
    async with tenant_connection(res.pool, ALL_TENANTS) as conn:
        for name, query in ROWS.items():
            row = await (await conn.execute(query, (ident.tenant_id, ident.thread_id))).fetchone()
            out[name] = int(next(iter(row.values())))
    return out


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def retention_for(res, policies: dict[str, TenantPrivacy]) -> Retention:
    return Retention(
        pool=res.pool,
        forgetter=res.forgetter,
        policy=lambda tenant: policies.get(tenant, TenantPrivacy()),
    )


async def test_idle_threads_are_deleted_and_threads_in_use_are_kept(agent, resources, client):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    untouched_tenant = f"t-{uuid.uuid4().hex[:8]}"
    old, reused, fresh = (new_config(tenant, user) for _ in range(3))
    elsewhere = new_config(untouched_tenant)
    await ask(agent, old, "I live in Evora.")
    await ask(agent, reused, "I live in Lagos.")
    await ask(agent, fresh, "Hello there, how are you?")
    await ask(agent, elsewhere, "I live in Tavira.")
    await drain(resources)
    for config in (old, reused, elsewhere):
        await backdate(resources, config, 200)
    await ask(agent, reused, "Thanks, that is all.")  # the thread is in use again
    before = metric("memoria_retention_threads_total", action="delete")

    policy = TenantPrivacy(retention_days=180, keep_facts=False)
    receipts = await retention_for(resources, {tenant: policy}).apply()

    [receipt] = [r for r in receipts if r.scope["tenant_id"] == tenant]
    assert receipt.scope["action"] == "delete" and receipt.counts["threads"] == 1
    assert receipt.counts["chat_history"] == 2 and receipt.counts["facts"] == 1
    assert await rows(resources, old) == dict.fromkeys(ROWS, 0)
    assert (await agent.aget_state(old)).values == {}
    assert (await rows(resources, reused))["chat_history"] == 4
    assert (await rows(resources, fresh))["threads"] == 1
    assert (await rows(resources, elsewhere))["chat_history"] == 2  # no policy: kept
    facts = await resources.facts.history(Identity(tenant, user, "-"))
    assert "Lagos" in str(facts) and "Evora" not in str(facts)
    # Counted in /metrics, with when it last ran.
    assert metric("memoria_retention_threads_total", action="delete") == before + 1
    exposed = (await client.get("/metrics")).text
    assert "memoria_retention_threads_total" in exposed
    assert "memoria_retention_last_run_timestamp_seconds" in exposed

    # A thread used again between being found idle and being locked is kept.
    await backdate(resources, reused, 200)
    await ask(agent, reused, "Still here.")
    ident = identity_from_config(reused, default_tenant="")
    with pytest.raises(ThreadOwnershipError):
        await resources.forgetter.delete_thread(ident, idle_days=180)


async def test_archived_threads_leave_recall_but_keep_their_transcript(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    word = f"fig{uuid.uuid4().hex[:6]}"
    old = new_config(tenant, user)
    await ask(agent, old, f"I live in Braga and my door word is {word}.")
    await drain(resources)
    await backdate(resources, old, 40)
    retention = retention_for(
        resources, {tenant: TenantPrivacy(retention_days=30, retention_action="archive")}
    )

    [receipt] = [r for r in await retention.apply() if r.scope["tenant_id"] == tenant]
    assert receipt.counts["archived"] == 1 and receipt.counts["message_index"] >= 1
    assert await rows(resources, old) == {
        "threads": 1,
        "memory_messages": 0,
        "chat_history": 2,
        "archived": 1,
    }
    assert (await agent.aget_state(old)).values == {}
    out = await ask(agent, new_config(tenant, user), f"What is my door word {word}?")
    assert all(word not in c["content"] for c in out["context"])
    facts = await resources.facts.history(Identity(tenant, user, "-"))
    assert "Braga" in str(facts)  # keep_facts (the default)
    # Archived once: the next run finds nothing more to do.
    [again] = [r for r in await retention.apply() if r.scope["tenant_id"] == tenant]
    assert again.counts == {}
