"""The offline answer gate on what it quotes first, in English and Portuguese.

The real default embedding model (USE) and the shipped attribute weights read the questions
and the recalled sentences (`graph.semantic_evidence.read_evidence`); passages carry the
scores retrieval gives them. None of these sentences are in the attribute bank or the chat
eval sets.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from graph.extractive import PHRASES, extractive_answer
from graph.semantic_evidence import read_evidence
from memory.fact_semantics import load
from tests.answers import MANUAL, MEMORY
from tests.answers import page as _page
from tests.answers import said as _said


def _answer(model, classifier, question, context, route=MEMORY, **thresholds):
    if thresholds:
        classifier = type(classifier).__new__(type(classifier))
        classifier.__dict__.update(load("use").__dict__)
        classifier.thresholds = replace(classifier.thresholds, **thresholds)
    semantics = asyncio.run(read_evidence(classifier, model, question, context))
    return extractive_answer(
        question, context, route, calibration=model.calibration, semantics=semantics
    )


NEVER_TOLD = [
    (
        "Do you know my name?",
        [
            _said("m1", "oh and Pickle, our old spaniel, says hello.", 0.4),
            _said("m2", "Long shift at the Royal Infirmary today, my feet are done.", 0.3),
        ],
        "en",
    ),
    (
        "Sabes qual é o meu nome?",
        [
            _said("m1", "Ah, e o Tobias, o nosso labrador, manda beijinhos.", 0.4),
            _said("m2", "Hoje o turno no Hospital de Santo António foi longo.", 0.3),
        ],
        "pt",
    ),
]


@pytest.mark.parametrize(("question", "context", "language"), NEVER_TOLD)
def test_a_never_told_attribute_is_not_answered_with_another_ones_statement(
    model, classifier, question, context, language
):
    # A pet's name reads a little like a name; it is a statement about a pet.
    message, citations = _answer(model, classifier, question, context)
    assert citations == [], citations
    assert message.text.startswith(PHRASES[language]["unknown"])
    _, before = _answer(model, classifier, question, context, margin=0.0)
    assert before, "without the margin the pet's sentence answers (the test would prove nothing)"


MOVES = [
    (
        "Where do I live now?",
        "I live in Leeds, ten minutes from the station.",
        "Big news: we moved to Manchester last month!",
        "Manchester",
    ),
    (
        "Onde é que eu moro agora?",
        "Moro em Braga desde pequena.",
        "Mudei-me para Coimbra no mês passado, finalmente!",
        "Coimbra",
    ),
]


@pytest.mark.parametrize(("question", "old", "new", "city"), MOVES)
def test_a_moved_users_new_city_is_cited_first(model, classifier, question, old, new, city):
    # The reranker likes the old sentence (it shares "live"); the newer statement of the same
    # attribute holds, however low it scored.
    context = [
        _said("old", old, 0.45, "2026-01-01T10:00:00"),
        _said("chat", "Thanks, that export worked perfectly.", 0.35, "2026-01-02T10:00:00"),
        _said("new", new, 0.2, "2026-02-01T10:00:00"),
    ]
    _, citations = _answer(model, classifier, question, context)
    assert citations and city in citations[0]["snippet"], citations


PAGES = [
    (
        "No plano gratuito, até quando consigo recuperar uma versão antiga de uma nota?",
        _page(
            "pt",
            "## Em quantos dispositivos posso usar a conta?\n\nNo plano Free você pode "
            "conectar até 2 dispositivos.",
            0.36,
            0.22,
        ),
        _page(
            "en",
            "## Version history\n\nEvery time a note is saved we keep the previous "
            "version. On the Free plan version history goes back 7 days.",
            0.35,
            0.55,
        ),
        "7 days",
    ),
    (
        "Can someone without an account open a note I share with a link?",
        _page(
            "en",
            "## Exporting your data\n\nYou can export a single note, a notebook or "
            "your whole account.",
            0.42,
            0.36,
        ),
        _page(
            "pt",
            "## Como compartilho uma nota?\n\nTambém é possível criar um link público, "
            "somente leitura: quem tem o link abre a nota sem ter conta.",
            0.34,
            0.48,
        ),
        "sem ter conta",
    ),
]


@pytest.mark.parametrize(("question", "same", "other", "expected"), PAGES)
def test_a_question_is_answered_from_the_page_in_the_other_language(
    model, classifier, question, same, other, expected
):
    # The reranker reads shared words and prefers the page in the question's language; the
    # multilingual embedding finds the page that answers.
    _, citations = _answer(model, classifier, question, [same, other], MANUAL)
    assert citations and expected in citations[0]["snippet"], citations


def test_a_first_person_question_about_the_product_is_answered_from_the_manual(model, classifier):
    page = _page("kb", "Pro customers get a first reply within 8 hours on working days.", 0.4, 0.3)
    question = "I'm on Pro. How soon will I hear back from support?"
    _, citations = _answer(model, classifier, question, [page], MANUAL)
    assert citations and "8 hours" in citations[0]["snippet"]
    # Sent to memory too, only the classifier's "asks nothing of the user" tells it from a
    # question about the user (sent to the manual alone, the route says so as well).
    message, before = _answer(model, classifier, question, [page], MEMORY, product=1.1)
    assert before == [] and message.text.startswith(PHRASES["en"]["unknown"])
    _, citations = _answer(model, classifier, question, [page], MEMORY)
    assert citations and "8 hours" in citations[0]["snippet"]


def test_a_question_about_the_user_without_a_pronoun_is_answered_from_memory(model, classifier):
    # Portuguese drops the pronoun: "trabalho" is the user's, though no "eu" says so.
    said = _said("m1", "Sou advogada num escritório pequeno no centro.", 0.35)
    _, citations = _answer(model, classifier, "Trabalho em que área, lembras-te?", [said])
    assert citations and "advogada" in citations[0]["snippet"]
