"""Statements labelled once by the outbox worker reach a new thread's context (real stores).

The phrasings carry no word the rules know for their attribute; the worker's labels
(memory/statement_labels.py) and the `stated` leg bring them to the question anyway, newest
first, and the answer gate reads the labels instead of embedding the sentences again.
"""

from __future__ import annotations

import pytest

from memory import statement_labels
from memory.fact_extraction import extract_facts
from memory.fact_questions import states
from storage.tenancy import tenant_connection, tenant_scope
from tests.integration.test_live_memory import answer, ask, new_user, tell
from tests.support import new_config
from text.acts import statement_sentences
from text.said_of_user import said_of_user

pytestmark = pytest.mark.integration

HOBBY_EN = (
    "Most mornings before work you'll find me on the river, eight of us in one boat, "
    "pulling oars till our hands blister."
)
HOME_PT = "A renda do nosso T2 em Almada subiu outra vez, o senhorio é impossível."
HOBBY_PT = "Passo horas agarrada às agulhas e à lã, já fiz seis camisolas este inverno."
# What else the user said, each in a thread of its own: more than the context holds.
SMALL_TALK = [
    "Can I export a notebook as PDF?",
    "The weather has been awful all week, the trains are a mess.",
    "My sister finally passed her driving test, third time lucky.",
    "I keep forgetting to water the basil on the windowsill.",
    "Our team meeting ran two hours over today, nobody had an agenda.",
    "The new phone update moved all my icons around, so annoying.",
    "Fiquei a ver séries até às tantas, hoje estou um zombie.",
    "A minha vizinha fez um bolo de laranja e trouxe-nos uma fatia.",
    "O meu irmão passa os domingos a ver futebol no sofá.",
    "Hoje o trânsito na ponte estava impossível, cheguei tarde a tudo.",
    "Dá para mudar a cor de uma etiqueta depois de a criar?",
    "Esqueci-me do guarda-chuva e apanhei uma molha valente.",
]
# A relative's animal and the user's in one message (`text.said_of_user`).
SISTERS_CAT = "My sister has a cat called Kipper, I have a dog called Bramble."
BEFORE = "The rent on our Sheffield terrace went up again, the landlord is a nightmare."
AFTER = "We finally sold up, and the new place in York is tiny but we love it."


def test_the_rules_alone_find_nothing_in_these_phrasings():
    assert extract_facts(HOBBY_EN) == [] and not states(HOBBY_EN, "hobby")
    assert extract_facts(HOBBY_PT) == [] and not states(HOBBY_PT, "hobby")
    assert extract_facts(HOME_PT) == [] and not states(HOME_PT, "home")


async def labels_of(resources, tenant: str, user: str) -> int:
    async with tenant_connection(resources.pool, tenant) as conn:
        row = await (
            await conn.execute(
                f"SELECT count(*) AS n FROM {statement_labels.TABLE}"
                " WHERE tenant_id = %s AND user_id = %s",
                (tenant, user),
            )
        ).fetchone()
    return int(row["n"])


def conversation(out: dict) -> list[str]:
    """What the user said, in context: as a message or, kept as a fact, in their words."""
    said = ("conversation", "facts")
    return [c["content"] for c in out["context"] if c["source"] in said]


@pytest.mark.parametrize(
    ("said", "question"),
    [(HOBBY_EN, "What do I do in my free time?"), (HOME_PT, "Onde é que eu vivo?")],
)
async def test_a_statement_in_words_no_rule_knows_reaches_a_new_thread(
    agent, resources, said, question
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, *SMALL_TALK, said)
    out = await ask(agent, new_config(tenant, user), question)
    assert said in conversation(out), out["context"]


async def test_the_latest_statement_of_an_attribute_comes_first(agent, resources):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, BEFORE, *SMALL_TALK)
    await tell(agent, resources, tenant, user, AFTER)
    out = await ask(agent, new_config(tenant, user), "Which town do I call home these days?")
    said = conversation(out)
    assert AFTER in said and said.index(AFTER) < (said.index(BEFORE) if BEFORE in said else 99)


