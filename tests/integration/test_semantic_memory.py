"""Facts said in words no rule knows are still recalled; what was never said is not (real stores).

The offline extractor stores nothing for these phrasings and the word rules see no attribute
in them: the semantic attribute layer (memory/fact_semantics.py) reads them by meaning.
"""

from __future__ import annotations

import pytest

from graph.extractive import PHRASES
from memory.fact_extraction import extract_facts
from memory.fact_questions import states
from tests.integration.test_live_memory import answer, ask, new_user, tell
from tests.support import new_config

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
