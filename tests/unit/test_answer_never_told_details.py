"""Never told: a colour, a street, a date, a number, a size, a thing's name, or a thing only
a relative was said to have or someone only wants.

A message that mentions the van does not say what the van is called; one about a blood test
does not give the blood group; a chameleon is not the kitten asked; "a Marta quer uma cadela"
names no dog of the user's.

The real default embedding model (USE) and the shipped attribute weights read the questions
and the recalled sentences, as in `test_answer_gate.py`. None of these sentences are in the
attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer as _answer
from tests.answers import fact, said
from tests.answers import unknown as _unknown

NEVER_TOLD = [
    # a favourite told is not every favourite: the colour asked must be named
    (
        "Which colour do I love most?",
        [said("m1", "Sunday roast at the pub with the lads, that's what I love most.", 0.7)],
        "en",
    ),
    (
        "Qual é a cor de que eu mais gosto?",
        [said("m1", "Aos domingos o arroz de pato da minha sogra, é o que eu mais gosto.", 0.7)],
        "pt",
    ),
    # the town is not the street, and "out on the street" names none
    (
        "Em que rua fica a minha casa?",
        [fact("f1", "O usuário mora em Braga.", "home", 0.6)],
        "pt",
    ),
    (
        "Em que rua é que eu vivo?",
        [said("m1", "Desde que me reformei já não ando na rua, fico em casa com o gato.", 0.6)],
        "pt",
    ),
    # a graduation or an appointment named is not its date
    (
        "When is my graduation?",
        [said("m1", "Graduation is finally happening, mum's already bought a hat.", 0.7)],
        "en",
    ),
    (
        "Em que dia é a minha consulta?",
        [said("m1", "Tenho de marcar consulta no dentista, que pavor.", 0.7)],
        "pt",
    ),
    # a thing or an animal only a relative was said to have, the user's own beside it
    (
        "Which school do I teach at?",
        [
            said(
                "m1",
                "Work's grand, I'm in logistics. My brother teaches at a school in Leeds, "
                "I'd never have the patience.",
                0.7,
            ),
            fact("f1", "The user works at Northway Freight.", "workplace", 0.6),
        ],
        "en",
    ),
    (
        "Em que farmácia trabalho?",
        [
            fact("f1", "O usuário trabalha em Transportes Sado.", "workplace", 0.6),
            said(
                "m1",
                "A minha prima é que trabalha na Farmácia Avenida em Setúbal, eu não tenho "
                "paciência.",
                0.7,
            ),
        ],
        "pt",
    ),
    (
        "What's my dog called?",
        [
            said(
                "m1",
                "Kiwi, my parrot, learnt to whistle at the postman 😂 My dad had a dog named "
                "Bruno when we were kids.",
                0.7,
            )
        ],
        "en",
    ),
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
def test_a_detail_never_told_is_not_answered(model, classifier, question, context, language):
    _unknown(model, classifier, question, context, language)


TOLD = [
    (
        "Which colour do I like best?",
        said("m1", "Honestly teal is my favourite, the whole kitchen is painted teal.", 0.7),
        "teal",
    ),
    (
        "Which street do I live on?",
        said("m1", "We're at 14 Orchard Lane now, the one with the blue door.", 0.7),
        "Orchard Lane",
    ),
    (
        "Quando é o meu casamento?",
        said("m1", "O casamento é a 12 de setembro, na quinta dos meus avós.", 0.7),
        "setembro",
    ),
    (
        "Em que farmácia trabalho?",
        said(
            "m1",
            "Trabalho na Farmácia Central desde 2019; a minha prima trabalha numa farmácia também.",
            0.7,
        ),
        "Farmácia Central",
    ),
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
def test_a_detail_told_is_still_cited_first(model, classifier, question, stored, value):
    _, citations = _answer(model, classifier, question, [stored])
    assert citations and value in citations[0]["snippet"], citations


def test_how_much_in_the_singular_asks_a_number():
    # "quanto" asks a measure as "quantos" asks a count: a thank-you sharing the form of
    # address holds no number; "quanto ao cão" (as for the dog) asks none.
    from graph.asked_detail import asked_detail, holds

    detail = asked_detail("E quanto é que eu peso agora, moço?")
    assert detail is not None and detail.name == "count"
    assert not holds(detail, said("m1", "Obrigado, moço, até amanhã.", 0.5))
    assert holds(detail, said("m2", "A enfermeira disse 82 quilos, moço.", 0.5))
    assert asked_detail("E quanto ao meu cão, como se chama?") is None or (
        asked_detail("E quanto ao meu cão, como se chama?").name != "count"
    )


ANY_EMPLOYER = [
    (
        "Which company do I work for?",
        [
            said("m1", "My brother's company builds fishing boats up in Peterhead.", 0.7),
            said("m2", "I'm on the tills at Harwood's Garden Centre, weekends too.", 0.6),
        ],
        "Harwood",
    ),
    (
        "Em que empresa é que eu trabalho?",
        [
            said("m1", "A empresa do meu cunhado faz caixilharia em Leiria.", 0.7),
            said("m2", "Trabalho na Farmácia Central, ao balcão.", 0.6),
        ],
        "Farmácia Central",
    ),
]


@pytest.mark.parametrize(("question", "context", "value"), ANY_EMPLOYER)
def test_a_company_asked_is_any_employer_not_only_the_relatives(
    model, classifier, question, context, value
):
    # "company" names no kind of workplace: the user's own, whatever it is, answers it.
    _, citations = _answer(model, classifier, question, context)
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
