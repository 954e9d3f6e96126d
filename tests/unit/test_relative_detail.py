"""A question about someone else's detail is answered only by a passage saying it of them.

The real default embedding model and the shipped attribute weights read the questions and
the recalled sentences (as in `test_answer_order.py`). None of these sentences are in the
attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from graph.animal_kinds import animal_asked
from graph.extractive import PHRASES
from graph.relative_detail import about_them, thing_asked
from tests.answers import answer, page, passage
from tests.answers import fact as _fact
from tests.answers import said as _said
from text.kin import FAMILY, PARTNER


def _relative(id_: str, content: str, attribute: str, value: str) -> dict:
    """Return a stored fact naming a relative ("The user's wife is called Thandi.")."""
    return passage(id_, "facts", content, {"attribute": attribute, "value": value}, 0.3, 0.2)


NEVER_TOLD = [
    (
        # The bakery is mentioned, not named.
        "Which bakery does my wife run?",
        [
            _relative("f1", "The user's wife is called Thandi.", "partner", "Thandi"),
            _said("m1", "My wife Thandi runs a bakery, she's up at 3am most days.", 0.4),
        ],
        "en",
    ),
    (
        # Asked by name: the husband's trade is told, not his school.
        "Em que escola dá aulas o Henrique?",
        [
            _relative("f1", "Marido do usuário: Henrique.", "partner", "Henrique"),
            _said("m1", "O meu marido, o Henrique, é professor de matemática.", 0.4),
        ],
        "pt",
    ),
    (
        # The user's own job is listed beside the brother, not his.
        "Where does my brother work?",
        [
            _said(
                "m1",
                "Quick profile: me, Ines, pharmacist at Boots; brother, Tomas; cat, Miso.",
                0.4,
            ),
            _fact("f1", "The user works at Boots.", "workplace", 0.3),
        ],
        "en",
    ),
    (
        # Someone named whom no fact places: the user's own workplace is not hers, nor is
        # the manual's page on who works when.
        "Where does Priyanka work these days?",
        [
            _said("m1", "Priyanka, my flatmate, keeps stealing my oat milk.", 0.4),
            _said("m2", "I work at the Albany Arms, mostly evening shifts.", 0.35),
            _fact("f1", "The user works at the Albany Arms.", "workplace", 0.3),
            page("k1", "Our help desk works weekdays, 9 to 5 UK time.", 0.45, 0.3),
        ],
        "en",
    ),
    (
        # A place asked of a cousin: the city told is not the neighbourhood.
        "Em que bairro mora a Joana?",
        [_said("m1", "A Joana, minha prima, mudou-se para Lisboa no ano passado.", 0.4)],
        "pt",
    ),
]


@pytest.mark.parametrize(("question", "context", "language"), NEVER_TOLD)
def test_a_never_told_detail_of_someone_else_is_not_answered(
    model, classifier, question, context, language
):
    # Asked of someone by name, the question may read as not about the user at all: it is
    # then "nothing found" rather than "you haven't told me"; either way nothing is quoted.
    message, citations = answer(model, classifier, question, context)
    assert citations == [], citations
    said = PHRASES[language]
    assert message.text.startswith((said["unknown"], said["nothing"])), message.text


TOLD = [
    (
        "Which bakery does my wife run?",
        [
            _relative("f1", "The user's wife is called Thandi.", "partner", "Thandi"),
            _said("m1", "My wife Thandi runs Crumbs Bakery on Main Road, up at 3am.", 0.4),
        ],
        "Crumbs Bakery",
    ),
    (
        "Em que escola dá aulas o meu marido?",
        [_said("m1", "O meu marido dá aulas na Escola Secundária de Camões.", 0.4)],
        "Camões",
    ),
    # Said of them as "he's a…", a trade no word list knows.
    (
        "What does my brother do for a living?",
        [
            _relative("f1", "The user's brother is called Callum.", "family:brother", "Callum"),
            _said("m1", "My brother Callum? He's a scaffolder, up on the roofs all day.", 0.4),
        ],
        "scaffolder",
    ),
    (
        "what's Orla's job?",
        [
            _relative("f1", "The user's wife is called Orla.", "partner", "Orla"),
            _said("m1", "My wife Orla, she's a croupier at the casino in town, nights.", 0.4),
        ],
        "croupier",
    ),
    # Said with their name ("Rory is a…"), not a pronoun.
    (
        "What does Rory do?",
        [
            _relative("f1", "The user's son is called Rory.", "family:son", "Rory"),
            _said("m1", "My son Rory is a farrier, out shoeing horses across the county.", 0.4),
        ],
        "farrier",
    ),
    (
        "Where does Priyanka work these days?",
        [
            _said("m1", "Priyanka, my flatmate, works at Harwood Dental as a hygienist.", 0.4),
            _fact("f1", "The user works at the Albany Arms.", "workplace", 0.3),
        ],
        "Harwood Dental",
    ),
]


@pytest.mark.parametrize(("question", "context", "expected"), TOLD)
def test_a_told_detail_of_someone_else_is_answered(model, classifier, question, context, expected):
    _, citations = answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], citations


def test_the_thing_asked_of_someone_is_read_from_the_question():
    assert thing_asked("Which college does my husband lecture at?").words == "college"
    assert thing_asked("What's my daughter's swimming club?").words == "swimming club"
    assert thing_asked("Em que hospital é que a minha cunhada trabalha?").words == "hospital"
    assert thing_asked("Em que cidade vive o meu sogro?").place
    # What the attribute rules read, or who is asked, is no thing.
    assert thing_asked("What does my wife do?") is None
    assert thing_asked("Qual é o nome do meu irmão?") is None
    assert thing_asked("Who fed my sister's goldfish?") is None


def test_what_a_passage_says_of_a_relative_is_their_part_of_it():
    said = "Name Ana, job nurse, husband Rui, dog Tobias. I work nights."
    assert "nurse" not in about_them(said, PARTNER)
    said = "O meu irmão Zé, coitado, anda sem emprego. Ele quer ser bombeiro."
    assert "bombeiro" in about_them(said, FAMILY)


def test_a_guinea_pig_is_no_hamster():
    hamster = animal_asked("what's my hamster called?")
    assert hamster is not None
    assert not hamster.held("The user has a guinea pig called Pudding.")
    assert hamster.held("Our hamster Nibbles escaped again.")


@pytest.mark.parametrize(
    ("question", "context", "expected"),
    [
        (
            "Lembras-te do meu nome, irmã?",
            [_said("m1", "Olá! Chamo-me Eduarda e sou costureira em Viseu.", 0.4)],
            "Eduarda",
        ),
        (
            "what was my name again, brother?",
            [_said("m1", "Alright, Callum here, just moved to Hull.", 0.4)],
            "Callum",
        ),
    ],
)
def test_a_relative_only_addressed_is_not_asked_about(
    model, classifier, question, context, expected
):
    # "irmã" and "brother" are how the user speaks, not whose name is asked.
    _, citations = answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], citations
