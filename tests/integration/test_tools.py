"""Tool calling with a scripted chat model over the real stores."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from graph.builder import build_graph
from graph.context import Context
from tests.fakes import ScriptedChatModel
from tests.support import drain, new_config

pytestmark = pytest.mark.integration


async def test_search_memory_result_reaches_the_model_and_the_answer(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    await agent.ainvoke(
        {"messages": [HumanMessage("I work as a lighthouse keeper in Sagres.")]},
        new_config(tenant, user),
        context=Context(),
    )
    await drain(resources)
    model = ScriptedChatModel(
        script=[
            AIMessage(
                "", tool_calls=[{"name": "search_memory", "args": {"query": "my job"}, "id": "x"}]
            ),
            AIMessage("You are a lighthouse keeper in Sagres."),
        ]
    )
    graph = build_graph(resources, chat_model=model, checkpointer=resources.storage.checkpointer)
    out = await graph.ainvoke(
        {"messages": [HumanMessage("What do I do for a living?")]},
        new_config(tenant, user),
        context=Context(strategy="session_only"),
    )
    tool_messages = [m for m in out["messages"] if m.type == "tool"]
    assert len(tool_messages) == 1 and "lighthouse keeper" in tool_messages[0].text
    # The model's second call saw the tool result.
    assert any(m.type == "tool" and "Sagres" in m.text for m in model.calls[1]["messages"])
    assert out["messages"][-1].text == "You are a lighthouse keeper in Sagres."


async def test_tool_loop_stops_at_its_bound(resources):
    always_calls = ScriptedChatModel(
        script=[AIMessage("", tool_calls=[{"name": "current_time", "args": {}, "id": "x"}])]
    )
    checkpointer = resources.storage.checkpointer
    graph = build_graph(resources, chat_model=always_calls, checkpointer=checkpointer)
    out = await graph.ainvoke(
        {"messages": [HumanMessage("What time is it?")]},
        new_config(),
        context=Context(max_tool_rounds=2, strategy="session_only"),
    )
    assert [m.type for m in out["messages"]] == ["human", "ai", "tool", "ai", "tool", "ai"]
    assert not out["messages"][-1].tool_calls
    # The graph's three calls (the test settings run no in-process worker).
    assert [call["tools"] is not None for call in always_calls.calls] == [True, True, False]


async def test_remember_tool_stores_a_fact_for_the_users_other_threads(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    model = ScriptedChatModel(
        script=[
            AIMessage(
                "",
                tool_calls=[
                    {
                        "name": "remember",
                        "args": {"fact": "The user's favourite tea is genmaicha."},
                        "id": "x",
                    }
                ],
            ),
            AIMessage("Noted."),
        ]
    )
    graph = build_graph(resources, chat_model=model, checkpointer=resources.storage.checkpointer)
    await graph.ainvoke(
        {"messages": [HumanMessage("Please remember my favourite tea.")]},
        new_config(tenant, user),
        context=Context(strategy="session_only"),
    )
    out = await agent.ainvoke(
        {"messages": [HumanMessage("Which tea do I like?")]},
        new_config(tenant, user),
        context=Context(strategy="cross_conversation"),
    )
    assert any(c["source"] == "facts" and "genmaicha" in c["content"] for c in out["context"])
