"""Facts from labelled statements: what the classifier is sure a sentence states, kept as a fact.

The word rules (`memory.fact_rules`) read "I work at Halden Build" but not "Since I resumed
at Adebayo Partners my oga wants everything documented"; the attribute classifier
(`memory.fact_semantics`) reads both. When the outbox worker labels a user's sentence sure
of an attribute and the rules found no fact of that attribute in the message, the sentence
itself becomes a fact of it, with its message as the source: the user's words are the value
(no span is guessed), so the facts leg and the asked-attribute lift find it like any other
fact, in any thread.

Of an attribute holding one value at a time (`SINGLE_VALUED`: home, job, employer,
partner), the newest statement replaces an earlier statement fact (supersession: "the new
place is in York" closes "our Sheffield terrace"), unless it names the current value again
(a restatement confirms). It never replaces a fact the rules, an LLM or the user recorded
(`memory.facts`): on dev3 the classifier took "from September I'm at the Pirilampo school,
nearer home" for a move and closed the user's home; the stated leg still brings the newest
statement. Sentences about someone else's job, home or health ("my brother works at Kuda
Bank", "o meu marido também é advogado") are not the user's and give no fact; nor do wishes and
conditions ("if I ever get a dog I'll name it Milo", "se um dia eu tiver um gato…").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from memory.fact_extraction import ExtractedFact, extract_facts
from memory.fact_semantics import ASKS, BY_WORDS_ONLY, AttributeClassifier, Verdict
from memory.message_index import IndexEntry
from text import wishes
from text.kin import PEOPLE
from text.words import fold

# How sure the classifier must be: from .5 one label in ten was wrong on dev3 (stated leg).
SURE = 0.5
# Classes a statement fact is kept for. `name` is left to the rules (a name is a value they
# read well, and a sentence is no name).
KEPT = (
    frozenset("home hometown job workplace partner family pet health hobby preference".split())
    - BY_WORDS_ONLY
)
# Attributes one value of which replaces the last (the newest statement is the answer).
SINGLE_VALUED = frozenset({"home", "hometown", "job", "workplace", "partner"})
# Whose attributes a sentence naming a relative or a friend may be about: theirs.
ABOUT_THEM = SINGLE_VALUED | {"health", "hobby", "preference"}
ORIGIN = "statement"

# "my brother Emeka works at…", "o meu irmão também é enfermeiro".
_SOMEONE_ELSE = re.compile(
    rf"\b(?:my|our|his|her|their|(?:o|a|os|as)?\s*(?:meu|minha|meus|minhas|nosso|nossa|seu|sua))"
    rf"\s+(?:\w+\s+)?(?:{PEOPLE})\b"
)


# Where a wish ends and a fact may start: "…vai se chamar Sardinha, mas por enquanto só
# tenho o Tufão".
_BUT = re.compile(rf"(?:,\s*|\s+)(?:{wishes.ENDS})\s+")


def hypothetical(sentence: str) -> bool:
    """Return whether `sentence` states a condition or a wish, which is no fact of the user."""
    return wishes.wishful(fold(sentence))


def factual_part(sentence: str) -> str:
    """Return `sentence`, or what follows its last "but" when it opens as a hypothetical.

    An empty string when no part of it states a fact.
    """
    if not hypothetical(sentence):
        return sentence
    parts = _BUT.split(sentence)
    tail = parts[-1] if len(parts) > 1 else ""
    return "" if hypothetical(tail) else tail


def about_someone_else(sentence: str) -> bool:
    """Return whether `sentence` names a relative or a friend (their things, not the user's)."""
    return bool(_SOMEONE_ELSE.search(sentence) or _SOMEONE_ELSE.search(fold(sentence)))


# Attributes the classifier confuses with one another ("Our office at Kesari Infra is
# flooded" read as a home; "Got promoted, I am product manager now" as a workplace).
_WHERE_AND_WHAT = frozenset({"home", "job", "workplace"})
_WORK = frozenset({"job", "workplace"})


def _rules_read_other(clause: str, sentence: str, label: str) -> bool:
    """Return whether the word rules read the labelled words as another of home/job/workplace.

    The rules' reading is the surer one. A clause they read as another of the three gives no
    statement fact; nor does a sentence they read as the other half of the job/workplace pair
    (the classifier takes a promotion for a new employer), while a home and a workplace told
    in one sentence ("since I started at Andrade Lima, here in Belo Horizonte") both stand.
    """
    read = {f.attribute for f in extract_facts(clause)} & _WHERE_AND_WHAT
    if label in _WORK:
        read |= {f.attribute for f in extract_facts(sentence)} & _WORK
    return bool(read - {label})


def stated_facts(
    classifier: AttributeClassifier,
    entries: Sequence[IndexEntry],
    owned: Sequence[tuple[str, str]],
    vectors: Sequence[Sequence[float]],
) -> dict[str, list[ExtractedFact]]:
    """Return, per user message of `entries`, a fact per attribute a sentence is sure of.

    Args:
        classifier: The attribute classifier of the model that embedded `vectors`.
        entries: A turn's index entries (only the user's messages state facts).
        owned: (message row id, sentence) pairs, as `memory.statement_labels.sentences`.
        vectors: One vector per pair of `owned`, embedded as stored texts.

    The fact's value and text are the whole sentence that states it best (a clause is
    widened to the sentence holding it, which names the value more often than the clause).
    """
    verdicts = classifier.statements(vectors)
    out: dict[str, list[ExtractedFact]] = {e.id: [] for e in entries if e.role == "human"}
    for message_id, facts in out.items():
        # A hypothetical states nothing; "…, but for now I only have Rex" keeps its fact.
        mine = [
            (part, verdict)
            for (owner, sentence), verdict in zip(owned, verdicts, strict=True)
            if owner == message_id and (part := factual_part(sentence))
        ]
        best: dict[str, tuple[float, str]] = {}
        for sentence, verdict in mine:
            label = verdict.attribute
            if label not in KEPT or verdict.probability < SURE:
                continue
            if label in ABOUT_THEM and about_someone_else(sentence):
                continue
            whole = max((s for s, _ in mine if sentence in s), key=len)
            if label in _WHERE_AND_WHAT and _rules_read_other(sentence, whole, label):
                continue
            if verdict.probability > best.get(label, (0.0, ""))[0]:
                best[label] = (verdict.probability, sentence)
        for label, (_, clause) in best.items():
            whole = max((s for s, _ in mine if clause in s), key=len)
            if label in ABOUT_THEM and about_someone_else(whole):
                whole = clause
            attribute = Verdict(label, 0.0).asks[-1]
            facts.append(ExtractedFact(attribute, whole, whole, label in SINGLE_VALUED))
    return out


def unread(
    stated: Sequence[ExtractedFact], extracted: Sequence[ExtractedFact]
) -> list[ExtractedFact]:
    """Return the statement facts of attributes the rules found no fact of in the message."""
    found = [f.attribute for f in extracted]
    return [
        fact
        for fact in stated
        if not any(a.startswith(ASKS.get(fact.attribute, (fact.attribute,))) for a in found)
    ]
