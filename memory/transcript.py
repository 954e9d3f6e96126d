"""Transcripts (`chat_history`): every message of every thread, the source of truth.

The table is langchain-postgres's `PostgresChatMessageHistory` layout, which reads it back;
memoria writes rows itself so that a turn commits with its outbox job in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage, message_to_dict, messages_from_dict
from langchain_postgres import PostgresChatMessageHistory
from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from storage.identity import Identity
from storage.schema import CHAT_HISTORY_TABLE

# The row PostgresChatMessageHistory.aadd_messages writes. A message already stored (a turn
# sent again after a crash lost the checkpoint recording it) is skipped; concurrent turns of
# a thread wait for each other on the claim's row lock.
INSERT = f"""
    INSERT INTO {CHAT_HISTORY_TABLE} (session_id, message)
    SELECT %(session_id)s::uuid, %(message)s::jsonb
    WHERE NOT EXISTS (
        SELECT 1 FROM {CHAT_HISTORY_TABLE}
        WHERE session_id = %(session_id)s::uuid AND message_id = %(message_id)s
    )
    RETURNING message_id
"""
# The messages of a thread with these ids (the index on session and message id serves it;
# `message_id` is generated from the message, a plain column the user policy lets it use).
STORED = f"""
    SELECT message FROM {CHAT_HISTORY_TABLE}
    WHERE session_id = %s::uuid AND message_id = ANY(%s)
    ORDER BY id
"""
USER_TEXTS = f"""
    SELECT message->'data'->>'content' AS text FROM {CHAT_HISTORY_TABLE}
    WHERE session_id = ANY(%s) AND message->>'type' = 'human'
"""
# Each transcript's first user message: what the thread is about (its title on the page).
FIRST_QUESTIONS = f"""
    SELECT DISTINCT ON (session_id) session_id, message->'data'->>'content' AS text
    FROM {CHAT_HISTORY_TABLE}
    WHERE session_id = ANY(%s) AND message->>'type' = 'human'
    ORDER BY session_id, id
"""
DELETE = f"DELETE FROM {CHAT_HISTORY_TABLE} WHERE session_id = ANY(%s)"


def insert_rows(
    ident: Identity, messages: Sequence[BaseMessage], dumped: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Return the parameters of `INSERT` for each of `messages` of `ident`'s thread.

    Args:
        ident: Whose thread.
        messages: The messages.
        dumped: Each message's `dump_message` text, when the caller has it already.
    """
    texts = dumped if dumped is not None else [dump_message(m) for m in messages]
    return [
        {"session_id": ident.session_id, "message": text, "message_id": m.id}
        for m, text in zip(messages, texts, strict=True)
    ]


def dump_message(message: BaseMessage) -> str:
    """Return a message as the transcript and the hot window store it (JSON text)."""
    return json.dumps(message_to_dict(message))


async def read(conn: AsyncConnection, ident: Identity) -> list[BaseMessage]:
    """Return every message of the thread, oldest first (`conn` with tuple rows)."""
    history = PostgresChatMessageHistory(
        CHAT_HISTORY_TABLE, ident.session_id, async_connection=conn
    )
    return await history.aget_messages()


async def stored(
    conn: AsyncConnection, ident: Identity, message_ids: Sequence[str]
) -> list[BaseMessage]:
    """Return the messages of `ident`'s thread whose ids are among `message_ids`, in order."""
    cur = await conn.execute(STORED, (ident.session_id, list(message_ids)))
    return messages_from_dict([row[0] for row in await cur.fetchall()])


async def user_texts(conn: AsyncConnection, sessions: Sequence[Any]) -> list[str]:
    """Return the texts of every user message of the transcripts `sessions`."""
    rows = await (await conn.execute(USER_TEXTS, (list(sessions),))).fetchall()
    return [r["text"] for r in rows if r["text"]]


async def first_questions(conn: AsyncConnection, sessions: Sequence[Any]) -> dict[str, str]:
    """Return the first user message of each transcript of `sessions`, by session id."""
    cur = conn.cursor(row_factory=tuple_row)
    rows = await (await cur.execute(FIRST_QUESTIONS, (list(sessions),))).fetchall()
    return {str(session): text for session, text in rows if text}


async def delete(conn: AsyncConnection, sessions: Sequence[Any]) -> int:
    """Delete the transcripts `sessions`; return how many messages went."""
    return (await conn.execute(DELETE, (list(sessions),))).rowcount
