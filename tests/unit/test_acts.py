"""Which questions are about the user (answered from what they said) and which ask the manual."""

import pytest

from text.acts import is_about_user


@pytest.mark.parametrize(
    "question",
    [
        "Where do I live now?",
        "What's our cat called?",  # the household is the user too
        "Que tipo de ave a gente tem?",
        "Tenho algum problema de saúde?",
        "Which sport do I play on Sundays?",
    ],
)
def test_questions_about_the_user(question):
    assert is_about_user(question)


@pytest.mark.parametrize(
    "question",
    [
        "How do I export my notes?",
        "Can we share one notebook?",
        "My authenticator codes keep getting refused — why?",
        "My sync keeps failing, what should I do?",
        "O app não abre no meu telemóvel, o que faço?",
        "Deu erro ao sincronizar o meu caderno",
    ],
)
def test_first_person_trouble_asks_the_manual(question):
    assert not is_about_user(question)
