"""Never told: the name of a thing of the user's, a number, a size, an animal, a thing wished for.

A message that mentions the van does not say what the van is called; one about a blood test
does not give the blood group; a chameleon is not the kitten asked; "a Marta quer uma cadela"
names no dog of the user's. The real
default embedding model (USE) and the shipped attribute weights read the questions and the
recalled sentences, as in `test_answer_gate.py`. None of these sentences are in the attribute
bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer as _answer
from tests.answers import fact, said
from tests.answers import unknown as _unknown

NEVER_TOLD = [
    # a thing of the user's mentioned, never named
    (
        "What's my van called?",
        [
            said(
                "m1",
                "Loaded the van with the market stall at six, the whole van smells of cheese.",
                0.7,
            )
        ],
        "en",
    ),
    (
        "Como se chama a minha lancha?",
        [said("m1", "Passei o sábado a lavar a lancha, estou de rastos.", 0.7)],
        "pt",
    ),
    # a number or a code asked: a message on the topic holds none
    (
        "What's my blood type?",
        [said("m1", "Gave blood at the community centre today, felt a bit woozy after.", 0.7)],
        "en",
    ),
    (
        "Qual é o número do meu passaporte?",
        [said("m1", "Renovei o passaporte na semana passada, finalmente despachado.", 0.7)],
        "pt",
    ),
    # a size asked needs one
    (
        "What's my dress size?",
        [said("m1", "Found the perfect dress for my cousin's wedding, green silk.", 0.7)],
        "en",
    ),
    # an animal of a kind no list asks by is another animal than the one asked
    (
        "What's my kitten called?",
        [said("m1", "Our chameleon Ziggy turned bright green this morning.", 0.7)],
        "en",
    ),
    (
        "Como se chama o meu cão?",
        [said("m1", "A nossa iguana, a Princesa, fugiu do terrário outra vez.", 0.7)],
        "pt",
    ),
    # a thing someone else wants is no thing of the user's
    (
        "Como se chama a nossa cadela?",
        [said("m1", "A Marta quer uma cadela, mas no apartamento não dá.", 0.7)],
        "pt",
    ),
]


@pytest.mark.parametrize(("question", "context", "language"), NEVER_TOLD)
def test_a_name_or_number_never_told_is_not_answered(
    model, classifier, question, context, language
):
    _unknown(model, classifier, question, context, language)


TOLD = [
    (
        "What's our van called?",
        said("m1", "Our van Bessie broke down outside Kendal again, typical.", 0.7),
        "Bessie",
    ),
    (
        "Qual é o nome do meu barco?",
        said("m1", "O meu barco chama-se Maré Alta e está no porto de Sines.", 0.7),
        "Maré Alta",
    ),
    (
        "What's my blood type?",
        said("m1", "I'm O negative, so the blood bank rings me every few months.", 0.7),
        "O negative",
    ),
    (
        "Qual é a matrícula do meu carro?",
        said("m1", "A matrícula do carro é 45-XZ-12, apontei para não esquecer.", 0.7),
        "45-XZ-12",
    ),
    # a pet asked by a word no kind list knows, named in the words of its kind
    (
        "Como se chama o meu rafeiro?",
        said("m1", "O meu cão rafeiro é o Farrusco, guarda a quinta toda.", 0.7),
        "Farrusco",
    ),
    (
        "what's our tortoiseshell called",
        said("m1", "Our tortoiseshell cat is ancient, the kids named her Marmalade.", 0.7),
        "Marmalade",
    ),
    (
        "What's the name of my shop?",
        said("m1", "Thistle & Thread, my little shop, turned five this week.", 0.7),
        "Thistle",
    ),
]


@pytest.mark.parametrize(("question", "stored", "value"), TOLD)
def test_a_name_or_number_told_is_still_cited_first(model, classifier, question, stored, value):
    _, citations = _answer(model, classifier, question, [stored])
    assert citations and value in citations[0]["snippet"], citations


def test_a_pet_asked_by_a_word_for_any_animal_is_still_named():
    # "our bird" is not the word the user named it by ("Pip, our budgie"): a name put
    # beside something of the user's still answers; a pet's fact too.
    from graph.asked_detail import asked_detail, holds

    detail = asked_detail("Qual é o nome do nosso pássaro?")
    assert detail is None or holds(detail, said("m1", "O Pip, o nosso periquito, canta.", 0.5))
    detail = asked_detail("What's the name of my boat?")
    assert detail is not None
    assert not holds(detail, said("m1", "I'm a charter boat captain out of Oban.", 0.5))
    assert holds(detail, fact("f1", "The user has a boat called Selkie.", "boat", 0.5))
