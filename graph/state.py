"""Graph state: what a caller sends, and everything the nodes hand to each other."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

# LangServe's schema generation needs typing_extensions.TypedDict on Python 3.11.
from typing_extensions import TypedDict

from retrievers.types import Candidate, RouteDecision, Source


class Citation(TypedDict):
    """A passage the answer cites, numbered as in the answer text."""

    ref: int
    """The number used in the answer, e.g. 1 for [1]."""
    id: str
    """The candidate id."""
    source: Source
    """Which store it came from."""
    title: str
    """Document title, or a label such as 'you, 2026-11-20' for a past message."""
    snippet: str
    """The quoted text."""


class InputState(TypedDict):
    """What a caller sends: new messages for this thread."""

    messages: Annotated[list[AnyMessage], add_messages]
    """Conversation messages; new ones are appended (or replace by id)."""


class State(InputState):
    """Everything the nodes share within a thread."""

    summary: NotRequired[str]
    """Running summary of messages folded out of `messages` (the transcript keeps them all)."""
    summarised_count: NotRequired[int]
    """How many messages the summary covers: the transcript's, up to `summarised_through`."""
    summarised_through: NotRequired[str]
    """Id of the last message the summary covers (the window starts right after it)."""
    summarised_ids: NotRequired[list[str]]
    """Threads summarised before summaries were bounded listed every covered id here; their
    next summary reads its length as `summarised_count` and empties it."""
    route: NotRequired[RouteDecision]
    """The router's decision for the current turn."""
    candidates: NotRequired[list[Candidate]]
    """Retrieved items before reranking, fused across sources."""
    context: NotRequired[list[Candidate]]
    """Reranked items given to generate."""
    citations: NotRequired[list[Citation]]
    """Passages cited by the latest answer."""
    tool_rounds: NotRequired[int]
    """Generate <-> tools round trips taken in the current turn."""
    memory_version: NotRequired[str]
    """Version of the user's memory and the tenant's knowledge base this turn read."""
    retrieval_cache: NotRequired[Literal["hit", "miss", "off"]]
    """Whether this turn's retrieval came from the semantic retrieval cache."""
    timings: NotRequired[dict[str, float]]
    """Milliseconds spent in timed stages of the current turn (e.g. `retrieve_ms`)."""
    persisted_ids: NotRequired[list[str]]
    """Ids of this thread's messages already written to the transcript (bounded tail)."""
    language: NotRequired[str | None]
    """The conversation's language ("en", "pt"): the latest question's, or the one before."""
    open_turn: NotRequired[list[str]]
    """Input ids of the turn in progress: set by the router, cleared by persist."""
    incognito: NotRequired[bool]
    """The thread is incognito: once a run asks for it, every later turn of the thread is too."""
    private: NotRequired[bool]
    """This turn keeps nothing beyond the thread (incognito, or the user's memory is off)."""


class OutputState(TypedDict):
    """What a caller gets back."""

    messages: list[AnyMessage]
    """The thread's current window of messages; the last one is the answer."""
    summary: NotRequired[str]
    """Running summary of older messages."""
    route: NotRequired[RouteDecision]
    """How memory was used for this turn."""
    citations: NotRequired[list[Citation]]
    """Passages the answer cites."""
    context: NotRequired[list[Candidate]]
    """The reranked passages, with their per-signal scores."""


def latest_question(state: State) -> str:
    """Return the text of the latest human message, or '' if there is none."""
    for message in reversed(state["messages"]):
        if message.type == "human":
            return message.text if isinstance(message.text, str) else str(message.content)
    return ""
