"""This thread's recent messages, newest first (Redis hot window, else the transcript)."""

from __future__ import annotations

from typing import ClassVar

from memory.messages import is_extractive_reply, message_text
from retrievers.legs.base import Search, Stores, Version
from retrievers.legs.sources import message_label
from retrievers.types import Candidate, Source


class ThreadWindow:
    """The thread's own recent user and assistant messages, ranked by recency."""

    name: ClassVar[str] = "thread_window"
    source: ClassVar[Source] = "thread"
    signal: ClassVar[str] = "recency"
    needs_vector: ClassVar[bool] = False
    version: ClassVar[Version | None] = None

    def __init__(self, stores: Stores) -> None:
        """Read `stores.conversation`'s window of `stores.recent_window` messages."""
        self._conversation = stores.conversation
        self._window = stores.recent_window

    async def search(self, q: Search) -> list[Candidate]:
        """Return the thread's recent messages, newest first."""
        messages = await self._conversation.recent(q.ident, self._window)
        out: list[Candidate] = []
        for age, message in enumerate(reversed(messages)):
            text = message_text(message).strip()
            if message.type not in ("human", "ai") or not text or is_extractive_reply(message):
                continue
            out.append(
                Candidate(
                    id=f"msg:{message.id}",
                    source="thread",
                    content=text,
                    metadata={"role": message.type, "thread_id": q.ident.thread_id},
                    scores={"recency": 1.0 / (1 + age)},
                    ranks={"recency": len(out) + 1},
                )
            )
        return out

    @classmethod
    def label(cls, cand: Candidate, language: str = "en") -> str:
        """Return who said it in this conversation."""
        return message_label(cand, language)
