"""Who a sentence is about: the people around the user, named in either language."""

import pytest

from text.said_of_user import about_others, said_of_user


@pytest.mark.parametrize(
    "statement",
    [
        # "grand" begins adjectives and places, not only grandparents
        "A minha grande paixão é o surf, faço todos os domingos.",
        "My grandest day out was the Rio Grande rafting trip.",
    ],
)
def test_a_grand_word_is_no_grandparent(statement):
    assert said_of_user(statement) == statement


@pytest.mark.parametrize(
    "question",
    ["How long is my Rio Grande trip?", "Quais são os meus grandes objetivos para este ano?"],
)
def test_a_grand_question_is_the_users_own(question):
    assert not about_others(question)


@pytest.mark.parametrize(
    "text",
    [
        "My grandmother is a nurse in Leeds.",
        "My granddad grows leeks for the village show.",
        "A minha avó é enfermeira em Braga.",
    ],
)
def test_grandparents_are_still_someone_else(text):
    assert said_of_user(text) == ""


def test_my_madam_is_a_partner():
    # Nigerian English for one's wife: her job is not the user's
    assert said_of_user("My madam is a nurse at the general hospital.") == ""
    assert about_others("What does my madam do for work?")
