"""A manual page in the other language than the question, quoted when it clearly answers.

A bike-sharing app's help pages of our own, in English and Portuguese; the closeness of each
page to the question is the real default model's (USE), as retrieval would score it. None
of these sentences are in the chat eval sets.
"""

from __future__ import annotations

import asyncio

import numpy as np

from graph.extractive import PHRASES, extractive_answer
from graph.semantic_evidence import read_evidence
from retrievers.types import Candidate
from tests.answers import MANUAL, MEMORY
from text.language import detect

RIDE = "A ride longer than 45 minutes costs an extra euro for every started quarter of an hour."
LOST = "Lost or stolen bikes: report them in the app under Help > Report a problem."
DOCKS = "Docking stations close for maintenance on the first Monday of every month, 2 to 5 am."
TRAIN = "As bicicletas podem viajar no comboio fora das horas de ponta, dobradas ou não."


def _pages(model, question: str, texts: list[str]) -> list[Candidate]:
    """Return `texts` as retrieved manual passages in this order, scored as retrieval would."""
    asked = np.array(model.embed_query(question))
    vectors = np.array(model.embed_documents(texts))
    return [
        Candidate(
            id=f"p{i}",
            source="knowledge_base",
            content=text,
            metadata={"lang": detect(text), "source": f"page{i}.md"},
            scores={"vector": float(asked @ vector), "rerank": 0.4 - 0.05 * i},
            ranks={},
        )
        for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))
    ]


def _answer(model, classifier, question: str, context: list[Candidate], route=MANUAL):
    semantics = asyncio.run(read_evidence(classifier, model, question, context))
    return extractive_answer(
        question, context, route, calibration=model.calibration, semantics=semantics
    )


def test_a_portuguese_question_is_answered_from_the_english_page_that_ranks_first(
    model, classifier
):
    question = "Quanto custa a mais uma viagem muito longa?"
    context = _pages(model, question, [RIDE, TRAIN, LOST])
    # Below the gate's on-topic closeness, and no word in common with the question.
    assert context[0]["scores"]["vector"] < model.calibration.on_topic
    reply, citations = _answer(model, classifier, question, context)
    assert citations and citations[0]["id"] == "p0", reply.text
    assert reply.text.startswith(PHRASES["pt"]["intro"])


def test_a_page_ranked_first_but_not_the_closest_in_meaning_is_not_quoted(model, classifier):
    # The reranker put the English page first; the Portuguese one is closer in meaning, and
    # neither says anything of cyclists' favourite colours.
    question = "Qual é a cor preferida dos ciclistas?"
    context = _pages(model, question, [LOST, TRAIN])
    assert context[1]["scores"]["vector"] > context[0]["scores"]["vector"]
    reply, citations = _answer(model, classifier, question, context)
    assert citations == [], reply.text


def test_a_never_told_fact_is_still_not_answered_from_a_page_in_the_other_language(
    model, classifier
):
    question = "Em que dia é que eu faço anos?"
    context = _pages(model, question, [DOCKS, LOST])
    reply, citations = _answer(model, classifier, question, context, route=MEMORY)
    assert citations == [], reply.text
    assert reply.text.startswith(PHRASES["pt"]["unknown"])


def test_the_closest_page_in_the_other_language_goes_before_one_sharing_a_word(model, classifier):
    # The Portuguese page shares "viagem" and says nothing of what a long one costs.
    question = "Quanto custa a mais uma viagem muito longa?"
    group = "Uma viagem de grupo marca-se na aplicação, em Grupos, com um dia de antecedência."
    context = _pages(model, question, [RIDE, group, LOST])
    assert context[1]["scores"]["vector"] < context[0]["scores"]["vector"]
    reply, citations = _answer(model, classifier, question, context)
    assert [c["id"] for c in citations][:2] == ["p0", "p1"], reply.text
