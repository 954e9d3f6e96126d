"""Facts said in words no rule knows are still recalled; what was never said is not (real stores).

The offline extractor stores nothing for these phrasings and the word rules see no attribute
in them: the semantic attribute layer (memory/fact_semantics.py) reads them by meaning.
"""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from graph.context import Context
from graph.extractive import PHRASES
from memory.fact_extraction import extract_facts
from memory.fact_questions import states
from storage.identity import Identity
from tests.integration.test_live_memory import answer, ask, new_user, tell
from tests.support import drain, new_config

pytestmark = pytest.mark.integration

SAID = {
    "hobby": "Ando a aprender a tocar cavaquinho com um senhor lá do bairro.",
    "health": "Shrimp and I are not friends, my throat closes up.",
    "pet": "Mochi spent the whole morning asleep on my keyboard, the little furball.",
}


def test_the_rules_alone_find_nothing_in_these_phrasings():
    for attribute, said in SAID.items():
        assert extract_facts(said) == []
        assert not states(said, attribute)


async def test_unusual_phrasings_are_recalled_and_the_never_told_abstained(agent, resources):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, *SAID.values())
    for question, expected in [
        ("O que é que eu faço nos tempos livres?", "cavaquinho"),
        ("Is there anything I can't eat?", "Shrimp"),
        ("What's my cat called?", "Mochi"),
    ]:
        out = await ask(agent, new_config(tenant, user), question)
        assert out["citations"], (question, answer(out))
        assert expected in out["citations"][0]["snippet"], (question, out["citations"])
    for language, never_told in [("en", "What's my blood type?"), ("pt", "Qual é o meu signo?")]:
        out = await ask(agent, new_config(tenant, user), never_told)
        assert answer(out).startswith(PHRASES[language]["unknown"]), (never_told, answer(out))
        assert out["citations"] == []


async def test_a_fact_only_meaning_finds_is_stored_superseded_and_never_kept_when_private(
    agent, resources
):
    tenant, user = new_user()
    said = "Pepper, our new rescue pup, chewed through my charger cable."
    assert extract_facts(said) == []  # no rule knows this phrasing: the fallback stores it
    await tell(agent, resources, tenant, user, said)
    facts = await resources.facts.history(Identity(tenant, user, "-"))
    assert [(f.value["value"], f.value["current"], f.value["extractor"]) for f in facts] == [
        (said, True, "meaning")
    ]
    out = await ask(agent, new_config(tenant, user), "What's my dog called?")
    assert "Pepper" in out["citations"][0]["snippet"], out["citations"]

    later = "Biscuit the beagle pup keeps stealing my socks."
    await tell(agent, resources, tenant, user, later)
    facts = await resources.facts.history(Identity(tenant, user, "-"))
    assert [(f.value["value"], f.value["current"]) for f in facts] == [
        (said, False),
        (later, True),
    ]
    out = await ask(agent, new_config(tenant, user), "What's my dog called?")
    assert "Biscuit" in out["citations"][0]["snippet"], out["citations"]

    # A private turn (incognito thread) stores no fact, by rule or by meaning.
    private = "Spent the whole weekend on the river with the rowing crew."
    await agent.ainvoke(
        {"messages": [HumanMessage(private)]},
        new_config(tenant, user),
        context=Context(incognito=True),
    )
    await drain(resources)
    history = await resources.facts.history(Identity(tenant, user, "-"))
    assert len(history) == 2 and all("rowing" not in f.value["text"] for f in history)
