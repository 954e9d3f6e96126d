"""Asked which hospital (hotel, restaurant...) they work at, the user's own workplace answers.

A relative's message names the kind of place asked ("my sister's a midwife at the Royal
Infirmary hospital"); the user's own never does ("I work at St Mary's"). The user's
workplace, named by no word of another kind of place, may be the one asked: it is quoted
first, not the relative's. "I don't know" is kept for a workplace that is plainly something
else ("Greenfield Logistics" is no hospital) and when the user said the relative's is not
theirs ("it's my brother who's at the bank, not me"). The real default embedding model
(USE) and the shipped attribute weights read the questions and messages; none of these
sentences are in the attribute bank or the eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer as _answer
from tests.answers import fact, said
from tests.answers import unknown as _unknown

THEIRS_NEWER = "2026-02-01T10:00:00"
OWN_OLDER = "2026-01-01T10:00:00"

ANSWERED = [
    (
        "Which hospital do I work at?",
        [
            said(
                "sister",
                "My sister Joan is a midwife at the Royal Infirmary hospital, she never sleeps.",
                0.5,
                THEIRS_NEWER,
            ),
            said("own", "I work at St Mary's, nights mostly on the cardiac ward.", 0.3, OWN_OLDER),
        ],
        "St Mary's",
    ),
    (
        "Em que hospital é que eu trabalho?",
        [
            said(
                "brother",
                "O meu irmão Rui é enfermeiro no Hospital de Santa Maria, coitado, só faz noites.",
                0.5,
                THEIRS_NEWER,
            ),
            said("own", "Sou auxiliar no São Bento, turnos da manhã.", 0.3, OWN_OLDER),
        ],
        "São Bento",
    ),
    (
        "which hotel do I work at these days?",
        [
            said(
                "cousin",
                "My cousin Dev runs the bar at the Grand Hotel in Brighton, free drinks for us.",
                0.5,
                THEIRS_NEWER,
            ),
            fact("f1", "The user works at Wavecrest.", "workplace", 0.3),
        ],
        "Wavecrest",
    ),
    # What follows the relative once the user speaks of themselves is the user's: "o
    # restaurante" is where they serve, not the aunt's.
    (
        "Em que restaurante trabalho?",
        [
            said(
                "aunt",
                "O arroz de pato da minha tia, não há nada que eu adore mais, nem o que "
                "servimos no restaurante.",
                0.5,
                THEIRS_NEWER,
            ),
            fact("f1", "O usuário trabalha em Tasca do Zé Manel.", "workplace", 0.3),
        ],
        "Tasca do Zé Manel",
    ),
]


@pytest.mark.parametrize(("question", "context", "value"), ANSWERED)
def test_the_users_own_workplace_is_cited_first_beside_a_relatives(
    model, classifier, question, context, value
):
    # Before: refused, the kind of place asked being named only in the relative's part.
    _, citations = _answer(model, classifier, question, context)
    assert citations and value in citations[0]["snippet"], citations


REFUSED = [
    (
        "Which hospital do I work at?",
        [
            said(
                "sister",
                "My sister Joan is a midwife at the Royal Infirmary hospital, she never sleeps.",
                0.5,
                THEIRS_NEWER,
            ),
            said("own", "I work at Greenfield Logistics, loading bay two.", 0.3, OWN_OLDER),
        ],
        "en",
    ),
    (
        "Em que escola é que eu dou aulas?",
        [
            said(
                "mother",
                "A minha mãe é professora na Escola Básica de Alvalade, eu nunca tive jeito.",
                0.5,
                THEIRS_NEWER,
            ),
            fact("f1", "O usuário trabalha em Padaria Estrela.", "workplace", 0.3),
        ],
        "pt",
    ),
    # The user said the relative's is not theirs: their own workplace, whatever its name,
    # is not the one asked.
    (
        "Which bank do I work for?",
        [
            said(
                "brother",
                "It's my brother Sam who's at Barclays bank, not me, numbers bore me stiff.",
                0.5,
                THEIRS_NEWER,
            ),
            said("own", "I work at Kestrel, mostly on the tills.", 0.3, OWN_OLDER),
        ],
        "en",
    ),
    (
        "Em que hotel é que eu trabalho?",
        [
            said(
                "cousin",
                "O meu primo Tó é que trabalha no Hotel Baía, eu nunca tive paciência "
                "para turistas.",
                0.5,
                THEIRS_NEWER,
            ),
            said("own", "Trabalho no Ferreirinha desde 2020, ao balcão.", 0.3, OWN_OLDER),
        ],
        "pt",
    ),
]


@pytest.mark.parametrize(("question", "context", "language"), REFUSED)
def test_a_workplace_of_another_kind_does_not_answer(
    model, classifier, question, context, language
):
    _unknown(model, classifier, question, context, language)
