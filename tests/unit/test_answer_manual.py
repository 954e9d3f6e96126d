"""A question the router sent to the manual alone is answered from it, first person or not.

The real default embedding model (USE) and the shipped attribute weights read the questions,
as in `test_answer_gate.py`. None of these sentences are in the chat eval sets.
"""

from __future__ import annotations

import asyncio

import pytest

from graph.extractive import PHRASES, extractive_answer
from graph.semantic_evidence import read_evidence
from tests.answers import MANUAL, MEMORY, page


@pytest.mark.parametrize(
    ("question", "content", "language"),
    [
        (
            "I'm on a flight tomorrow with no wifi, what happens to my notes if I edit them?",
            "You edit notes without a connection too; changes sync once you are back online.",
            "en",
        ),
        (
            "Vou estar num voo amanhã sem internet, o que acontece às minhas notas se as editar?",
            "Pode editar notas sem ligação; as alterações sincronizam quando voltar a ter rede.",
            "pt",
        ),
    ],
)
def test_a_first_person_question_sent_to_the_manual_quotes_it(
    model, classifier, question, content, language
):
    context = [page("p1", content, 0.5, 0.2)]
    semantics = asyncio.run(read_evidence(classifier, model, question, context))
    reply, citations = extractive_answer(
        question, context, MANUAL, calibration=model.calibration, semantics=semantics
    )
    assert citations and citations[0]["id"] == "p1", reply.text
    # Sent to memory as well, the same words still ask about the user: a page sharing a
    # word or two is no answer about them.
    reply, citations = extractive_answer(
        question, context, MEMORY, calibration=model.calibration, semantics=semantics
    )
    assert citations == [] and reply.text.startswith(PHRASES[language]["unknown"])
