"""What the classifier is sure a sentence states becomes a stored fact (real stores).

No word rule reads these phrasings: a "when"/"quando" clause opening the sentence, a job
told through what it does to the user's mornings. The worker labels them as it indexes the
message and keeps the sentence as a fact of that attribute (memory/fact_statements.py), so
a new thread's paraphrased question finds a stored fact, the newest statement of an
attribute that holds one value comes first, and a relative's job is not the user's.
"""

from __future__ import annotations

import pytest

from memory.fact_extraction import extract_facts
from tests.integration.test_live_memory import ask, new_user, tell
from tests.support import new_config

pytestmark = pytest.mark.integration

HOME_EN = "When we moved into the flat in Harrogate the boiler was already broken, typical."
HOME_PT = "Quando nos mudámos para Tavira, o senhorio prometeu pintar a casa."
BEFORE_EN = "Halverson Freight has had my mornings ever since I signed with them."
AFTER_EN = "These days my mornings belong to Brightwater Labs, I signed with them in March."
BEFORE_PT = "Desde que fui para a Tecnoferro ando sem tempo para nada."
AFTER_PT = "Agora passo os dias na Lumina Seguros, assinei contrato em março."
BROTHER_EN = "My brother has worked at Kestrel Aviation for years."
BROTHER_PT = "O meu irmão está na Kestrel Aviação há dois anos, no turno da noite."
FILLER = [
    "Can I export a notebook as PDF?",
    "The weather has been awful all week, the trains are a mess.",
    "Dá para mudar a cor de uma etiqueta depois de a criar?",
]


def facts(out: dict) -> list[str]:
    return [c["content"] for c in out["context"] if c["source"] == "facts"]


def test_the_rules_alone_read_none_of_these():
    for said in (HOME_EN, HOME_PT, BEFORE_EN, AFTER_EN, BEFORE_PT, AFTER_PT):
        assert extract_facts(said) == [], said


@pytest.mark.parametrize(
    ("said", "question"),
    [(HOME_EN, "Which town am I living in these days?"), (HOME_PT, "Em que terra é que eu vivo?")],
)
async def test_a_statement_opening_with_when_is_a_stored_fact_in_a_new_thread(
    agent, resources, said, question
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, *FILLER, said)
    out = await ask(agent, new_config(tenant, user), question)
    assert said in facts(out), out["context"]


@pytest.mark.parametrize(
    ("before", "after", "brother", "question", "theirs"),
    [
        (BEFORE_EN, AFTER_EN, BROTHER_EN, "Which company am I with?", "Kestrel"),
        (BEFORE_PT, AFTER_PT, BROTHER_PT, "Em que empresa é que eu trabalho?", "Kestrel"),
    ],
)
async def test_the_latest_statement_comes_first_and_a_relatives_job_is_not_the_users(
    agent, resources, before, after, brother, question, theirs
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, before, *FILLER)
    await tell(agent, resources, tenant, user, brother, after)
    out = await ask(agent, new_config(tenant, user), question)
    held = facts(out)
    assert held and held[0] == after, out["context"]
    assert not any(theirs in fact for fact in held), held
    first = [c for c in out["context"] if c["source"] in ("facts", "conversation")][0]
    assert first["content"] == after
