"""Faults: what a crash or an outage leaves behind in a thread.

A turn is *acknowledged* when persist has committed it (its messages and its outbox job, in one
transaction). An acknowledged turn must be in its thread's transcript exactly once, whatever
happens afterwards.
"""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from graph.graph import build_graph
from graph.resources import Resources
from server import resume_point
from tests.fakes import RuleChatModel
from tests.integration.conftest import new_config
from tests.integration.test_long_term_memory import ask, ident_of

pytestmark = [pytest.mark.integration, pytest.mark.fault]


async def test_a_turn_sent_again_after_its_checkpoint_was_lost_is_stored_once(agent, resources):
    # With LangGraph's default durability (LangGraph Platform, Studio), a crash can land after
    # persist committed the turn and before the checkpoint recording it was written. The
    # thread then resumes from the checkpoint taken just before persist, and the next turn's
    # persist sends the first turn again.
    config = new_config()
    await ask(agent, config, "My bike is the blue one.")
    history = [s async for s in agent.aget_state_history(config)]
    before_persist = next(s for s in history if s.next == ("persist",)).config["configurable"]
    resumed = {"configurable": {**config["configurable"], **before_persist}}
    await ask(agent, resumed, "And my car is the red one.")

    ident = ident_of(config)
    transcript = await resources.conversation.transcript(ident)
    assert [m.text for m in transcript if m.type == "human"] == [
        "My bike is the blue one.",
        "And my car is the red one.",
    ]
    assert len({m.id for m in transcript}) == len(transcript) == 4
    window = await resources.conversation.recent(ident, 20)
    assert [m.id for m in window] == [m.id for m in transcript]


@pytest.mark.parametrize("durability", ["exit", "async"])
async def test_a_turn_that_failed_midway_leaves_no_half_turn_in_its_thread(settings, durability):
    # The model fails on some questions: LangGraph has saved what those runs finished (the
    # question, at least) by the time they fail, and the next turn must not pick it up.
    def rule(messages: list[BaseMessage], tools_bound: bool) -> AIMessage:
        if "fail" in messages[-1].text:
            raise RuntimeError("model unavailable")
        return AIMessage("Noted.")

    async with Resources(settings, chat_model=RuleChatModel(rule=rule)) as res:
        graph = build_graph(res, checkpointer=res.checkpointer)
        config = new_config()
        questions = ["Please fail first.", "Hello!", "Then fail again.", "Still there?"]
        for text in questions:
            run = {"messages": [HumanMessage(text)]}
            resumed = await resume_point(graph, config)
            if "fail" in text:
                with pytest.raises(RuntimeError, match="model unavailable"):
                    await graph.ainvoke(run, resumed, durability=durability)
                assert (await graph.aget_state(config)).next == ("generate",)
            else:
                await graph.ainvoke(run, resumed, durability=durability)

        state = (await graph.aget_state(config)).values
        transcript = await res.conversation.transcript(ident_of(config))
    finished = ["Hello!", "Still there?"]
    assert [m.text for m in state["messages"] if m.type == "human"] == finished
    assert [m.text for m in transcript] == ["Hello!", "Noted.", "Still there?", "Noted."]
