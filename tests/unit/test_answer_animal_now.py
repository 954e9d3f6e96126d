"""Asked what an animal is called now, the newest message naming one of that kind is quoted first.

The real default embedding model (USE) and the shipped attribute weights read the questions
and the recalled sentences, as in `test_answer_gate.py`. None of these sentences are in the
attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer as _answer
from tests.answers import fact, said

OLD, NEW = "2026-01-05T09:00:00", "2026-03-02T18:30:00"


@pytest.mark.parametrize(
    ("question", "context", "value"),
    [
        (
            "What's our rabbit called now?",
            [
                said(
                    "m1", "Biscuit, our rabbit, chewed through the charger cable again.", 0.6, OLD
                ),
                said(
                    "m2",
                    "Sad week, Biscuit got out and never came back. The neighbours gave us a "
                    "new rabbit, Clover.",
                    0.3,
                    NEW,
                ),
            ],
            "Clover",
        ),
        (
            "Como se chama a nossa tartaruga agora?",
            [
                said("m1", "A Manuela, a nossa tartaruga, dorme o inverno inteiro.", 0.6, OLD),
                said(
                    "m2",
                    "A Manuela fugiu do quintal, coitadinha. A vizinha deu-nos outra "
                    "tartaruga, a Pimenta.",
                    0.3,
                    NEW,
                ),
            ],
            "Pimenta",
        ),
        # a newer message naming no animal does not go before the stored fact
        (
            "What's my dog called now?",
            [
                fact("f1", "The user has a dog called Rolo.", "pet", 0.6),
                said("m1", "Booked the vet for the new pup next week, finally.", 0.3, NEW),
            ],
            "Rolo",
        ),
    ],
)
def test_the_animal_kept_now_is_cited_first(model, classifier, question, context, value):
    _, citations = _answer(model, classifier, question, context)
    assert citations and value in citations[0]["snippet"], citations
