"""Asked their job or employer, the user's first-person statement of it is quoted first.

A newer message that uses the words of a job for someone else ("the doctor said…", "a
enfermeira marcou-me…") is no statement of the user's own, however the reranker or the stored labels
liked it. The real default embedding model (USE) and the shipped attribute weights read the
questions and messages; none of these sentences are in the attribute bank or the eval sets.
"""

from __future__ import annotations

import asyncio

import pytest

from graph.extractive import extractive_answer
from graph.semantic_evidence import read_evidence
from tests.answers import MEMORY
from tests.answers import said as _said

OWN_WORK = [
    (
        "what's my job?",
        "I'm a bus driver on the 42 route, mornings mostly.",
        "The doctor said my back needs rest, the physio works on it twice a week now.",
        "bus driver",
    ),
    (
        "what's my line of work?",
        "I'm a locksmith, mostly lockouts and new deadbolts.",
        "The nurse at the clinic said keep the dressing dry, and the surgeon wants me Friday.",
        "locksmith",
    ),
    (
        "what do I do for a living?",
        "I work as a welder in the shipyard, same crew for years.",
        "The dentist says I need a crown, and the hygienist booked me for Tuesday.",
        "welder",
    ),
    (
        "Qual é a minha profissão?",
        "Sou eletricista, passo o dia a trocar quadros elétricos em prédios velhos.",
        "O médico disse que tenho de descansar, e a fisioterapeuta agora trabalha comigo à terça.",
        "eletricista",
    ),
    (
        "O que é que eu faço profissionalmente?",
        "Sou padeiro, às três da manhã já estou a amassar.",
        "A dentista disse que preciso de um implante, e o enfermeiro marcou-me para terça.",
        "padeiro",
    ),
    (
        "qual é o meu emprego?",
        "Trabalho como jardineiro na câmara, trato dos parques da cidade.",
        "A médica de família mandou-me fazer análises e a enfermeira tirou-me sangue hoje.",
        "jardineiro",
    ),
]


@pytest.mark.parametrize(("question", "own", "theirs", "expected"), OWN_WORK)
def test_the_users_own_statement_of_their_work_is_cited_first(
    model, classifier, question, own, theirs, expected
):
    # The visit to the doctor is newer and better ranked: by the reranker and by the
    # newest statement of a one-value attribute, it went first.
    context = [
        _said("theirs", theirs, 0.45, "2026-02-01T10:00:00"),
        _said("own", own, 0.3, "2026-01-01T10:00:00"),
    ]
    semantics = asyncio.run(read_evidence(classifier, model, question, context))
    _, cited = extractive_answer(
        question, context, MEMORY, calibration=model.calibration, semantics=semantics
    )
    assert cited and expected in cited[0]["snippet"], cited
