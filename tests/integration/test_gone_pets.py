"""A pet the user says is gone stops being a current fact; a new pet is recorded (real stores).

Pets are not single-valued (a user may keep a dog and a cat), so a new pet does not close the
old one the way a move closes the old home: the user's own "we lost Pepper" does.
"""

from __future__ import annotations

import pytest

from storage.identity import Identity
from tests.integration.test_live_memory import ask, new_user, tell
from tests.support import new_config

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("before", "after", "question", "old", "new"),
    [
        (
            "Pepper, my collie, sleeps under my desk.",
            "Sad news, we lost Pepper in May. We've since adopted a puppy, Juno.",
            "What's my dog called now?",
            "Pepper",
            "Juno",
        ),
        (
            "A Nina, a nossa gata, dorme no teclado.",
            "A Nina fugiu e não voltou. Adotámos outra gata, a Lua.",
            "Como se chama a minha gata agora?",
            "Nina",
            "Lua",
        ),
    ],
)
async def test_a_pet_said_to_be_gone_is_closed_and_the_new_one_answers(
    agent, resources, before, after, question, old, new
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, before)
    await tell(agent, resources, tenant, user, after)
    history = await resources.facts.history(Identity(tenant, user, "-"), attribute="pet")
    assert [(f.value["value"], f.value["current"]) for f in history] == [(old, False), (new, True)]
    out = await ask(agent, new_config(tenant, user), question)
    facts = [c["content"] for c in out["context"] if c["source"] == "facts"]
    assert facts and new in facts[0] and not any(old in f for f in facts), out["context"]


async def test_a_name_that_is_no_pet_of_the_user_closes_nothing(agent, resources):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, "Pepper, my collie, sleeps under my desk.")
    await tell(agent, resources, tenant, user, "We lost Tuesday to meetings. Sinatra died in 1998.")
    history = await resources.facts.history(Identity(tenant, user, "-"), attribute="pet")
    assert [(f.value["value"], f.value["current"]) for f in history] == [("Pepper", True)]
