"""How candidates of each source are built from rows and labelled (shared by their legs)."""

from __future__ import annotations

from typing import Any

from memory.message_index import ALL_ROLES, USER_ROLES
from memory.message_index import COLUMNS as MESSAGE_COLUMNS
from retrievers.legs.base import iso
from retrievers.types import Candidate
from text.acts import asks_about_assistant

# Scoping columns stay out of candidate metadata: callers already know whose data it is.
SCOPE_KEYS = frozenset({"tenant_id", "user_id"})
# A knowledge-base candidate's metadata: key and its default when neither row nor JSON has it.
_KB_METADATA = (
    ("title", ""),
    ("source", ""),
    ("doc_id", ""),
    ("chunk_index", None),
    ("section", ""),
    ("lang", None),
)


def kb_candidate(row: dict[str, Any], scores: dict[str, float]) -> Candidate:
    """Build a knowledge-base candidate from a search row of `kb_chunks`."""
    # A column of the row wins over its JSON metadata (`row_metadata`); only these six are
    # kept, so only these are looked up (~40 rows a turn).
    extra = row.get("extra") or {}
    return Candidate(
        id=f"kb:{row['id']}",
        source="knowledge_base",
        content=row["content"],
        metadata={
            key: iso(row[key]) if key in row else extra.get(key, default)
            for key, default in _KB_METADATA
        },
        scores=scores,
        ranks={},
    )


def message_candidate(row: dict[str, Any], scores: dict[str, float]) -> Candidate:
    """Build a conversation candidate from a search row of the message index."""
    # `row_metadata` without the scope keys, in one pass (~60 rows a turn).
    metadata = {k: v for k, v in (row.get("extra") or {}).items() if k not in SCOPE_KEYS}
    for column in MESSAGE_COLUMNS:
        if column in row:
            metadata[column] = iso(row[column])
    metadata["created_at"] = iso(metadata.get("created_at"))
    return Candidate(
        id=f"msg:{row['id']}",
        source="conversation",
        content=row["content"],
        metadata=metadata,
        scores=scores,
        ranks={},
    )


def kb_label(cand: Candidate) -> str:
    """Return "title > section (file)" for a knowledge-base passage."""
    meta = cand["metadata"]
    title = meta.get("title") or "document"
    section = meta.get("section")
    source = str(meta.get("source", "")).rsplit("/", 1)[-1]
    if not section or section == title:
        label = title
    elif section.startswith(title):
        label = section
    else:
        label = f"{title} > {section}"
    return f"{label} ({source})" if source else label


_MESSAGE_LABELS = {
    "en": {
        "human": "you",
        "ai": "me",
        "thread": "this conversation",
        "past": "a past conversation",
    },
    "pt": {
        "human": "você",
        "ai": "eu",
        "thread": "nesta conversa",
        "past": "numa conversa anterior",
    },
}


def message_label(cand: Candidate, language: str = "en") -> str:
    """Return "you|me, this|a past conversation, date" for a message, in `language`."""
    words = _MESSAGE_LABELS.get(language, _MESSAGE_LABELS["en"])
    meta = cand["metadata"]
    who = words["human"] if meta.get("role") == "human" else words["ai"]
    when = str(meta.get("created_at") or "")[:10]
    where = words["thread"] if cand["source"] == "thread" else words["past"]
    return f"{who}, {where}" + (f", {when}" if when else "")


def roles_for(question: str) -> tuple[str, ...]:
    """Return whose messages are evidence for `question`.

    The user's own words are; the assistant's earlier answers only when the question asks
    what it said (they are not facts about the user).
    """
    return ALL_ROLES if asks_about_assistant(question) else USER_ROLES
