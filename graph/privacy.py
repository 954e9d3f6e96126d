"""Private turns: memory off for the user, or an incognito thread (memory/consent.py).

A private turn is answered from the knowledge base and its own thread's state, and keeps
nothing beyond what the thread needs to go on: the nodes ask `private` of the state and skip
the transcript, outbox, summaries, strategy log, hot window and every cache; the router drops
the sources that recall the user's other threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from graph.routing import without_sources
from graph.state import State
from retrievers import embeddings
from retrievers.types import RouteDecision, Source

# Sources that recall what the user said elsewhere: never searched by a private turn.
USER_MEMORY_SOURCES: frozenset[Source] = frozenset({"conversation", "facts"})

INCOGNITO = "incognito thread"
MEMORY_OFF = "the user's memory is off"


def private_reason(incognito: bool, consent: bool | None, tenant_default: bool) -> str | None:
    """Return why a turn keeps nothing beyond its thread, or None when it remembers.

    Args:
        incognito: The thread is incognito (this run's knob, or any earlier run's).
        consent: The user's own choice (None: they made none).
        tenant_default: Whether the tenant's users remember when they made no choice.
    """
    if incognito:
        return INCOGNITO
    memory = tenant_default if consent is None else consent
    return None if memory else MEMORY_OFF


def without_user_memory(decided: RouteDecision, reason: str) -> RouteDecision:
    """Return `decided` without the sources that recall the user's other threads."""
    return without_sources(
        decided, USER_MEMORY_SOURCES, lambda names: f"no recall of {names}: {reason}"
    )


def is_private(state: State) -> bool:
    """Whether the turn in `state` keeps nothing beyond its thread."""
    return bool(state.get("private"))


@contextmanager
def uncached(private: bool) -> Iterator[None]:
    """Keep the block's embeddings out of every cache when the turn is `private`."""
    with embeddings.private() if private else nullcontext():
        yield
