"""What a question about the user asks for, and which of their statements are evidence of it."""

import pytest

from graph.asked_detail import asked_detail
from memory.fact_questions import asked_attributes, states


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("Have I got any health condition you know of?", "health"),
        ("Tenho algum problema de saúde?", "health"),
        ("What's my usual drink?", "preference"),
        ("Qual é a minha bebida preferida?", "preference"),
        ("Which sport do I play on Sundays?", "hobby"),
        ("Where am I employed at the moment?", "workplace"),
        # how the user signed, and who is writing, ask the name
        ("What name did I sign off as last time?", "name"),
        ("Como é que eu assinei a última mensagem?", "name"),
        ("So who's typing?", "name"),
        ("Sabes quem está a escrever?", "name"),
        ("Lembras-te de quem eu sou, amigo?", "name"),
        ("what's me name again?", "name"),
        ("Guess who this is?", "name"),
    ],
)
def test_questions_ask_for_the_attribute(question, attribute):
    assert attribute in asked_attributes(question)


@pytest.mark.parametrize(
    ("statement", "attribute"),
    [
        # a sport, a drink, a trade or a condition named in passing is evidence of it
        ("Going to badminton with my cousins now, then a big mug of tea.", "hobby"),
        ("Excelente. Agora vou dar uma volta de BTT pelo Bom Jesus.", "hobby"),
        ("Domingo é dia de pescaria e um guaraná bem gelado.", "preference"),
        ("Good. I drive a bus for Lothian Buses, twelve years now.", "job"),
        ("Outra: o médico mandou eu controlar a pressão alta.", "health"),
        ("a minha cor preferida é azul", "favourite:cor"),
    ],
)
def test_statements_in_passing_are_evidence(statement, attribute):
    assert states(statement, attribute)


@pytest.mark.parametrize(
    ("statement", "attribute"),
    [
        ("Cursor, ótimo. Qual é o tamanho máximo de página?", "hobby"),
        ("amanhã cedo tem corrida de rua na Pampulha", "favourite:cor"),  # "cor" in "corrida"
        ("Can I export my notebooks to PDF?", "preference"),
        ("The wifi at the office is dreadful today.", "health"),
    ],
)
def test_unrelated_statements_are_not_evidence(statement, attribute):
    assert not states(statement, attribute)


@pytest.mark.parametrize(
    "question",
    [
        # the job asked by the post held, the subject taught or the daily round
        "What's my position now?",
        "What is my post these days?",
        "What subject do I teach again?",
        "Qual é a minha lida?",
        "Que matéria eu ensino?",
        "Que disciplina é que eu dou?",
    ],
)
def test_the_post_or_the_subject_taught_asks_the_job(question):
    assert "job" in asked_attributes(question)


def test_a_stance_is_no_job():
    assert "job" not in asked_attributes("What was my position on remote work?")


def test_where_a_relative_works_is_no_job_asked():
    # "em que hospital trabalha a minha irmã?" is not answered by "ela é enfermeira no Porto"
    detail = asked_detail("Em que hospital trabalha a minha irmã?")
    assert not detail.held("A minha irmã é enfermeira no Porto, nem sabe pegar numa agulha.")
    assert detail.held("A minha irmã trabalha no Hospital de Santo António.")


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        # a relative's home or work told in the third person, and the question that asks it
        ("A minha irmã mora em Braga.", "home"),
        ("Onde mora a minha irmã?", "home"),
        ("Os meus pais vivem em Viseu desde 2010.", "home"),
        ("O meu irmão trabalha na Galp.", "workplace"),
        ("Onde é que trabalha o meu irmão?", "workplace"),
        ("O meu irmão trabalha como motorista de pesados.", "job"),
        ("A minha filha entrou na Sonae em março.", "workplace"),
        ("My madam sells fabric at Balogun market.", "partner"),
    ],
)
def test_third_person_statements_are_evidence(text, attribute):
    assert states(text, attribute)


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("Gosto muito de morangos com natas.", "home"),
        ("A moral da história é outra.", "home"),
    ],
)
def test_words_that_begin_alike_are_no_home(text, attribute):
    assert not states(text, attribute)


@pytest.mark.parametrize(
    ("question", "told", "other"),
    [
        ("Onde mora a minha irmã?", "A minha irmã mora em Braga.", "A minha irmã tem dois gatos."),
        ("Onde trabalha o meu irmão?", "O meu irmão trabalha na Galp.", "O meu irmão tem um cão."),
        ("Where does my sister live?", "My sister lives in Braga.", "My sister has two cats."),
    ],
)
def test_a_relatives_told_home_or_work_answers_the_question(question, told, other):
    # the answer gate (`graph.asked_detail`) reads both sides with `states`
    detail = asked_detail(question)
    assert detail.held(told)
    assert not detail.held(other)


@pytest.mark.parametrize(
    "question",
    [
        "What sign am I?",
        "Assinei o contrato?",
        "Who is talking to my boss?",
        "Quem sou eu para julgar?",
        "Tell me name ideas for a cat",
        "Do you know who this Jamal is?",
    ],
)
def test_signing_or_talking_about_something_else_is_no_name_asked(question):
    assert "name" not in asked_attributes(question)


@pytest.mark.parametrize(
    "question",
    [
        "Which name do you have me saved under?",
        "What do my mates call me?",
        "O nome com que me conhecem, lembras-te?",
        "Como é que o pessoal me chama?",
        "who's this typing, any idea?",
        "Remind me who I am?",
        "Quem é que está a escrever contigo?",
    ],
)
def test_a_name_asked_in_any_words_of_naming_and_the_user(question):
    """Asked how they are called in words no pattern lists, the user's name is what is asked."""
    assert "name" in asked_attributes(question)


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("What did I call my rabbit?", "pet"),
        ("Who am I working for these days?", "workplace"),
        ("Who am I seeing on Saturday?", "partner"),
        ("Qual é o nome da empresa onde trabalho?", "workplace"),
    ],
)
def test_naming_something_else_or_who_i_am_with_is_no_name_asked(question, attribute):
    """A name word beside another thing, or "who am I" with a verb, asks something else."""
    asked = asked_attributes(question)
    assert "name" not in asked
    assert attribute in asked
