"""Never told: a breed of another kind, the user's name for an animal's, a relative's trade.

The real default embedding model (USE) and the shipped attribute weights read the questions
and the recalled sentences, as in `test_answer_gate.py`. None of these sentences are in the
attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from graph.animal_kinds import animal_asked
from tests.answers import answer as _answer
from tests.answers import fact, passage, said
from tests.answers import unknown as _unknown

SMALL_TALK = said("m9", "Busy day, the kettle broke and the bins went out late.", 0.2)


@pytest.mark.parametrize(
    ("question", "stored", "language"),
    [
        # a breed names its kind: a dog does not answer for a cat
        (
            "And my cat, what did I call him?",
            said("m1", "Toffee, my golden retriever, snores louder than my dad.", 0.6),
            "en",
        ),
        (
            "Como se chama a minha gatinha?",
            fact("f1", "Animal de estimação do usuário (caniche): Pipoca.", "pet", 0.6),
            "pt",
        ),
        # a breed asked is a kind of its own
        (
            "What's the name of my beagle?",
            fact("f1", "The user has a spaniel (dog) called Rolo.", "pet", 0.6),
            "en",
        ),
        (
            "O meu dálmata, como se chama?",
            fact("f1", "Animal de estimação do usuário (pastor alemão): Trovão.", "pet", 0.6),
            "pt",
        ),
    ],
)
def test_a_pet_of_another_breed_or_kind_does_not_answer(
    model, classifier, question, stored, language
):
    _unknown(model, classifier, question, [stored, SMALL_TALK], language)


@pytest.mark.parametrize(
    ("question", "message", "expected"),
    [
        (
            "What's my dog called?",
            "Toffee, my golden retriever, chewed the remote again.",
            "Toffee",
        ),
        ("Como se chama a minha cadela?", "A Pipoca, a minha caniche, roeu o sofá.", "Pipoca"),
    ],
)
def test_a_breed_answers_for_its_kind(model, classifier, question, message, expected):
    _, citations = _answer(model, classifier, question, [said("m1", message, 0.6), SMALL_TALK])
    assert citations and expected in citations[0]["snippet"], citations


def test_breeds_that_are_everyday_words_name_no_animal():
    assert animal_asked("What time is my boxing class?") is None
    assert animal_asked("Who is the pastor at my church?") is None
    assert animal_asked("O meu labrador, como se chama?").kind == "dog"


@pytest.mark.parametrize(
    ("question", "name_fact", "language"),
    [
        ("And the rabbit, what name did I give her?", "The user's name is Odette.", "en"),
        ("E a gata, que nome é que lhe pus?", "O nome do usuário é Leonor.", "pt"),
    ],
)
def test_the_users_own_name_does_not_answer_for_an_animal(
    model, classifier, question, name_fact, language
):
    stored = fact("f1", name_fact, "name", 0.6)
    _unknown(model, classifier, question, [stored, SMALL_TALK], language)


@pytest.mark.parametrize(
    ("question", "message", "language"),
    [
        ("What's my mammy's name?", "My mammy lives out in Cork, I ring her every Sunday.", "en"),
        ("Qual é o nome da minha mamãe?", "Minha mamãe mora em Goiânia e liga todo dia.", "pt"),
    ],
)
def test_a_parent_mentioned_without_a_name_does_not_give_one(
    model, classifier, question, message, language
):
    _unknown(model, classifier, question, [said("m1", message, 0.6), SMALL_TALK], language)


@pytest.mark.parametrize(
    ("question", "named", "mentioned", "their_job", "expected", "language"),
    [
        (
            "What does Piers do all day at the depot?",
            ("The user's husband is called Piers.", "Piers"),
            "Piers picked me up from the depot after my shift.",
            "Piers, my husband, works as a forklift driver at the depot.",
            "forklift",
            "en",
        ),
        (
            "O que é que o Baltasar faz?",
            ("Marido do usuário: Baltasar.", "Baltasar"),
            "O Baltasar foi buscar os miúdos à escola hoje.",
            "O Baltasar, o meu marido, é carpinteiro numa oficina em Tomar.",
            "carpinteiro",
            "pt",
        ),
    ],
)
def test_what_a_relative_does_is_answered_only_by_their_trade(
    model, classifier, question, named, mentioned, their_job, expected, language
):
    content, value = named
    stored = passage("f1", "facts", content, {"attribute": "partner", "value": value}, 0.5, 0.2)
    context = [said("m1", mentioned, 0.6), stored]
    _unknown(model, classifier, question, context, language)
    _, citations = _answer(model, classifier, question, [*context, said("m2", their_job, 0.4)])
    assert citations and expected in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("question", "message", "language"),
    [
        ("What's Ingrid's surname?", "Ingrid and I hiked up the ridge, she carried the map.", "en"),
        ("Qual é o sobrenome da Jussara?", "A Jussara veio jantar e trouxe um bolo.", "pt"),
    ],
)
def test_a_surname_asked_of_someone_is_not_answered_by_their_first_name(
    model, classifier, question, message, language
):
    context = [said("m1", message, 0.6), fact("f1", "The user's name is Sven.", "name", 0.5)]
    _, citations = _answer(model, classifier, question, context)
    assert citations == [], citations


@pytest.mark.parametrize(
    ("question", "message", "expected"),
    [
        ("Como é que se chama a minha porca?", "Trufa, our pig, dug up the whole garden.", "Trufa"),
        ("Como se chama o nosso burro?", "O Faísca, o nosso burro, odeia a serra.", "Faísca"),
    ],
)
def test_a_farm_animals_name_is_answered(model, classifier, question, message, expected):
    # The kind is named in no word of a pet's (the first in the other language).
    _, citations = _answer(model, classifier, question, [said("m1", message, 0.5), SMALL_TALK])
    assert citations and expected in citations[0]["snippet"], citations
