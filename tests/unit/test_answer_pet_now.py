"""Asked an animal's name with no pronoun, what holds now is quoted, not an old mention.

"What's the hamster called these days?" says no "my", yet only the user's pet has a name
to give: the old pet named in passing inside a request must not be quoted before the
stored fact of the new one. The real default embedding model and the shipped attribute
weights read the questions; none of these sentences are in the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer, passage
from tests.answers import said as _said


def _pet(id_: str, content: str, value: str, since: str) -> dict:
    """Return the stored, current fact of a pet called `value`."""
    metadata = {"attribute": "pet", "value": value, "valid_from": since}
    return passage(id_, "facts", content, metadata, 0.3, 0.3)


CASES = [
    (
        "What's the parrot called these days?",
        [
            _said(
                "m1",
                "My wife thinks Biscuit (our African grey) should get a notebook for vet checks. "
                "Can two people edit one notebook?",
                0.4,
                "2026-02-01",
            ),
            _pet("f1", "The user has a pet called Pepper.", "Pepper", "2026-05-02"),
            _said(
                "m2",
                "Bad news, Biscuit passed away last month. We adopted another parrot, Pepper.",
                0.3,
                "2026-05-02",
            ),
        ],
        "Pepper",
    ),
    (
        "E a tartaruga, como se chama agora?",
        [
            _said(
                "m1",
                "O meu filho acha que o Tobias (a nossa tartaruga) precisa de uma lista de "
                "compras só dele. Dá para partilhar?",
                0.4,
                "2026-02-01",
            ),
            _pet(
                "f1",
                "O usuário tem um animal de estimação chamado Foguete.",
                "Foguete",
                "2026-05-02",
            ),
            _said(
                "m2",
                "O Tobias fugiu do quintal e não voltou. Agora temos outra tartaruga, o Foguete.",
                0.3,
                "2026-05-02",
            ),
        ],
        "Foguete",
    ),
]


@pytest.mark.parametrize(("question", "context", "expected"), CASES)
def test_the_pet_asked_now_is_the_new_one(model, classifier, question, context, expected):
    _, citations = answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], citations
