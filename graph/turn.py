"""Starting a turn, whoever starts it: what an unfinished turn left, and whose checkpoint to use.

A run that fails or is killed midway may have checkpointed the steps it finished: a question
without its answer, an answer never stored, a tool call without its result. The router, the
first node of every turn (HTTP API, LangGraph Studio, LangGraph Platform), drops what such a
turn left in the window, so a thread never holds half a turn; what persist committed stays in
the transcript either way (pure functions here, applied by `graph/nodes/router.py`).

A turn sent again (its messages' ids already stored in the thread) is not run again: the
HTTP API answers it with the state that turn left (`resent_turn`), under the thread's turn
lock (`memory/turns.py`), so a double submit stores nothing twice.

The HTTP API keys each thread's checkpoints by the thread's owner as well as its id
(`http_config`): a thread id someone else owns then names a different checkpoint, so no
run can read or write another user's state before the router has checked the thread.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from graph.state import OutputState, State
from storage.identity import THREAD_KEY, Identity

# How many checkpoints back a resent turn's state is looked for: one per turn with the HTTP
# API's durability ("exit"), one per step otherwise.
RESENT_TURN_LOOKBACK = 100


def leftovers(state: State) -> list[str]:
    """Return the ids of the messages an unfinished earlier turn left in the window.

    `open_turn` holds the input ids of the last turn that started; persist clears it. If it
    is still set, that turn never reached persist: its input and every message it produced
    (not yet stored) go. Its input stays when the new run resends it under the same ids
    (a retry of the very same messages): a turn always keeps some input.
    """
    unfinished = set(state.get("open_turn") or [])
    if not unfinished:
        return []
    stored = set(state.get("persisted_ids") or [])
    pending = [m for m in state["messages"] if m.id not in stored]
    produced = [m.id for m in pending if m.type != "human"]
    old_input = [m.id for m in pending if m.id in unfinished]
    new_input = [m for m in pending if m.type == "human" and m.id not in unfinished]
    return produced + (old_input if new_input else [])


def turn_input(state: State, dropped: list[str]) -> list[str]:
    """Return the ids of this turn's input: the user messages not stored yet, once `dropped` go."""
    stored = set(state.get("persisted_ids") or []) | set(dropped)
    return [m.id for m in state["messages"] if m.type == "human" and m.id not in stored]


def http_config(ident: Identity) -> RunnableConfig:
    """Return the `configurable` part of an HTTP run's config: identity, owner-keyed checkpoint.

    LangGraph keys checkpoints by `thread_id`; the HTTP API sends the thread's session id (a
    UUID of tenant, user and thread) there, and the thread id itself under `THREAD_KEY`.
    """
    return {
        "configurable": {
            "tenant_id": ident.tenant_id,
            "user_id": ident.user_id,
            "thread_id": ident.session_id,
            THREAD_KEY: ident.thread_id,
        }
    }


def resent_answer(stored: Sequence[BaseMessage], sent: Sequence[BaseMessage]) -> str | None:
    """Say what is wrong when `sent` reuses stored message ids other than as the same turn.

    `stored` are the thread's messages with any of `sent`'s ids. Returns None when `sent` is
    new (nothing stored) or is a turn sent again: every id stored, with the same words.
    """
    if not stored:
        return None
    kept = {m.id: m for m in stored}
    for i, message in enumerate(sent):
        before = kept.get(message.id)
        if before is None:
            return (
                f"input.messages[{i}] is new but other messages of this request were stored in "
                "an earlier turn; send a turn again exactly as it was, or new messages with new "
                "ids"
            )
        if before.type != "human" or (before.content, before.name) != (
            message.content,
            message.name,
        ):
            return (
                f"input.messages[{i}].id {message.id!r} was used for another message of this "
                "thread; give each message its own id"
            )
    return None


async def resent_turn(
    graph: CompiledStateGraph, config: RunnableConfig, message_ids: Collection[str]
) -> dict[str, Any] | None:
    """Return the thread's output state as the turn that stored `message_ids` left it.

    Looks back through the thread's checkpoints for the oldest one that records those ids as
    stored (persist's `persisted_ids`): the one that turn wrote. None when no checkpoint within
    `RESENT_TURN_LOOKBACK` does, e.g. the run was killed between its commit and its checkpoint.
    """
    ids = set(message_ids)
    found = None
    seen = 0
    async for snapshot in graph.aget_state_history(config, limit=RESENT_TURN_LOOKBACK):
        values = snapshot.values
        seen += 1
        if not ids <= set(values.get("persisted_ids") or []):
            break
        found = values
    else:
        if seen == RESENT_TURN_LOOKBACK:
            return None  # Older than the look-back: the oldest seen is not that turn's.
    if found is None:
        return None
    return {key: found[key] for key in OutputState.__annotations__ if key in found}


def turn_in_transcript(
    transcript: Sequence[BaseMessage], message_ids: Collection[str]
) -> list[BaseMessage]:
    """Return a stored turn as the transcript holds it: its messages, then its answer.

    The turn is its messages with ids `message_ids` and what followed them, up to the next
    user message.
    """
    ids = set(message_ids)
    start = next((i for i, m in enumerate(transcript) if m.id in ids), None)
    if start is None:
        return []
    turn = []
    for message in transcript[start:]:
        if message.type == "human" and message.id not in ids:
            break
        turn.append(message)
    return turn
