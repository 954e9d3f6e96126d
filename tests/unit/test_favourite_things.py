"""Favourites in Portuguese and English: the thing is the noun, and a favourite needs its thing.

Portuguese names the thing before "favorito"/"preferido" and the possessive before the
thing ("a minha sobremesa preferida"), or the value first ("moqueca é o meu prato
favorito"): the possessive is never the thing, or any message with "meu" would state it. A
favourite asked with its thing is answered by that thing in any of its words (comida is
prato, bebida is drink) and by no other ("my favourite drink?" is not "my favourite dish").
The real default embedding model and attribute weights read the questions, as in
`test_answer_leaning.py`. None of these sentences are in the chat eval sets.
"""

from __future__ import annotations

import pytest

from graph.statement_order import answers
from memory.fact_extraction import extract_facts
from memory.fact_questions import asked_attributes, states
from retrievers.boosts import boost_asked_facts
from tests.answers import answer as _answer
from tests.answers import fact, said
from tests.answers import unknown as _unknown

CONVERSA = said("m9", "Semana comprida, a impressora encravou e o comboio atrasou.", 0.3)
SMALL_TALK = said("m9", "Long week, the printer jammed twice and the train was late.", 0.3)


@pytest.mark.parametrize(
    ("message", "attribute", "value"),
    [
        ("A nossa sobremesa preferida é pudim de leite.", "favourite:sobremesa", "pudim de leite"),
        ("Moqueca de peixe é o meu prato favorito", "favourite:prato", "Moqueca de peixe"),
        ("azul-marinho é a minha cor preferida!", "favourite:cor", "azul-marinho"),
        ("Série favorita é Dark.", "favourite:serie", "Dark"),
        ("A fruta que eu mais gosto é a manga", "favourite:fruta", "manga"),
        ("o que mais gosto de beber é mate gelado", "favourite:drink", "mate gelado"),
        ("Lisbon is my favourite city", "favourite:city", "Lisbon"),
    ],
)
def test_a_favourite_is_kept_under_its_thing(message, attribute, value):
    found = [(f.attribute, f.value) for f in extract_facts(message)]
    assert (attribute, value) in found, found


@pytest.mark.parametrize(
    "message",
    [
        "O meu favorito é o Benfica.",
        "a minha preferida é a de morango",
        "Isso é o meu prato preferido",
        "mango sorbet is my favourite too",
    ],
)
def test_no_possessive_pronoun_or_article_is_a_favourite_thing(message):
    assert not any(f.attribute.startswith("favourite") for f in extract_facts(message))


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("E a minha sobremesa preferida, qual é?", "favourite:sobremesa"),
        ("qual é a fruta que eu mais gosto?", "favourite:fruta"),
        ("E o vinho de que mais gosto, sabes?", "favourite:vinho"),
        ("O que é que eu mais gosto de comer?", "favourite:food"),
        ("Lembras-te do meu filme favorito?", "favourite:filme"),
        ("Qual é o meu favorito?", "favourite"),
    ],
)
def test_a_favourite_is_asked_with_its_thing_never_the_possessive(question, attribute):
    asked = asked_attributes(question)
    assert attribute in asked, asked
    assert not any(
        a in {"favourite:meu", "favourite:minha", "favourite:o", "favourite:a"} for a in asked
    )


@pytest.mark.parametrize(
    ("held", "asked", "expected"),
    [
        ("favourite:prato", "favourite:comida", True),
        ("favourite:drink", "favourite:bebida", True),
        ("favourite:food", "favourite:meals", True),
        ("favourite:prato", "favourite:bebida", False),
        ("favourite:dish", "favourite:drink", False),
    ],
)
def test_a_stored_favourite_answers_its_thing_in_other_words(held, asked, expected):
    assert answers(fact("f1", "x", held, 0.5), [asked]) is expected


def test_the_stored_favourite_of_the_thing_asked_is_lifted_whatever_its_word():
    kept = [
        said("m1", "Fui ao mercado de manhã.", 0.9),
        fact("f1", "Favorito do usuário (prato): moqueca.", "favourite:prato", 0.1),
    ]
    lifted = boost_asked_facts(kept, ["favourite:comida"], 0.2)
    assert lifted[0]["id"] == "f1"


@pytest.mark.parametrize(
    ("question", "message", "language"),
    [
        (
            "Qual é a minha bebida preferida?",
            said("m1", "Hoje fiz moqueca, o meu prato preferido, para a família toda.", 0.4),
            "pt",
        ),
        (
            "Qual é o meu favorito?",
            said("m1", "O meu irmão chega amanhã do Recife com as crianças.", 0.4),
            "pt",
        ),
        (
            "What's my favourite drink?",
            said("m1", "Made a shepherd's pie tonight, my favourite dish since I was a kid.", 0.4),
            "en",
        ),
    ],
)
def test_a_favourite_never_told_is_not_answered_by_another_thing(
    model, classifier, question, message, language
):
    chat = SMALL_TALK if language == "en" else CONVERSA
    _unknown(model, classifier, question, [message, chat], language)


@pytest.mark.parametrize(
    ("question", "message", "expected"),
    [
        (
            "Qual é a minha comida favorita?",
            said("m1", "Hoje fiz moqueca, o meu prato preferido, para a família toda.", 0.4),
            "moqueca",
        ),
        (
            "What's my favourite drink?",
            said("m1", "Trouxe mate do Uruguai, a minha bebida preferida de sempre.", 0.4),
            "mate",
        ),
    ],
)
def test_a_favourite_told_in_other_words_is_answered(
    model, classifier, question, message, expected
):
    _, citations = _answer(model, classifier, question, [message, CONVERSA])
    assert citations and expected in citations[0]["snippet"], citations


def test_another_word_for_the_thing_is_evidence_only_when_it_says_a_favourite():
    assert states("Esta moqueca é o meu prato preferido.", "favourite:comida")
    assert not states("Vou guardar uma nota com a comida da semana.", "favourite:prato")
    assert not states("I'll keep a food note for the clinic.", "favourite:dish")


def test_what_the_user_prefers_is_still_told_by_a_favourite_without_its_thing(model, classifier):
    # a drink preferred in "a minha preferida" (no thing named) still answers a drink asked
    message = said("m1", "De manhã tomo sempre um mate, o de hortelã é o meu preferido.", 0.4)
    _, citations = _answer(model, classifier, "O que é que eu gosto de beber?", [message, CONVERSA])
    assert citations and "mate" in citations[0]["snippet"], citations