async def test_the_gate_reads_stored_labels_instead_of_embedding_sentences(
    agent, resources, monkeypatch
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, HOBBY_EN)
    embedded = counting_documents(resources, monkeypatch)
    out = await ask(agent, new_config(tenant, user), "What do I do in my free time?")
    assert HOBBY_EN in conversation(out) and embedded == []

    # Without the labels (a message indexed before they existed), the gate embeds it.
    async with tenant_connection(resources.pool, tenant) as conn:
        await conn.execute(f"DELETE FROM {statement_labels.TABLE} WHERE user_id = %s", (user,))
    await ask(agent, new_config(tenant, user), "What do I do in my free time?")
    assert embedded


def counting_documents(resources, monkeypatch) -> list[str]:
    """Return the list every text the embeddings embed as a stored text goes into from now."""
    embedded: list[str] = []
    real = resources.embeddings.aembed_documents

    async def counting(texts: list[str]) -> list[list[float]]:
        embedded.extend(texts)
        return await real(texts)

    monkeypatch.setattr(resources.embeddings, "aembed_documents", counting)
    return embedded


async def own_labels(resources, tenant: str, user: str) -> dict[str, tuple[float, float | None]]:
    async with tenant_connection(resources.pool, tenant) as conn:
        rows = await (
            await conn.execute(
                f"SELECT attribute, probability, own FROM {statement_labels.TABLE}"
                " WHERE tenant_id = %s AND user_id = %s",
                (tenant, user),
            )
        ).fetchall()
    return {r["attribute"]: (r["probability"], r["own"]) for r in rows}


async def test_a_relatives_animal_beside_the_users_is_told_apart_from_stored_labels(
    agent, resources, monkeypatch
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, SISTERS_CAT)
    # The worker stored what the user's own clause states, beside the whole message's labels.
    stored = await own_labels(resources, tenant, user)
    assert stored["pet"][1] is not None, stored
    embedded = counting_documents(resources, monkeypatch)

    dog = await ask(agent, new_config(tenant, user), "What's my dog called?")
    assert "Bramble" in answer(dog)
    cat = await ask(agent, new_config(tenant, user), "What is my cat's name?")
    assert "Kipper" not in answer(cat), answer(cat)
    # The gate read the message's own clauses from the store: nothing embedded on the read path.
    assert embedded == []


async def test_a_message_labelled_before_own_clauses_were_stored_is_read_by_embedding_uncached(
    agent, resources, monkeypatch
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, SISTERS_CAT)
    async with tenant_connection(resources.pool, tenant) as conn:
        await conn.execute(
            f"UPDATE {statement_labels.TABLE} SET own = NULL WHERE user_id = %s", (user,)
        )
    embedded = counting_documents(resources, monkeypatch)
    cat = await ask(agent, new_config(tenant, user), "What is my cat's name?")
    assert "Kipper" not in answer(cat), answer(cat)
    assert "I have a dog called Bramble." in embedded
    # Not cached: forgetting the user drops their messages' and statement sentences' vectors,
    # which would miss this clause's.
    await resources.storage.speed.settle()
    key = resources.embeddings.key("I have a dog called Bramble.", "p", tenant)
    assert not await resources.storage.speed.redis.exists(key)


async def test_forgetting_the_user_removes_the_labels(agent, resources):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, HOBBY_PT, AFTER)
    assert await labels_of(resources, tenant, user) >= 2
    await resources.forgetter.forget_user(tenant, user)
    assert await labels_of(resources, tenant, user) == 0


async def test_forgetting_the_user_drops_own_clause_vectors_an_older_gate_cached(agent, resources):
    # Gates before session 10 embedded (and cached) a message's clauses about the user alone,
    # which are not among its sentences once a relative's thing is cut out of one.
    tenant, user = new_user()
    told = "O cão da minha irmã é o Rex e eu tenho um gato chamado Tufão."
    await tell(agent, resources, tenant, user, told)
    (own,) = statement_sentences(said_of_user(told))
    assert own not in statement_sentences(told)
    with tenant_scope(tenant):
        await resources.embeddings.aembed_documents([own])
    await resources.storage.speed.settle()
    key = resources.embeddings.key(own, "p", tenant)
    assert await resources.storage.speed.redis.exists(key)
    await resources.forgetter.forget_user(tenant, user)
    assert not await resources.storage.speed.redis.exists(key)
