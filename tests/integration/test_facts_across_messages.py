"""A fact told across two messages of a thread, or as the answer to a question (real stores).

"We adopted a kitten!" ... "We named her Pimenta": neither message alone says the user has a
kitten called Pimenta; asked later in a new thread, both the name and the kind are answered.
A bare "Mombasa." after the assistant asked where the user is based is where they live.
"""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from storage.identity import Identity
from tests.integration.test_live_memory import ask, new_user
from tests.support import drain, new_config

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("told", "questions"),
    [
        (
            ("Big day, we adopted a kitten from the shelter!",
             "We named her Pimenta, she already sleeps in the laundry basket."),
            (("What is my cat called?", "Pimenta"), ("Pimenta is what kind of animal?", "kitten")),
        ),
        (
            ("Ganhámos um cachorrinho no sábado, a miudagem está doida",
             "Chama-se Farelo e já roeu um chinelo."),
            (("Como se chama o meu cão?", "Farelo"), ("O Farelo é que bicho?", "cachorrinho")),
        ),
    ],
)  # fmt: skip
async def test_a_pet_named_after_its_kind_was_told_answers_both(agent, resources, told, questions):
    tenant, user = new_user()
    thread = new_config(tenant, user)
    for text in told:
        await ask(agent, thread, text)
    await drain(resources)
    for question, expected in questions:
        out = await ask(agent, new_config(tenant, user), question)
        assert out["citations"], out["context"]
        assert expected in out["citations"][0]["snippet"], (question, out["citations"])


async def test_a_bare_reply_to_the_assistants_question_is_recorded_as_its_answer(resources):
    tenant, user = new_user()
    ident = Identity(tenant, user, str(uuid.uuid4()))
    turns = [
        ("Hi! I'd like to try the shared notebooks.", "Happy to help. Where are you based?"),
        ("Mombasa.", "Thanks! And what do you do for work?"),
        ("Marine engineer at Kilindini Dockyard", "Noted."),
    ]
    for said, replied in turns:
        turn = [HumanMessage(said, id=str(uuid.uuid4())), AIMessage(replied, id=str(uuid.uuid4()))]
        await resources.conversation.append(ident, turn)
    await drain(resources)
    facts = await resources.facts.history(Identity(tenant, user, "-"))
    held = {(f.value["attribute"], f.value["value"]) for f in facts if f.value["current"]}
    assert {
        ("home", "Mombasa"),
        ("job", "Marine engineer"),
        ("workplace", "Kilindini Dockyard"),
    } <= held
