"""Summarise: fold the oldest messages into a running summary and drop them from state.

The transcript in Postgres keeps every message; only the checkpointed window shrinks. What
the summary covers is kept as a count and the last message's id, in the state and in its
`memory_summaries` row: a thread of thousands of turns carries and writes no more per turn
than a short one (BENCHMARKS.md "Session 13").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage, HumanMessage, RemoveMessage
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from configs.prompts import SUMMARY_PROMPT
from graph.context import Context
from graph.privacy import is_private
from graph.state import State
from graph.tracing import annotate_turn
from memory import summaries
from memory.messages import message_text
from text.words import approx_tokens, clip

logger = logging.getLogger(__name__)

SUMMARY_MAX_CHARS = 4000
LINE_CHARS = 200


def window_tokens(messages: Sequence[AnyMessage]) -> int:
    """Estimate the tokens of a message window."""
    return sum(approx_tokens(message_text(m)) for m in messages)


def needs_summary(messages: Sequence[AnyMessage], ctx: Context) -> bool:
    """Return whether the window is over its message or token budget."""
    return (
        len(messages) > ctx.summary_max_messages or window_tokens(messages) > ctx.summary_max_tokens
    )


def fold_point(messages: Sequence[AnyMessage], keep: int, max_tokens: int | None = None) -> int:
    """Return how many leading messages to fold so about `keep` remain, within half the budget.

    The kept window always starts at a human message, so a tool call is never separated from
    its result and the model never sees a reply without its question. Returns 0 when no
    such boundary exists.
    """
    cut = max(len(messages) - keep, 0)
    if max_tokens is not None:
        while cut < len(messages) - 1 and window_tokens(messages[cut:]) > max_tokens // 2:
            cut += 1
    while cut > 0 and not isinstance(messages[cut], HumanMessage):
        cut -= 1
    return cut


def extractive_summary(previous: str, folded: Sequence[AnyMessage]) -> str:
    """Merge `previous` with one line per folded user message (offline summariser).

    What users say about themselves lives in their own messages; the assistant's offline
    replies only quote sources, so they are left out. When over budget, the oldest lines and
    the newest are kept and the middle goes: early facts are the ones a window has lost.
    """
    lines = [line for line in previous.splitlines() if line.strip()]
    for message in folded:
        text = message_text(message).strip()
        if message.type == "human" and text:
            lines.append(f"- The user said: {clip(text, LINE_CHARS)}")
    while len("\n".join(lines)) > SUMMARY_MAX_CHARS and len(lines) > 2:
        del lines[len(lines) // 2]
    return "\n".join(lines)


def covered_before(state: State) -> int:
    """Return how many messages the thread's summary covers so far (0 before any summary)."""
    if "summarised_count" in state:
        return state["summarised_count"]
    return len(state.get("summarised_ids") or [])


def make_summarise(
    resources,  # noqa: ANN001 - graph.resources.Resources
    chat_model: BaseChatModel | None,
):  # noqa: ANN201
    """Build the summarise node: `chat_model` summarises, or the offline summariser (None)."""

    async def summarise(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict:
        """Fold the oldest messages into `summary`; on failure, trim nothing."""
        res = await resources.open()
        ctx = runtime.context or Context()
        messages = state["messages"]
        cut = fold_point(messages, ctx.summary_keep_messages, ctx.summary_max_tokens)
        if cut == 0:
            return {}
        folded = messages[:cut]
        previous = state.get("summary", "")
        if chat_model is None:
            summary = extractive_summary(previous, folded)
        else:
            transcript = "\n".join(f"{m.type}: {message_text(m)}" for m in folded)
            prompt = SUMMARY_PROMPT.format(
                summary=previous or "(none)", transcript=transcript, max_words=300
            )
            try:
                summary = (await chat_model.ainvoke(prompt)).text.strip()
            except Exception as exc:  # noqa: BLE001 - keep the window rather than lose it
                logger.warning("summary failed, keeping the window as is: %s", exc)
                return {}
            if not summary:
                return {}
        covered = covered_before(state) + len(folded)
        through = folded[-1].id
        ident = res.identity(config)
        try:
            # A private thread's summary lives in its state alone.
            if not is_private(state):
                await summaries.record(res.pool, ident, summary, covered, through)
        except Exception as exc:  # noqa: BLE001 - an unrecorded summary must not trim anything
            logger.warning("summary not recorded, keeping the window as is: %s", exc)
            return {}
        annotate_turn(config, {"memoria_summarised": len(folded)})
        update = {
            "summary": summary,
            "summarised_count": covered,
            "summarised_through": through,
            "messages": [RemoveMessage(id=m.id) for m in folded],
        }
        if state.get("summarised_ids"):
            update["summarised_ids"] = []  # a thread summarised before counts were kept
        return update

    return summarise
