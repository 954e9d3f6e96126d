"""Starting a turn, whoever starts it: what an unfinished turn left, and whose checkpoint to use.

A run that fails or is killed midway may have checkpointed the steps it finished: a question
without its answer, an answer never stored, a tool call without its result. The router, the
first node of every turn (HTTP API, LangGraph Studio, LangGraph Platform), drops what such a
turn left in the window, so a thread never holds half a turn; what persist committed stays in
the transcript either way (pure functions here, applied by `graph/nodes/router.py`).

The HTTP API keys each thread's checkpoints by the thread's owner as well as its id
(`http_config`): a thread id someone else owns then names a different checkpoint, so no
run can read or write another user's state before the router has checked the thread.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from graph.state import State
from storage.identity import THREAD_KEY, Identity


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
