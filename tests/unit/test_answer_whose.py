"""Whose fact it is: the answer gate on relatives' things, daydreams and the animal asked.

The real default embedding model (USE) and the shipped attribute weights read the questions
and the recalled sentences, as in `test_answer_gate.py`. None of these sentences are in the
attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from graph.extractive import PHRASES
from memory.fact_statements import ORIGIN as STATEMENT
from tests.answers import answer as _answer
from tests.answers import fact, passage, said
from text.said_of_user import said_of_user


def _unknown(model, classifier, question, context, language):
    """Assert the responder says it does not know, and cites nothing."""
    reply, citations = _answer(model, classifier, question, context)
    assert citations == [], citations
    assert reply.text.startswith(PHRASES[language]["unknown"])


def _statement_fact(id_: str, content: str, attribute: str) -> dict:
    """Return a fact kept as one sentence the classifier was sure of (no message beside it)."""
    return passage(id_, "facts", content, {"attribute": attribute, "origin": STATEMENT}, 0.5, 0.2)


SMALL_TALK = said("m9", "Long week, the printer at work jammed twice.", 0.2)
NOT_THE_USERS = [
    # a relative's pet or job
    ("What's my cat called?", "My sister has a cat called Mochi, she sends me photos daily.", "en"),
    ("Como se chama o meu gato?", "A minha irmã tem um gato chamado Cuscuz e manda fotos.", "pt"),
    (
        "Em que importadora eu trabalho?",
        "O meu irmão também trabalha com vinho, mas numa importadora em Santos.",
        "pt",
    ),
    ("Como se chama a minha gata?", "Adoro a gata da minha irmã, a Mimi, é uma fofa.", "pt"),
    # a daydream
    (
        "What's my dog called?",
        "If I ever get a dog I'll call him Biscuit, my landlord says no.",
        "en",
    ),
    ("Como se chama o meu cão?", "Se um dia tiver um cão vai chamar-se Bolacha, é um sonho.", "pt"),
]


@pytest.mark.parametrize(("question", "message", "language"), NOT_THE_USERS)
def test_what_a_message_says_of_someone_else_or_of_a_wish_is_not_the_users(
    model, classifier, question, message, language
):
    _unknown(model, classifier, question, [said("m1", message, 0.6)], language)


@pytest.mark.parametrize(
    ("question", "stored", "language"),
    [
        # a wish kept as a fact (one sentence the classifier was sure of)
        (
            "What's my dog called?",
            _statement_fact("f1", "If I ever get a dog I'll name him Biscuit, dream on.", "pet"),
            "en",
        ),
        (
            "Como se chama o meu gato?",
            _statement_fact("f1", "Se algum dia tiver um gato vai chamar-se Sardinha.", "pet"),
            "pt",
        ),
        # a pet of another kind than asked
        (
            "What's my cat called?",
            fact("f1", "The user has a beagle (dog) called Rex.", "pet", 0.6),
            "en",
        ),
        (
            "Como se chama a minha gata?",
            fact("f1", "Animal de estimação do usuário (furão): Tremoço.", "pet", 0.6),
            "pt",
        ),
    ],
)
def test_a_fact_of_a_wish_or_of_another_animal_does_not_answer(
    model, classifier, question, stored, language
):
    _unknown(model, classifier, question, [stored, SMALL_TALK], language)


@pytest.mark.parametrize(
    ("message", "not_asked", "asked", "expected"),
    [
        (
            "Rex, my beagle, ate my sandwich, my sister's cat just watched.",
            "What's my cat called?",
            "What's my dog called?",
            "Rex",
        ),
        (
            "Se um dia tiver um gato vai ser Sardinha, mas tenho o Bolt, o meu cão rafeiro.",
            "Como se chama o meu gato?",
            "Como se chama o meu cão?",
            "Bolt",
        ),
    ],
)
def test_one_message_answers_for_the_users_pet_not_for_the_other(
    model, classifier, message, not_asked, asked, expected
):
    context = [said("m1", message, 0.6), SMALL_TALK]
    _, citations = _answer(model, classifier, not_asked, context)
    assert citations == [], citations
    _, citations = _answer(model, classifier, asked, context)
    assert citations and expected in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("question", "message", "language"),
    [
        ("How old am I?", "Shelly, our tortoise, turned 40 last week, older than the house.", "en"),
        ("Quantos anos eu tenho?", "Sou canalizador há 30 anos e adoro o que faço.", "pt"),
    ],
)
def test_an_age_not_the_users_does_not_answer_how_old_they_are(
    model, classifier, question, message, language
):
    _unknown(model, classifier, question, [said("m1", message, 0.6)], language)
    told = said(
        "m2",
        "I'm 52, and my son says I'm too old for apps."
        if language == "en"
        else "Tenho 52 anos e o meu filho diz que sou velho para isto.",
        0.5,
    )
    _, citations = _answer(model, classifier, question, [said("m1", message, 0.6), told])
    assert citations and "52" in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("text", "kept", "dropped"),
    [
        ("Fraser (my fiancé) is away with Bramble, our Shetland pony.", "Bramble", None),
        ("My husband and I moved to Leeds last year.", "Leeds", None),
        ("Saturday is choir, then my mum's jollof rice.", "choir", "jollof"),
        ("O meu marido, o Rui, diz que eu devia anotar quando tenho crises de gota.", "gota", None),
        ("My sister says I should log my sugar — I've got type 2 diabetes.", "diabetes", None),
        ("O meu irmão é bombeiro em Mirandela e diz que eu devia tocar menos.", None, "bombeiro"),
        ("If I'm at the office on the VPN, sync fails.", "office", None),
        # one list of kin and friends, one wish detector (`text.kin`, `text.wishes`)
        ("My pal Rhodri is a plumber, I'm a joiner in Cardiff.", "joiner", "plumber"),
        ("Gostaria de ter um cão, mas por agora tenho a gata Pitanga.", "Pitanga", "cão"),
        (
            "Everything's in Markdown, I'd rather keep plain text, I hate rich formatting.",
            "hate",
            None,
        ),
        ("Fim de semana vou pro kitesurf em Jeri, se o vento ajudar.", "kitesurf", None),
        ("Se o tempo deixar, faço asa-delta no domingo em Canelas.", "asa-delta", None),
        # the user's clause after "and I"/"e eu"; a "he"/"ela" sentence going on about them
        ("My cousin is a paramedic and I'm a vet in Tralee.", "vet", "paramedic"),
        ("A minha cunhada é juíza e eu sou solicitadora.", "solicitadora", "juíza"),
        ("My uncle lives in Galway. He keeps bees. I prefer chess.", "chess", "bees"),
        ("O meu sogro mora em Viseu. Ele tem uma égua chamada Estrela.", None, "Estrela"),
        ("O meu compadre tem um papagaio chamado Lorota.", None, "Lorota"),
    ],
)
def test_said_of_user_keeps_the_users_clauses(text, kept, dropped):
    own = said_of_user(text)
    if kept:
        assert kept in own, own
    if dropped:
        assert dropped not in own, own


@pytest.mark.parametrize(
    ("question", "old_fact", "left", "new"),
    [
        (
            "Which company do I work for now?",
            ("The user works at Lion City Assurance.", "Lion City Assurance"),
            "Update: I left Lion City Assurance last week. Starting at Harbour Re on Monday!",
            "Harbour Re",
        ),
        (
            "Para que empresa trabalho agora?",
            ("O usuário trabalha em Kwanza Offshore.", "Kwanza Offshore"),
            "Novidades: saí da Kwanza Offshore! Começo na Catumbela Energia na segunda.",
            "Catumbela",
        ),
    ],
)
def test_a_fact_the_user_said_they_left_is_not_cited_first(
    model, classifier, question, old_fact, left, new
):
    content, value = old_fact
    stored = passage(
        "f1",
        "facts",
        content,
        {"attribute": "workplace", "value": value, "valid_from": "2026-01-01T10:00:05"},
        0.6,
        0.2,
    )
    context = [stored, said("m1", left, 0.5, when="2026-02-01T10:00:00")]
    _, citations = _answer(model, classifier, question, context)
    assert citations and new in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("question", "named", "own_job", "their_job", "expected"),
    [
        (
            "What does Darren do for work?",
            ("The user's husband is called Darren.", "Darren"),
            "I'm an actuary, numbers all day long.",
            "Darren, my husband, flies for Cathay as a pilot.",
            "pilot",
        ),
        (
            "Qual é a profissão do Wagner?",
            ("Marido do usuário: Wagner.", "Wagner"),
            "Sou enfermeira e trabalho por turnos.",
            "O Wagner, o meu marido, trabalha como dentista numa clínica.",
            "dentista",
        ),
    ],
)
def test_a_relative_asked_by_name_is_answered_with_their_fact_not_the_users(
    model, classifier, question, named, own_job, their_job, expected
):
    content, value = named
    stored = passage("f1", "facts", content, {"attribute": "partner", "value": value}, 0.5, 0.2)
    context = [said("m1", own_job, 0.6), stored]
    _, citations = _answer(model, classifier, question, context)
    assert citations == [], citations
    _, citations = _answer(model, classifier, question, [*context, said("m2", their_job, 0.4)])
    assert citations and expected in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("question", "uncounted", "counted", "language"),
    [
        (
            "How many students do I have?",
            "I'm a chemistry teacher, my students keep me busy.",
            "I have 28 students this year, chemistry mostly.",
            "en",
        ),
        (
            "Quantos gatos eu tenho?",
            "Os meus gatos dormem no sofá o dia todo.",
            "Tenho dois gatos, o Tico e o Teco.",
            "pt",
        ),
    ],
)
def test_a_count_asked_is_answered_only_by_a_number(
    model, classifier, question, uncounted, counted, language
):
    _unknown(model, classifier, question, [said("m1", uncounted, 0.6)], language)
    context = [said("m1", uncounted, 0.6), said("m2", counted, 0.5)]
    _, citations = _answer(model, classifier, question, context)
    assert citations and citations[0]["id"] == "m2", citations
