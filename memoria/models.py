"""The memory API's wire format: what the server validates and answers, what the SDK sends.

One definition for both sides: `api/routes/memory.py` declares these as its request and
response models (so OpenAPI documents them), and `memoria.Client` parses answers into them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Kind = Literal["fact", "message", "document"]
Role = Literal["user", "assistant", "human", "ai"]
MAX_TEXT_CHARS = 2000
MAX_MESSAGES = 32
MAX_K = 50


class _Request(BaseModel):
    # A field the server does not know is a 422 naming it, never silently dropped.
    model_config = ConfigDict(extra="forbid")


class Message(_Request):
    """One message of a conversation to remember."""

    role: Role = Field(description='Who said it: "user" (or "human") or "assistant" (or "ai").')
    content: str = Field(min_length=1, description="What was said.")


class AddMemory(_Request):
    """Either `text` (a fact to keep now) or `messages` (a conversation to store and learn from)."""

    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="A fact as a sentence, e.g. 'I live in Lisbon'; stored at once.",
    )
    messages: list[Message] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MESSAGES,
        description="Messages stored in `thread_id`'s transcript (a new thread if left out); "
        "the outbox worker indexes them and extracts their facts shortly after (202).",
    )
    thread_id: str | None = Field(
        default=None, description="The user's thread the messages belong to (`messages` only)."
    )


class UpdateMemory(_Request):
    """A correction: the new version supersedes the old one, which stays in its history."""

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The corrected fact.")
    value: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="The attribute's new value (e.g. 'Lisbon'); the text itself if left out.",
    )


class SearchMemory(_Request):
    """What to look for in a user's memory, and which results may come back."""

    query: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="What to look for.")
    k: int = Field(default=5, ge=1, le=MAX_K, description="Most results.")
    kinds: list[Kind] = Field(
        default=["fact", "message"],
        min_length=1,
        description="What to search: facts, past messages, knowledge-base documents.",
    )
    thread_id: str | None = Field(default=None, description="Only results from this thread.")
    after: AwareDatetime | None = Field(
        default=None, description="Only what was said or stated at or after this time."
    )
    before: AwareDatetime | None = Field(
        default=None, description="Only what was said or stated before this time."
    )


class Memory(BaseModel):
    """A fact memoria keeps about a user: one version of it."""

    id: str = Field(description="The fact's id.")
    text: str = Field(description="The fact as a sentence.")
    attribute: str = Field(description="What it is about: home, name, job, note...")
    value: str = Field(description="Its value, e.g. 'Lisbon'.")
    current: bool = Field(description="Whether it still holds (False: superseded).")
    valid_from: str = Field(description="When it started to hold (ISO 8601).")
    valid_to: str | None = Field(default=None, description="When it stopped holding.")
    supersedes: str | None = Field(default=None, description="The version it replaced.")
    superseded_by: str | None = Field(default=None, description="The version that replaced it.")
    thread_id: str | None = Field(default=None, description="The thread it was stated in.")
    origin: str | None = Field(
        default=None, description="How it came: message, remember, correction."
    )
    extractor: str | None = Field(default=None, description="What recognised it: rules, llm:...")


class MemoryList(BaseModel):
    """Facts of a user, newest first."""

    memories: list[Memory]


class AddResult(BaseModel):
    """What an add stored: facts at once (`stored`), or messages to be learnt from (`queued`)."""

    status: Literal["stored", "queued"]
    memories: list[Memory] = Field(default_factory=list, description="The facts stored.")
    thread_id: str | None = Field(default=None, description="Where the messages were stored.")
    message_ids: list[str] = Field(default_factory=list, description="The messages' ids.")


class SearchResult(BaseModel):
    """One thing found, with its scores and where it came from."""

    id: str = Field(description="The fact's, message's or document chunk's id.")
    kind: Kind
    text: str
    score: float = Field(description="The fused score it was ranked by (higher is better).")
    scores: dict[str, float] = Field(description="Per-signal scores: vector, lexical, fused...")
    provenance: dict[str, Any] = Field(
        description="Where it came from: thread and time of a message, attribute and since "
        "when of a fact, title and section of a document."
    )


class SearchResults(BaseModel):
    """Search results, best first."""

    results: list[SearchResult]


class DeleteReceipt(BaseModel):
    """What a deletion removed, per store."""

    scope: dict[str, Any]
    counts: dict[str, int]
    at: str
