"""Facts the word rules miss, kept in the user's own words when the classifier is sure.

"Biscuit goes mental when the postman comes" names no pet in any phrasing the rules know
(`memory/fact_rules.py`), yet the attribute classifier (`memory/fact_semantics.py`) reads it as
the user's pet. In the outbox worker only (never on a turn's path), a statement sentence the
classifier gives to attribute X at least `MEMORIA_FACT_FALLBACK` sure, in a message from which
the rules extracted nothing of X, is stored as a fact of X quoting the sentence: "The user
said: «Biscuit goes mental when the postman comes»".

- A fallback fact of X is kept under "<X>:said", one at a time: a later one replaces it, and
  so does a later rule-extracted fact of X (`FactStore.record`). It fills gaps only: none is
  stored while the rules hold a current fact of X, and none from a message the rules found
  X in.
- Never an age or a favourite (a number or the thing named: the rules' domain), never
  someone else's things (`statement_sentences` leaves those out), never from a private turn
  (those are not enqueued at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from memory.fact_extraction import ExtractedFact
from memory.fact_semantics import ASKS, NONE, AttributeClassifier
from text.acts import statement_sentences, statements
from text.language import detect
from text.words import sentences as split_sentences

# Attributes only the word rules may store (same reason as `graph.semantic_evidence`).
BY_WORDS_ONLY = frozenset({"age", "favourite", NONE})
SAID = ":said"
_SAID = {"en": "The user said: «{}»", "pt": "O usuário disse: «{}»"}


@dataclass(frozen=True)
class Reading:
    """A sentence the classifier reads as stating `attribute` with `probability`."""

    attribute: str
    probability: float
    sentence: str


@dataclass(frozen=True)
class Fallback:
    """The classifier and embeddings the worker reads a message's sentences with.

    Attributes:
        classifier: The attribute classifier of the configured embedding model.
        embeddings: Embeds sentences as stored texts (the worker's, which caches nothing).
        threshold: How sure the classifier must be that a sentence states its attribute.
        name: What a fallback fact records as its extractor.
    """

    classifier: AttributeClassifier
    embeddings: Embeddings
    threshold: float
    name: str = "meaning"

    async def readings(self, message: str, found: Sequence[ExtractedFact]) -> list[Reading]:
        """Return, per attribute `found` has nothing of, the sentence surest to state it."""
        sentences = statement_sentences(message)
        if not sentences:
            return []
        verdicts = self.classifier.statements(await self.embeddings.aembed_documents(sentences))
        covered = {f.attribute.partition(":")[0] for f in found}
        best: dict[str, Reading] = {}
        for sentence, verdict in zip(sentences, verdicts, strict=True):
            attribute = verdict.attribute
            if (
                attribute in BY_WORDS_ONLY
                or verdict.probability < self.threshold
                or covered & {attribute, *verdict.asks}
            ):
                continue
            if attribute not in best or verdict.probability > best[attribute].probability:
                best[attribute] = Reading(attribute, verdict.probability, sentence)
        # Quoted whole when all of its sentence is the user's own (names and all).
        whole = [w for w in split_sentences(statements(message)) if w in sentences]
        return [
            Reading(r.attribute, r.probability, _whole(r.sentence, whole)) for r in best.values()
        ]

    async def facts(self, message: str, found: Sequence[ExtractedFact]) -> list[ExtractedFact]:
        """Return the facts `message` states by meaning of attributes `found` has none of."""
        said = _SAID.get(detect(message) or "en", _SAID["en"])
        return [
            ExtractedFact(
                attribute=r.attribute + SAID,
                value=r.sentence,
                text=said.format(r.sentence),
                single_valued=True,
            )
            for r in await self.readings(message, found)
        ]


def said_key(attribute: str) -> str:
    """Return the key of the fallback facts a fact of `attribute` closes ("pet:dog": pet:said)."""
    base = attribute.partition(":")[0]
    return next((k for k, v in ASKS.items() if base in v), base) + SAID


def rule_keys(said: str) -> tuple[str, ...]:
    """Return the rules' attributes whose current fact makes a fallback of `said` redundant."""
    base = said.removesuffix(SAID)
    return ASKS.get(base, (base,))


def _whole(clause: str, whole: Sequence[str]) -> str:
    """Return the sentence `clause` was read in, when all of it is the user's (names and all).

    "the little furball" is what the classifier was surest of; "Mochi spent the whole morning
    asleep on my keyboard, the little furball" is what answers "what's my cat called?".
    """
    return next((sentence for sentence in whole if clause in sentence), clause)
