"""A knowledge-base page in the other language, quoted when it is clearly the one that answers.

The responder's gate (`graph.quotable`) lets a passage in on a word it shares with the
question or on a meaning close enough to be on its topic (`Calibration.on_topic`). A page in
another language than the question shares no word with it, and the multilingual vectors put a
question and the page that answers it across languages no closer than within one (session
11: 25 of 73 answer pairs below 0.35): "O apoio ao cliente está aberto no dia de Natal?"
against support.txt's "closed on 25 December" (0.33) got "nothing found" though the
page ranked first, and "qual é o atalho pra riscar um texto?" quoted a Portuguese page
sharing "texto" over the English shortcuts page ranked first. Quoting nothing is right for a
question nothing answers; a page of the other language that ranks first AND is the closest
in meaning of everything retrieved is not nothing, and goes before what shares a word.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.quotable import written_in
from retrievers.types import Candidate

# The cosine (USE, the default model) such a page needs at least. Chosen leaving each chat
# set out (BENCHMARKS.md, session 12; 0.1-0.35 tried, ties to the middle of the plateau): seven
# folds chose 0.15, one 0.125, one 0.2. The never-told questions such a page would answer sit
# behind a passage closer in meaning, which the rule also asks for.
FLOOR = 0.15


def across_languages(
    quotable: Sequence[Candidate], context: Sequence[Candidate], language: str | None
) -> list[Candidate]:
    """Return `quotable`, the top passage first when the gate could not read it across languages.

    The top passage of `context` goes first when it ranks first, is a knowledge-base passage
    written in the other language than the question's, is at least as close in meaning to
    the question as every other passage retrieved, and at least `FLOOR` close. Otherwise
    `quotable` as it is (empty: the caller says it found nothing, as before).
    """
    if not context or language is None:
        return list(quotable)
    top = context[0]
    written = written_in(top)
    if top["source"] != "knowledge_base" or written is None or written == language:
        return list(quotable)
    closeness = top["scores"].get("vector", 0.0)
    if closeness < FLOOR or any(c["scores"].get("vector", 0.0) > closeness for c in context[1:]):
        return list(quotable)
    return [top, *(c for c in quotable if c["id"] != top["id"])]
