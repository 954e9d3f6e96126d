"""Asked who is writing, the offline responder quotes the user's name first (both languages).

"Who's typing, do you know?" holds no "I" or "my", yet asks about the user: a message
sharing its words ("stop typing at the table") is no answer. The real default embedding
model and the shipped attribute weights read the question; none of these sentences are in
the attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from graph.extractive import extractive_answer
from tests.answers import MEMORY, answer, fact, said


@pytest.mark.parametrize(
    ("question", "context", "name"),
    [
        (
            "any idea who's typing?",
            [
                said("m1", "my nan says I should stop typing at the dinner table", 0.5),
                fact("f1", "The user's name is Oluwaseun.", "name", 0.25),
                said("m2", "Olá! Oluwaseun here, I run a bakery in Croydon", 0.3),
            ],
            "Oluwaseun",
        ),
        (
            "Sabes quem está a escrever?",
            [
                said("m1", "A minha filha passa o dia a escrever no telemóvel", 0.5),
                fact("f1", "O nome do usuário é Genoveva.", "name", 0.25),
            ],
            "Genoveva",
        ),
    ],
)
def test_who_is_writing_is_answered_with_the_users_name(model, classifier, question, context, name):
    _, citations = answer(model, classifier, question, context)
    assert citations, "the user's name is known"
    assert name in citations[0]["snippet"]


@pytest.mark.parametrize(
    ("question", "context", "name"),
    [
        (
            "wots my sis name",
            [
                fact("f1", "The user's name is Caoimhe.", "name", 0.3),
                said("m1", "dropped the van at the depot, back tomorrow", 0.2),
            ],
            "Caoimhe",
        ),
        (
            "qual é o nome do meu mano?",
            [
                fact("f1", "O nome do usuário é Edmilson.", "name", 0.3),
                said("m1", "hoje fiquei até tarde nas obras", 0.2),
            ],
            "Edmilson",
        ),
    ],
)
def test_someone_elses_name_is_not_answered_with_the_users(
    model, classifier, question, context, name
):
    """Asked a relative's name never told, the user's own name is no answer."""
    _, citations = answer(model, classifier, question, context)
    assert not any(name in c["snippet"] for c in citations), citations


def test_an_introduction_answers_the_name_when_no_fact_was_kept():
    """The message the user introduced themselves in is quoted, however its clauses split.

    By the rules alone (no classifier): what is said of the user is read clause by clause,
    which broke "Olá, minha flor. Jurandir, de Caicó" into no introduction at all.
    """
    context = [
        said(
            "m1", "Olá, minha flor. Jurandir, de Caicó, seridó potiguar. Meu filho pôs isto.", 0.3
        ),
        said("m2", "Faço bolo de rolo por encomenda, aos sábados.", 0.4),
    ]
    _, citations = extractive_answer("Sabe quem está falando?", context, MEMORY)
    assert citations and "Jurandir" in citations[0]["snippet"]
