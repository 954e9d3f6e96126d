"""Live memory across threads, in English and Portuguese, on real Postgres and Redis.

What a user tells memoria in one thread answers their questions in the next; what they only
asked, and what memoria answered, is never quoted back as something they said; and what they
never said is answered with "I don't know" rather than with the nearest thing found.
"""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage

from graph.context import Context
from graph.extractive import PHRASES
from tests.support import drain, new_config

pytestmark = pytest.mark.integration


async def ask(agent, config: dict, text: str) -> dict:
    return await agent.ainvoke({"messages": [HumanMessage(text)]}, config, context=Context())


def answer(output: dict) -> str:
    return output["messages"][-1].text


def new_user() -> tuple[str, str]:
    return f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"


async def tell(agent, resources, tenant: str, user: str, *said: str) -> None:
    """Say each of `said` in a thread of its own, then let the worker index them."""
    for text in said:
        await ask(agent, new_config(tenant, user), text)
    await drain(resources)


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        (
            ["Oi! Eu me chamo Beatriz e moro em Curitiba.", "Tenho uma gata que se chama Pipoca."],
            [
                ("Como é que eu me chamo?", "Beatriz"),
                ("Em que cidade eu moro?", "Curitiba"),
                ("Qual é o nome da minha gata?", "Pipoca"),
            ],
        ),
        (
            ["Hey, Tomasz here. I'm based in Gdansk these days.", "We adopted a terrier, Rufus."],
            [
                ("Do you remember my name?", "Tomasz"),
                ("Which city am I in?", "Gdansk"),
                ("What's my dog's name again?", "Rufus"),
            ],
        ),
    ],
    ids=["pt", "en"],
)
async def test_facts_told_in_earlier_threads_answer_questions_in_a_new_one(
    agent, resources, said, asked
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, *said)
    for question, expected in asked:
        out = await ask(agent, new_config(tenant, user), question)
        assert out["citations"], question
        assert expected in out["citations"][0]["snippet"], (question, out["citations"])
        assert expected in answer(out), question


async def test_a_portuguese_answer_is_given_in_portuguese(agent, resources):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, "Sou alérgica a amendoim, não posso comer nada.")
    out = await ask(agent, new_config(tenant, user), "Eu tenho alguma alergia?")
    assert "amendoim" in out["citations"][0]["snippet"]
    assert PHRASES["pt"]["intro"] in answer(out)
    assert PHRASES["en"]["intro"] not in answer(out)


@pytest.mark.parametrize(
    ("language", "said", "never_told"),
    [
        ("en", "I work as a nurse in Leeds.", "What's my sister's name?"),
        ("pt", "Trabalho como enfermeira em Braga.", "Como se chama o meu irmão?"),
    ],
)
async def test_what_was_never_told_is_answered_with_i_dont_know(
    agent, resources, language, said, never_told
):
    tenant, user = new_user()
    await tell(agent, resources, tenant, user, said)
    out = await ask(agent, new_config(tenant, user), never_told)
    assert answer(out).startswith(PHRASES[language]["unknown"])
    assert out["citations"] == []


async def test_a_question_the_user_asked_is_not_evidence_of_the_answer(agent, resources):
    tenant, user = new_user()
    # Asked, never answered: "where do I live?" says nothing about where they live.
    await tell(agent, resources, tenant, user, "Where do I live? Do you know where I live?")
    await tell(agent, resources, tenant, user, "I play the cello in an amateur orchestra.")

    out = await ask(agent, new_config(tenant, user), "Where do I live?")
    assert answer(out).startswith(PHRASES["en"]["unknown"])
    assert all("Where do I live" not in c["snippet"] for c in out["citations"])

    out = await ask(agent, new_config(tenant, user), "What instrument do I play?")
    assert "cello" in out["citations"][0]["snippet"]


async def test_what_memoria_answered_is_not_quoted_as_what_the_user_said(
    agent, resources, kb_tenant
):
    user = f"u-{uuid.uuid4().hex[:8]}"
    # memoria's reply quotes the billing page ("14 days"); the user said nothing about refunds.
    first = await ask(agent, new_config(kb_tenant, user), "How long do I have to ask for a refund?")
    assert "14 days" in answer(first)
    await drain(resources)

    out = await ask(agent, new_config(kb_tenant, user), "What did I tell you about my refund?")
    said = [c for c in out.get("context", []) if c["source"] == "conversation"]
    assert all(c["metadata"].get("role") != "ai" for c in said)
    assert all(
        c["source"] != "conversation" or "14 days" not in c["snippet"] for c in out["citations"]
    )

    # Asked about what memoria said, its answer is the evidence.
    out = await ask(agent, new_config(kb_tenant, user), "What did you tell me about refunds?")
    assert any("14 days" in c["snippet"] for c in out["citations"])


async def test_a_portuguese_question_finds_a_page_written_in_english(agent, kb_tenant):
    # billing.md is English only; the Portuguese FAQ says nothing about the student discount.
    out = await ask(agent, new_config(kb_tenant), "Os estudantes têm desconto no plano Plus?")
    assert "billing.md" in out["citations"][0]["title"]
    assert "50%" in out["citations"][0]["snippet"]
