"""Which questions are about the user (answered from what they said) and which ask the manual."""

import pytest

from memory.fact_statements import about_someone_else
from text.acts import is_about_user, is_question, statement_sentences


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


@pytest.mark.parametrize(
    ("said", "stated"),
    [
        ("When we moved to Dundee the rent halved. Can I pin a note?", "When we moved to Dundee"),
        ("Quando saio da fábrica já é noite, dá para pôr um lembrete?", "Quando saio da fábrica"),
        ("Quando me mudei pra Natal, comecei a usar o app. Tem modo escuro?", "Natal"),
        ("whenever I'm on nights at the depot I forget to eat", "on nights at the depot"),
    ],
)
def test_a_clause_opening_with_when_states_rather_than_asks(said, stated):
    assert any(stated in sentence for sentence in statement_sentences(said))


@pytest.mark.parametrize(
    "question",
    ["when did I move to Dundee", "quando é que entrei na empresa", "Quando foi a mudança"],
)
def test_when_followed_by_a_verb_still_asks(question):
    assert is_question(question) and statement_sentences(question) == []


@pytest.mark.parametrize(
    ("sentence", "theirs"),
    [
        ("My brother has been at Kestrel Aviation for years.", True),
        ("o meu irmão também é enfermeiro, mas em Faro", True),
        ("Since I started at Halverson Freight my mornings are gone.", False),
        ("Desde que entrei na Tecnoferro ando sem tempo", False),
    ],
)
def test_a_sentence_about_a_relative_is_theirs(sentence, theirs):
    assert about_someone_else(sentence) is theirs


@pytest.mark.parametrize(
    "question",
    [
        "How do I take my tea, do you remember?",
        "how do I usually like my steak?",
        "How long have I lived in Dundee?",
        "How long did I work at the quarry?",
        "Como é que eu tomo o café, lembras-te?",
        "Há quanto tempo moro em Setúbal?",
    ],
)
def test_how_the_user_has_things_is_about_the_user(question):
    assert is_about_user(question)


@pytest.mark.parametrize(
    "question",
    [
        "How do I take a screenshot of my note?",
        "How long have I got to cancel my plan?",
        "Como é que eu posso exportar as minhas notas?",
    ],
)
def test_how_to_questions_with_my_still_ask_the_manual(question):
    assert not is_about_user(question)
