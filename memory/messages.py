"""What memoria reads from a chat message: its text, its stable row id, who wrote it (pure)."""

from __future__ import annotations

import uuid

from langchain_core.messages import BaseMessage

# Replies of the offline extractive responder only quote sources already indexed; indexing them
# as conversation memory would make later answers quote earlier quotes.
EXTRACTIVE_MODEL_NAME = "memoria-extractive"


def message_uuid(message: BaseMessage) -> str:
    """Return a UUID for `message`, derived from its id so re-indexing replaces, not duplicates."""
    if message.id is None:
        raise ValueError("message has no id; add it to graph state before persisting")
    return message_uuid_of(message.id)


def message_uuid_of(message_id: str) -> str:
    """Return the index row id of the message with id `message_id`."""
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, message_id))


def is_extractive_reply(message: BaseMessage) -> bool:
    """Return whether `message` is a reply of the offline extractive responder."""
    return message.response_metadata.get("model_name") == EXTRACTIVE_MODEL_NAME


def message_text(message: BaseMessage) -> str:
    """Return the plain text of a message, whatever its content blocks."""
    return message.text if isinstance(message.text, str) else str(message.content)
