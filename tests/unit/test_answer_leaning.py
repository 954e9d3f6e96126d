"""Questions the gate refused though the answer was there: a lean, a favourite without its thing.

"Remind me of my town." names no attribute a word rule knows, and the classifier is not
sure enough of it to say so; with nothing else quotable the answer was "I don't know",
though the user's home was stored. A lean (`graph.semantic_evidence.LEANING`) lets the
stored fact of that attribute answer, and only when the question does not ask when (a fact
holds no date) nor a detail the fact lacks. The real default embedding model (USE) and the
shipped attribute weights read the questions, as in `test_answer_gate.py`. A favourite
asked without its thing ("which fruit is my favourite?") is answered by the user's "my
favourite ..." (`graph.quotable._says_favourite`); with its thing, only that thing. None of
these sentences are in the attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer as _answer
from tests.answers import fact, said
from tests.answers import unknown as _unknown

SMALL_TALK = said("m9", "Long week, the printer jammed twice and the train was late.", 0.3)
CONVERSA = said("m9", "Semana comprida, a impressora encravou e o comboio atrasou.", 0.3)


@pytest.mark.parametrize(
    ("question", "stored", "chat", "expected"),
    [
        (
            "Remind me of my town.",
            fact("f1", "The user lives in Galway.", "home", 0.2),
            SMALL_TALK,
            "Galway",
        ),
        (
            "Who is the man I'm with these days?",
            fact("f1", "The user's partner is called Ruairí.", "partner", 0.2),
            SMALL_TALK,
            "Ruairí",
        ),
        (
            "A minha cidade, lembras-te?",
            fact("f1", "O usuário mora em Braga.", "home", 0.2),
            CONVERSA,
            "Braga",
        ),
    ],
)
def test_the_fact_leaned_to_answers_a_question_naming_no_attribute(
    model, classifier, question, stored, chat, expected
):
    _, citations = _answer(model, classifier, question, [chat, stored])
    assert citations and expected in citations[0]["snippet"], citations


def test_a_lean_does_not_answer_when(model, classifier):
    # a fact holds no date: "when" is never answered by the partner's name
    stored = fact("f1", "The user's partner is called Ruairí.", "partner", 0.2)
    _unknown(model, classifier, "When did I start dating him?", [SMALL_TALK, stored], "en")


PLUMS = said("m1", "Picked up plums at the market, easily my favourite fruit of the summer.", 0.3)


def test_a_favourite_asked_without_its_thing_is_answered_in_favourite_words(model, classifier):
    # "which fruit is my favourite?" names no thing after the word: the user's own
    # "my favourite ..." answers it
    _, citations = _answer(model, classifier, "Which fruit is my favourite?", [PLUMS, SMALL_TALK])
    assert citations and "plums" in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("question", "message", "language"),
    [
        ("What's my favourite colour?", PLUMS, "en"),
        (
            "Qual é a minha cor preferida?",
            said("m1", "Ontem fiz bacalhau à Brás, o meu prato preferido desde sempre.", 0.3),
            "pt",
        ),
    ],
)
def test_a_favourite_asked_with_its_thing_needs_that_thing(
    model, classifier, question, message, language
):
    chat = SMALL_TALK if language == "en" else CONVERSA
    _unknown(model, classifier, question, [message, chat], language)
