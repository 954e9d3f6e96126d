"""Consent on real Postgres and Redis: incognito threads and users whose memory is off."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage

from configs.settings import TenantPrivacy
from graph.builder import build_graph
from graph.context import Context
from graph.resources import Resources
from memory import consent
from storage.identity import Identity, identity_from_config
from storage.tenancy import ALL_TENANTS, tenant_connection
from tests.support import drain, new_config, resources_like, turn_body

pytestmark = pytest.mark.integration

# Every Postgres table a turn can write to, with how to find the user's rows in it.
USER_ROWS = {
    "threads": "SELECT count(*) FROM threads WHERE tenant_id = %s AND user_id = %s",
    "memory_messages": "SELECT count(*) FROM memory_messages WHERE tenant_id = %s AND user_id = %s",
    "memory_outbox": "SELECT count(*) FROM memory_outbox WHERE tenant_id = %s AND user_id = %s",
    "memory_summaries": (
        "SELECT count(*) FROM memory_summaries WHERE tenant_id = %s AND user_id = %s"
    ),
    "strategy_log": "SELECT count(*) FROM strategy_log WHERE tenant_id = %s AND user_id = %s",
    "chat_history": (
        "SELECT count(*) FROM chat_history h JOIN threads t ON t.session_id = h.session_id"
        " WHERE t.tenant_id = %s AND t.user_id = %s"
    ),
    "facts": "SELECT count(*) FROM store WHERE prefix LIKE %s || '.' || %s || '%%'",
}


async def ask(agent, config: dict, text: str, **knobs: object) -> dict:
    return await agent.ainvoke({"messages": [HumanMessage(text)]}, config, context=Context(**knobs))


async def stored_rows(res: Resources, tenant: str, user: str) -> dict[str, int]:
    counts = {}
    async with tenant_connection(res.pool, ALL_TENANTS) as conn:
        for table, query in USER_ROWS.items():
            row = await (await conn.execute(query, (tenant, user))).fetchone()
            counts[table] = int(next(iter(row.values())))
    return counts


async def redis_keys_of(res: Resources, tenant: str, user: str, questions: list[str]) -> list:
    redis = res.storage.redis
    await res.storage.speed.settle()
    # Rate-limit counters name the user but hold no content, and expire within their window.
    keys = [
        k
        async for k in redis.scan_iter(match=f"memoria:{tenant}:*")
        if user.encode() in k and b":ratelimit:" not in k
    ]
    for question in questions:
        for kind in ("q", "p"):
            if await redis.exists(res.embeddings.key(question, kind, tenant_id=tenant)):
                keys.append(f"embedding of {question!r}")
    return keys


def secret_in(out: dict, secret: str) -> bool:
    return any(secret in c["content"] for c in out.get("context", []))


async def test_an_incognito_thread_is_answered_and_leaves_no_trace_in_any_store(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    secret = f"mango{uuid.uuid4().hex[:6]}"
    hidden = new_config(tenant, user)
    said = [f"My name is Ana and my therapist's code word is {secret}.", "What is my code word?"]
    first = await ask(agent, hidden, said[0], incognito=True)
    assert first["messages"][-1].type == "ai"
    # Later runs of the thread stay incognito without asking again.
    second = await ask(agent, hidden, said[1])
    assert secret in " ".join(m.text for m in second["messages"])  # the thread itself remembers
    assert (await agent.aget_state(hidden)).values["incognito"] is True
    await drain(resources)

    counts = await stored_rows(resources, tenant, user)
    # The thread's ownership row (ids and times) is all: its checkpoint holds the messages.
    assert counts == {**dict.fromkeys(USER_ROWS, 0), "threads": 1}, counts
    assert await redis_keys_of(resources, tenant, user, said) == []

    # Recall in the user's other threads finds nothing of it.
    elsewhere = new_config(tenant, user)
    out = await ask(agent, elsewhere, f"Do you remember my code word {secret}?")
    assert not secret_in(out, secret)
    assert await resources.facts.history(Identity(tenant, user, "-")) == []

    # Forgetting the user takes the incognito thread's checkpoint too.
    receipt = await resources.forgetter.forget_user(tenant, user)
    assert receipt.counts["threads"] == 2 and receipt.counts["checkpoints"] > 0
    assert (await agent.aget_state(hidden)).values == {}


async def test_a_user_who_turns_memory_off_is_answered_but_not_remembered(agent, resources, client):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    headers = {"X-Tenant-Id": tenant}
    before = await client.get(f"/users/{user}/consent", headers=headers)
    assert before.json() == {"memory": True, "source": "tenant"}
    await ask(agent, new_config(tenant, user), "I live in Lisbon.")
    await drain(resources)

    secret = f"papaya{uuid.uuid4().hex[:6]}"
    off = await client.put(f"/users/{user}/consent", json={"memory": False}, headers=headers)
    assert off.status_code == 200 and off.json() == {"memory": False, "source": "user"}
    kept = await stored_rows(resources, tenant, user)
    cached = await redis_keys_of(resources, tenant, user, [])
    config = new_config(tenant, user)
    said = f"My locker code is {secret}."
    response = await client.post("/agent/invoke", json=turn_body(said, config))
    assert response.status_code == 200, response.text
    await drain(resources)
    # The memory API refuses to remember for them too, and says how to turn memory on.
    for body in ({"text": said}, {"messages": [{"role": "user", "content": said}]}):
        refused = await client.post(f"/users/{user}/memories", json=body, headers=headers)
        assert refused.status_code == 409 and "consent" in refused.json()["detail"]
    # Nothing new in any store: one more thread row (ownership only), the rest unchanged.
    assert await stored_rows(resources, tenant, user) == {**kept, "threads": kept["threads"] + 1}
    assert await redis_keys_of(resources, tenant, user, [said]) == cached
    # And nothing stored before is recalled while memory is off.
    out = await ask(agent, new_config(tenant, user), "Where do I live?")
    assert not secret_in(out, "Lisbon")

    # Off with erase: everything stored so far goes, with a receipt; the choice stays.
    erased = await client.put(
        f"/users/{user}/consent", json={"memory": False, "erase": True}, headers=headers
    )
    assert erased.json()["erased"]["counts"]["chat_history"] == 2
    assert set((await stored_rows(resources, tenant, user)).values()) == {0}
    assert (await client.get(f"/users/{user}/consent", headers=headers)).json()["memory"] is False

    # Back on: remembered again.
    await client.put(f"/users/{user}/consent", json={"memory": True}, headers=headers)
    await ask(agent, new_config(tenant, user), "I live in Porto.")
    assert (await stored_rows(resources, tenant, user))["chat_history"] == 2


async def test_consent_changes_refuse_bad_bodies_and_store_nothing(client):
    user = f"u-{uuid.uuid4().hex[:8]}"
    headers = {"X-Tenant-Id": f"t-{uuid.uuid4().hex[:8]}"}
    for body, says in (
        ({"memory": True, "erase": True}, "only allowed with memory false"),
        ({"memory": "maybe"}, "memory"),
        ({}, "memory"),
        ({"memory": False, "by": "me"}, "by"),
    ):
        response = await client.put(f"/users/{user}/consent", json=body, headers=headers)
        assert response.status_code == 422 and says in response.text, response.text
    after = await client.get(f"/users/{user}/consent", headers=headers)
    assert after.json()["source"] == "tenant"


async def test_a_tenant_whose_default_is_off_keeps_nothing_until_a_user_opts_in(resources):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    res = resources_like(resources, memoria_privacy={tenant: TenantPrivacy(memory=False)})
    async with res:
        agent = build_graph(res, checkpointer=res.storage.checkpointer)
        quiet, keen = new_config(tenant), new_config(tenant)
        await ask(agent, quiet, "I live in Braga.")
        keen_ident = identity_from_config(keen, default_tenant="")
        await consent.record(res.pool, tenant, keen_ident.user_id, True)
        await ask(agent, keen, "I live in Faro.")
        quiet_user = quiet["configurable"]["user_id"]
        assert (await stored_rows(res, tenant, quiet_user))["chat_history"] == 0
        assert (await stored_rows(res, tenant, keen_ident.user_id))["chat_history"] == 2
