"""Asked what holds now, the user's newest message saying what changed is quoted first.

The real default embedding model and the shipped attribute weights read the questions and
the recalled sentences (as in `test_answer_order.py`). None of these sentences are in the
attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer, passage
from tests.answers import said as _said


def _fact(id_: str, content: str, attribute: str, value: str, since: str) -> dict:
    """Return a stored fact of `attribute`, current since `since`."""
    metadata = {"attribute": attribute, "value": value, "valid_from": since}
    return passage(id_, "facts", content, metadata, 0.4, 0.2)


CHANGES = [
    (
        "What's my job title these days?",
        [
            _fact("f1", "The user is a line cook.", "job", "line cook", "2026-01-02"),
            _said("m1", "I'm a line cook at Rosa's, grill station mostly.", 0.4, "2026-01-01"),
            _said("m2", "Big news, they made me kitchen manager, more rotas.", 0.3, "2026-03-01"),
        ],
        "kitchen manager",
    ),
    (
        "E agora, qual é a minha profissão?",
        [
            _fact("f1", "O usuário é enfermeiro.", "job", "enfermeiro", "2026-01-02"),
            _said("m1", "Sou enfermeiro no centro de saúde da vila.", 0.4, "2026-01-01"),
            _said(
                "m2",
                "Agora que sou enfermeiro-chefe, passo o dia em reuniões.",
                0.3,
                "2026-03-01",
            ),
        ],
        "enfermeiro-chefe",
    ),
    # "presently" asks what holds now; "since our move up to…" says a change no rule reads
    (
        "Where do I presently reside?",
        [
            _fact("f1", "The user lives in Kendal.", "home", "Kendal", "2026-01-02"),
            _said("m1", "We live in Kendal, right by the river.", 0.4, "2026-01-01"),
            _said(
                "m2", "Since our move up to Keswick the walks are even better.", 0.3, "2026-03-01"
            ),
        ],
        "Keswick",
    ),
    # "hoje" asks it too; "acabou tudo" says the old partner is gone
    (
        "Com quem eu namoro hoje?",
        [
            _fact("f1", "Companheiro(a) do usuário: Caio.", "partner", "Caio", "2026-01-02"),
            _said("m1", "O meu namorado Caio é baterista numa banda.", 0.4, "2026-01-01"),
            _said("m2", "Com o Caio acabou tudo. Hoje o meu namorado é o Léo.", 0.3, "2026-03-01"),
        ],
        "Léo",
    ),
    # "now I am at…" says the change; asked with no attribute word
    (
        "where am I working these days?",
        [
            _fact(
                "f1",
                "The user works at Elm Road Surgery.",
                "workplace",
                "Elm Road Surgery",
                "2026-01-02",
            ),
            _said("m1", "I'm a practice nurse at Elm Road Surgery.", 0.4, "2026-01-01"),
            _said(
                "m2", "Now I am at Castlegate Hospital, on the children's ward.", 0.3, "2026-03-01"
            ),
        ],
        "Castlegate",
    ),
    # the employer stored last answers, before the older message naming the old one
    (
        "Pra quem eu tô trabalhando agora?",
        [
            _said("m1", "Trabalho para a Câmara de Tavira, no arquivo.", 0.4, "2026-01-01"),
            _fact(
                "f1",
                "O usuário trabalha em Museu do Mar.",
                "workplace",
                "Museu do Mar",
                "2026-03-01",
            ),
        ],
        "Museu do Mar",
    ),
]


@pytest.mark.parametrize(("question", "context", "expected"), CHANGES)
def test_the_newest_change_is_quoted_before_what_it_replaced(
    model, classifier, question, context, expected
):
    _, citations = answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], citations


def test_a_change_of_something_else_does_not_jump_ahead(model, classifier):
    # A newer job change says nothing of where the user lives now.
    context = [
        _fact("f1", "The user lives in Dundee.", "home", "Dundee", "2026-01-02"),
        _said("m1", "Still in Dundee, the rain never stops.", 0.4, "2026-01-01"),
        _said("m2", "They made me head of the science department!", 0.3, "2026-03-01"),
    ]
    _, citations = answer(model, classifier, "Where do I live now?", context)
    assert citations and "Dundee" in citations[0]["snippet"], citations
