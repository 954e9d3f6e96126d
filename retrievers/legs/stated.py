"""The user's latest statements of the attribute a question asks for (stored labels).

"Which town do I call home these days?" asks for `home`; the user said "we've sold up and
the new place is in York" in words no rule and little of the question's wording shares. The
outbox worker labelled that message `home` when it indexed it (`memory.statement_labels`);
this leg reads the labels, so no sentence is embedded on the read path. Only for questions
about the user whose attribute is known, by the word rules or the classifier. Candidates are
the newest statements first and `lift_latest` puts them at the head of the fused list in
that order: a move or a new job is stated after what it replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from memory import statement_labels
from memory.fact_questions import asked_attributes
from memory.fact_semantics import BY_WORDS_ONLY, AttributeClassifier
from memory.fact_statements import ORIGIN as STATEMENT
from memory.fact_statements import SINGLE_VALUED
from retrievers.boosts import reranked, retrieval_order
from retrievers.legs.base import Search, Stores, Version
from retrievers.legs.sources import message_candidate, message_label
from retrievers.types import Candidate, Source
from text.acts import asks_about_assistant, is_about_user

# How many of the newest statements become candidates.
LATEST = 3
# How sure a stored label must be. The classifier's own statement threshold (.15) suits the
# gate, which weighs a passage already recalled; as a reason to recall one it let in three
# wrong statements for every right one below .25, one in two from .25 to .35, one in ten
# from .5 (dev3, session 6).
FLOOR = 0.3


def asked(
    query: str, vector: Sequence[float] | None, classifier: AttributeClassifier | None
) -> list[str]:
    """Return the attributes a question about the user asks for: the rules', else by meaning.

    Prefixes as facts record them ("family" asks for "family:sister"); empty for a question
    not about the user. By meaning alone only where the rules are silent (they are the more
    precise); where both speak, what both read goes first ("who am I married to?" has the
    words of a `name` question and of a `partner` one, and means the partner).
    """
    if not is_about_user(query):
        return []
    found = asked_attributes(query)
    meant = list(classifier.asked(vector)) if classifier and vector is not None else []
    if not found:
        return meant
    return sorted(found, key=lambda a: a.partition(":")[0] not in meant)


class StatedAttribute:
    """The user's newest messages labelled with the attribute the question asks for."""

    name: ClassVar[str] = "stated"
    source: ClassVar[Source] = "conversation"
    signal: ClassVar[str] = "vector"
    needs_vector: ClassVar[bool] = True
    batched: ClassVar[bool] = True
    version: ClassVar[Version | None] = "memory"

    def __init__(self, stores: Stores) -> None:
        """Read the labels through `stores.pool`; the classifier reads the question."""
        self._pool = stores.pool
        self._classifier = stores.attributes

    async def search(self, q: Search) -> list[Candidate]:
        """Return the newest statements of the asked attribute, scored by cosine similarity.

        Each carries `scores["stated"]`: how sure the label is. Nothing when the question
        asks what the assistant said or asks no attribute.
        """
        assert q.vector is not None
        if self._classifier is None or asks_about_assistant(q.text):
            return []
        wanted = [
            a.partition(":")[0]
            for a in asked(q.text, q.vector, self._classifier)
            if a.partition(":")[0] not in BY_WORDS_ONLY
        ]
        rows = await statement_labels.latest_stating(
            self._pool,
            q.ident,
            list(dict.fromkeys(wanted)),
            q.vector,
            floor=max(FLOOR, self._classifier.thresholds.statement),
            limit=LATEST * 2,
        )
        out: dict[str, Candidate] = {}
        for row in rows:
            cand = message_candidate(
                row, {"vector": float(row["similarity"]), "stated": float(row["probability"])}
            )
            out.setdefault(cand["id"], cand)
        return list(out.values())[:LATEST]

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return who said it, and when."""
        return message_label(cand, language)


def _unasked_statement(cand: Candidate) -> bool:
    return (
        cand["source"] == "facts"
        and cand["metadata"].get("origin") == STATEMENT
        and not cand["scores"].get("asked")
    )


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _without_outdated(candidates: list[Candidate], found: list[Candidate]) -> list[Candidate]:
    """Drop statement facts of one-value attributes older than the newest labelled message.

    The classifier may label a change ("got promoted, now I'm project manager") too unsure
    to become a fact itself: the older statement fact would then be quoted before it.
    """
    said = [t for c in found if (t := _when(c["metadata"].get("created_at")))]
    newest = max(said) if said else None

    def outdated(cand: Candidate) -> bool:
        meta = cand["metadata"]
        since = _when(meta.get("valid_from"))
        return (
            cand["source"] == "facts"
            and meta.get("origin") == STATEMENT
            and str(meta.get("attribute")) in SINGLE_VALUED
            and since is not None
            and newest is not None
            and since < newest
        )

    return [c for c in candidates if not outdated(c)]


def lift_latest(candidates: list[Candidate]) -> list[Candidate]:
    """Put the candidates this leg found first, newest first, after the asked facts only.

    Run last, after the neighbours' lending: a lifted statement lends nothing to the small
    talk around it. The head becomes: current facts of the asked attribute (lifted before,
    `scores["asked"]`), then these statements, then the rest in their order. Statement facts
    (`memory.fact_statements`) of an attribute not asked are dropped.
    """
    # A statement fact is the user's words kept under the attribute the classifier read: it
    # answers a question asking that attribute, and is only a copy of its message otherwise.
    candidates = [c for c in candidates if not _unasked_statement(c)]
    # A statement of a since-replaced fact stays where `demote_superseded` put it.
    found = [
        c for c in candidates if "stated" in c["scores"] and not c["metadata"].get("superseded_by")
    ]
    if found:
        candidates = _without_outdated(candidates, found)
    if not found:
        return candidates
    facts = [c for c in candidates if c["source"] == "facts" and c["scores"].get("asked")]
    orders = [retrieval_order(c) for c in candidates]
    top, step = max(orders), ((max(orders) - min(orders)) or 1.0) * 1e-3
    found.sort(key=lambda c: str(c["metadata"].get("created_at") or ""), reverse=True)
    head = sorted(facts, key=retrieval_order, reverse=True) + found
    for place, cand in enumerate(head):
        order = top + step * (len(head) - place)
        cand["scores"]["fused"] = round(order - cand["scores"].get("neighbours", 0.0), 6)
    return reranked(candidates)
