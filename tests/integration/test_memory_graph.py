"""The whole graph on real Postgres and Redis, offline (extractive responder)."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage

from graph.context import Context
from graph.resources import Resources
from storage.identity import identity_from_config
from tests.support import drain, new_config

pytestmark = pytest.mark.integration


async def ask(agent, config: dict, text: str, **knobs: object) -> dict:
    return await agent.ainvoke({"messages": [HumanMessage(text)]}, config, context=Context(**knobs))


def answer(output: dict) -> str:
    return output["messages"][-1].text


async def test_fact_from_thread_a_is_recalled_in_thread_b_for_that_user_only(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    await ask(agent, new_config(tenant, user), "My dog is called Biscuit and she is a beagle.")
    await drain(resources)

    recalled = await ask(agent, new_config(tenant, user), "What is my dog called?")
    assert recalled["route"]["strategy"] in ("cross_conversation", "hybrid", "semantic_search")
    assert "Biscuit" in answer(recalled)
    assert any("Biscuit" in c["snippet"] for c in recalled["citations"])

    other_user = await ask(agent, new_config(tenant), "What is my dog called?")
    other_tenant = await ask(agent, new_config(None, user), "What is my dog called?")
    for output in (other_user, other_tenant):
        assert "Biscuit" not in answer(output)
        assert all("Biscuit" not in c["content"] for c in output.get("context", []))


async def test_every_strategy_stays_inside_its_tenant_and_user(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    secret = f"zebra-{uuid.uuid4().hex[:6]}"
    await ask(agent, new_config(tenant, user), f"My locker code word is {secret}, remember it.")
    await drain(resources)
    own = await ask(agent, new_config(tenant, user), f"What is my locker code word {secret}?")
    assert any(secret in c["content"] for c in own["context"])  # indexed, so a leak would show
    for strategy in ("semantic_search", "hybrid", "cross_conversation"):
        for config in (new_config(tenant), new_config(None, user)):
            out = await ask(
                agent, config, f"What is my locker code word {secret}?", strategy=strategy
            )
            leaked = [c for c in out.get("context", []) if secret in c["content"]]
            assert not leaked, (strategy, leaked)


async def test_question_about_the_knowledge_base_cites_the_right_chunk(agent, kb_tenant):
    out = await ask(agent, new_config(kb_tenant), "How long do I have to ask for a refund?")
    first = out["citations"][0]
    assert first["source"] == "knowledge_base"
    assert "billing.md" in first["title"]
    assert "14 days" in first["snippet"]
    assert "[1]" in answer(out) and "no LLM is configured" in answer(out)


async def test_error_code_question_finds_the_troubleshooting_table(agent, kb_tenant):
    out = await ask(agent, new_config(kb_tenant), "What does error E-4012 mean?")
    assert out["route"]["strategy"] == "hybrid"
    assert "troubleshooting.md" in out["citations"][0]["title"]
    assert "E-4012" in out["citations"][0]["snippet"]


async def test_portuguese_question_is_answered_in_portuguese_from_the_faq(agent, kb_tenant):
    out = await ask(agent, new_config(kb_tenant), "Em quais idiomas o aplicativo está disponível?")
    assert "perguntas-frequentes.md" in out["citations"][0]["title"]
    assert "nenhum LLM" in answer(out)


async def test_small_talk_skips_retrieval(agent):
    out = await ask(agent, new_config(), "hello!")
    assert out["route"]["strategy"] == "session_only"
    assert out.get("context", []) == [] and out["citations"] == []


async def test_thread_of_another_user_is_refused_before_its_state_is_read(agent):
    config = new_config()
    await ask(agent, config, "My passport number is X1234567.")
    intruder = {"configurable": {**config["configurable"], "user_id": "someone-else"}}
    with pytest.raises(PermissionError):
        await ask(agent, intruder, "What did I just say?")


async def test_long_thread_is_summarised_and_the_transcript_keeps_everything(
    agent, resources: Resources
):
    config = new_config()
    knobs = {"summary_max_messages": 8, "summary_keep_messages": 4}
    await ask(agent, config, "My sister Ana lives in Coimbra and teaches chemistry.", **knobs)
    for i in range(7):
        await ask(agent, config, f"Note number {i}: buy {i} apples for the cake.", **knobs)

    state = (await agent.aget_state(config)).values
    assert len(state["messages"]) <= 8 + 2
    assert "Coimbra" in state["summary"]
    assert "Coimbra" not in " ".join(m.text for m in state["messages"])
    assert state["messages"][0].type == "human"

    ident = identity_from_config(config, default_tenant="local")
    transcript = await resources.conversation.transcript(ident)
    assert len(transcript) == 16
    assert "Coimbra" in transcript[0].text


async def test_recent_history_falls_back_to_postgres_without_the_hot_window(
    agent, resources: Resources
):
    config = new_config()
    await ask(agent, config, "The meeting moved to Thursday at 15:00.")
    ident = identity_from_config(config, default_tenant="local")
    await resources.storage.redis.delete(resources.conversation.window_key(ident))
    out = await ask(agent, config, "What did I just say?")
    assert out["route"]["strategy"] == "recent_history"
    assert "Thursday" in answer(out)
