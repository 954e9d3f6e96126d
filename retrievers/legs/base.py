"""What a retrieval leg is: one way of finding candidates for a question, in one source.

A leg searches one store for one kind of evidence (meaning, words, recency...) and returns
candidates best first, each scored under the leg's `signal`. Legs of one signal score on one
scale (every "vector" leg returns cosine similarities of the same model), which fusion uses
to place a leg that found too few results to be scaled on its own. Adding a leg is one module
with a `Leg` class and one line in `retrievers.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol

from psycopg_pool import AsyncConnectionPool

from memory.conversation import ConversationMemory
from memory.fact_semantics import AttributeClassifier
from memory.facts import FactStore
from retrievers.types import Candidate, Source
from storage.identity import Identity
from text.language import TS_CONFIGS

# What tells whether a leg can find anything at all: the version of the tenant's knowledge
# base, of the user's memory, or nothing (always searched).
Version = Literal["kb", "memory"]


@dataclass(frozen=True)
class Stores:
    """What legs search, shared by every leg of a process."""

    pool: AsyncConnectionPool
    conversation: ConversationMemory
    facts: FactStore
    recent_window: int
    attributes: AttributeClassifier | None = None
    """What questions ask by meaning (None: the model has none; the word rules alone)."""


@dataclass(frozen=True)
class Search:
    """One question, as every leg of a retrieval sees it."""

    ident: Identity
    text: str
    vector: list[float] | None
    """The question's embedding; None unless some leg of the retrieval `needs_vector`."""
    fetch_k: int
    language: str | None = None
    """The question's language ("en", "pt"), None when unknown."""


class Leg(Protocol):
    """One way of finding candidates; built once per process with the `Stores`."""

    name: ClassVar[str]
    """Registry key and the leg's name in traces, e.g. "kb_dense"."""
    source: ClassVar[Source]
    """Where its candidates come from."""
    signal: ClassVar[str]
    """The score it ranks by ("vector", "lexical", "recency"): legs of one signal share a scale."""
    needs_vector: ClassVar[bool]
    """Whether it needs the question's embedding (the others start before it is ready)."""
    version: ClassVar[Version | None]
    """The stored version that is 0 while the leg cannot find anything."""

    async def search(self, q: Search) -> list[Candidate]:
        """Return candidates for `q`, best first, scored under `signal`."""
        ...

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return a short human label for where `cand` came from."""
        ...


def vector_text(leg: Leg, question: str) -> str:
    """Return the text a leg's question vector embeds: the question, unless the leg says.

    A leg that `needs_vector` may define `vector_text(question) -> str` (e.g. the question
    without the names in it); legs that embed the same text share one vector.
    """
    view = getattr(leg, "vector_text", None)
    return view(question) if view is not None else question


def batched(leg: Leg) -> bool:
    """Return whether `leg` sends its one search through `storage.batch.rows`.

    A leg that does may say `batched = True`: the retrieval then sends its statement with
    those of the other such legs starting with it (with or without the question's vector)
    in one round trip, once each has queued its own or finished.
    """
    return bool(getattr(leg, "batched", False))


def can_see(leg: Leg, cand: Candidate, language: str | None) -> bool:
    """Return whether `leg` could have found `cand` for a question in `language`.

    A leg blind to some passages may define `sees(cand, language) -> bool` (a word search
    cannot match a passage in another language than the question's); the others see all.
    """
    sees = getattr(leg, "sees", None)
    return sees(cand, language) if sees is not None else True


def stemmed_alike(cand: Candidate, language: str | None) -> bool:
    """Return whether a question's words in `language` could meet `cand`'s words at all.

    A question's words are stemmed in its language and met against each row's own stemming:
    a Portuguese question hardly matches an English page or message (codes, names,
    cognates), so a word search's silence about one says nothing against it. Rows "simple"
    (too short to tell) are stemmed with every question; an unknown language searches all.
    """
    if language not in TS_CONFIGS:
        return True
    # Rows written before languages were stored have none: stemmed as English.
    written = cand["metadata"].get("lang") or "en"
    return written in (language, "simple")


def iso(value: Any) -> Any:
    """Return datetimes as ISO strings, anything else as it is."""
    return value.isoformat() if isinstance(value, datetime) else value


def row_metadata(row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """Return a search row's metadata: its JSON `extra` plus `columns` (dates as ISO)."""
    meta = {**(row.get("extra") or {})}
    meta.update({k: iso(row[k]) for k in columns if k in row})
    return meta
