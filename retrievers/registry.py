"""Which legs each strategy runs, with what weight: the one home of retrieval's tuning constants.

A strategy's sources are those of its legs. To add a leg, write its module under
`retrievers/legs/` and add one `Entry` line to `DEFAULT`. Constants were measured on the
LoCoMo dev split (BENCHMARKS.md); change them only with a cross-validated measurement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from retrievers.legs.base import Leg, Stores
from retrievers.legs.facts import Facts
from retrievers.legs.kb_dense import KbDense
from retrievers.legs.kb_lexical import KbLexical
from retrievers.legs.messages_dense import MessagesDense
from retrievers.legs.messages_lexical import MessagesLexical
from retrievers.legs.stated import StatedAttribute
from retrievers.legs.thread_window import ThreadWindow
from retrievers.types import STRATEGIES, Candidate, Source, Strategy


@dataclass(frozen=True)
class Entry:
    """One leg: its class, its weight in fusion per strategy, and its own constants."""

    leg: type[Leg]
    weights: Mapping[Strategy, float]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tuning:
    """Constants of the steps after fusion (retrievers/search.py).

    Measured by leave-one-conversation-out cross-validation on the LoCoMo dev split (`memoria
    eval locomo --cv`, BENCHMARKS.md; the values must be points of its grid). The shipped
    reranker (`retrievers/models/rerank-v1.json`) is trained on what these values retrieve
    and records them: change one, then retrain it, or the product falls back to the
    hand-tuned order (`retrievers.rerank.served_constants`).
    """

    neighbour_weight: float = 0.3
    """Share of a conversation hit's score lent to the turns next to it."""
    neighbour_hits: int = 10
    """How many top conversation hits lend score to their neighbours."""
    author_bonus: float = 0.8
    """Share of the fused-score range given to messages by a person the question names."""
    question_penalty: float = 0.6
    """Share of the fused-score range the user's past questions lose to their statements."""
    stated_bonus: float = 0.5
    """Share of the range given to messages stating what a question about the user asks for
    (when no fact of it is held)."""


@dataclass(frozen=True)
class Registry:
    """Legs by strategy; each process builds its legs from one of these."""

    entries: tuple[Entry, ...]
    tuning: Tuning = Tuning()

    def __post_init__(self) -> None:
        """Reject unknown strategies and two legs of one name."""
        names = [e.leg.name for e in self.entries]
        if len(set(names)) != len(names):
            raise ValueError(f"leg names must be unique, got {names}")
        for entry in self.entries:
            unknown = set(entry.weights) - set(STRATEGIES)
            if unknown:
                raise ValueError(f"{entry.leg.name}: unknown strategies {sorted(unknown)}")

    def with_leg(self, entry: Entry) -> Registry:
        """Return a copy with one more leg."""
        return Registry((*self.entries, entry), self.tuning)

    def build(self, stores: Stores) -> dict[str, Leg]:
        """Return every leg, built over `stores`, by name."""
        return {e.leg.name: e.leg(stores, **e.params) for e in self.entries}

    def weights(self, strategy: Strategy) -> dict[str, float]:
        """Return the weight of each leg `strategy` runs (weight above 0), by leg name."""
        return {
            e.leg.name: e.weights[strategy]
            for e in self.entries
            if e.weights.get(strategy, 0.0) > 0
        }

    def sources(self, strategy: Strategy) -> list[Source]:
        """Return the sources `strategy` searches, in registry order."""
        found: list[Source] = []
        for entry in self.entries:
            if entry.weights.get(strategy, 0.0) > 0 and entry.leg.source not in found:
                found.append(entry.leg.source)
        return found

    def empty_sources(self, memory_version: str, kb_version: str) -> set[Source]:
        """Return the sources none of whose legs can find anything at these versions ("0")."""
        empty = {"kb": kb_version == "0", "memory": memory_version == "0"}
        by_source: dict[Source, list[bool]] = {}
        for entry in self.entries:
            version = entry.leg.version
            by_source.setdefault(entry.leg.source, []).append(
                version is not None and empty[version]
            )
        return {source for source, flags in by_source.items() if all(flags)}

    def label(self, cand: Candidate, language: str = "en") -> str:
        """Return a short label for where `cand` came from, in `language` (its legs say)."""
        leg = next(e.leg for e in self.entries if e.leg.source == cand["source"])
        return leg.label(cand, language)

    def source_of(self, leg_name: str) -> Source:
        """Return the source of the leg named `leg_name`."""
        return next(e.leg.source for e in self.entries if e.leg.name == leg_name)


# BM25 constants per source. Chat turns are short and alike in length, so length
# normalisation (b) matters little there; document chunks vary more.
# The knowledge base reads at most `per_term` chunks per query word (all of a rarer word's).
KB_BM25 = {"k1": 1.2, "b": 0.75, "per_term": 400}
MESSAGES_BM25 = {"k1": 1.2, "b": 0.2}

# Lookups of codes and ids lean lexical (hybrid); "do you remember" questions lean on meaning.
DEFAULT = Registry(
    (
        # Questions about the user can be misread; the manual stays in reach, weighted low.
        Entry(KbDense, {"semantic_search": 1.0, "hybrid": 1.0, "cross_conversation": 0.3}),
        # A third of the meaning leg's: a page's words matter (codes, names), but a page
        # sharing the question's words outranked the one that answers, most of all across
        # languages (session 11, the chat sets' KB questions, BENCHMARKS.md: 1.0, 0.5 and
        # 0.3, chosen leaving each set out).
        Entry(KbLexical, {"hybrid": 0.3}, KB_BM25),
        Entry(MessagesDense, {"semantic_search": 1.0, "hybrid": 1.0, "cross_conversation": 1.0}),
        Entry(MessagesLexical, {"hybrid": 1.0, "cross_conversation": 0.6}, MESSAGES_BM25),
        Entry(Facts, {"semantic_search": 1.0, "hybrid": 1.0, "cross_conversation": 1.0}),
        # Statements labelled with the asked attribute (questions about the user only).
        Entry(StatedAttribute, {"semantic_search": 1.0, "hybrid": 1.0, "cross_conversation": 1.0}),
        Entry(ThreadWindow, {"recent_history": 1.0}),
    )
)
