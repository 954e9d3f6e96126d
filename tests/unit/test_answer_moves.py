"""A move told in words no rule stores still outdates the home fact it contradicts.

The real default embedding model (USE) and the shipped attribute weights read the questions
and the recalled sentences, as in `test_answer_gate.py`. None of these sentences are in the
attribute bank or the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer as _answer
from tests.answers import passage, said


def _home(content: str, value: str) -> dict:
    """Return a home fact stored on the first of January."""
    metadata = {"attribute": "home", "value": value, "valid_from": "2026-01-01T09:00:00"}
    return passage("f1", "facts", content, metadata, 0.6, 0.2)


@pytest.mark.parametrize(
    ("question", "stored", "moved", "expected"),
    [
        (
            "Where do I live these days?",
            ("The user lives in Dundee.", "Dundee"),
            "We finally moved! Now living in Perth, the flat looks over the river.",
            "Perth",
        ),
        (
            "Em que cidade eu moro agora?",
            ("O usuário mora em Londrina.", "Londrina"),
            "Mudei pra Maringá mês passado, agora moro pertinho do parque.",
            "Maringá",
        ),
    ],
)
def test_a_newer_move_is_cited_before_the_home_fact_it_outdates(
    model, classifier, question, stored, moved, expected
):
    context = [_home(*stored), said("m1", moved, 0.4, "2026-02-01T10:00:00")]
    _, citations = _answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("question", "stored", "changed"),
    [
        (
            "Where do I live?",
            ("The user lives in Dundee.", "Dundee"),
            "Moved to nights at the depot now, so I sleep all morning in Dundee.",
        ),
        (
            "Onde eu moro?",
            ("O usuário mora em Londrina.", "Londrina"),
            "Mudei de emprego, agora estou na cooperativa aqui perto de casa.",
        ),
    ],
)
def test_a_change_of_anything_else_leaves_the_home_fact_first(
    model, classifier, question, stored, changed
):
    context = [_home(*stored), said("m1", changed, 0.4, "2026-02-01T10:00:00")]
    _, citations = _answer(model, classifier, question, context)
    assert citations and citations[0]["id"] == "f1", citations
