"""Generate: answer with the configured chat model (tools allowed), or the offline responder."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.runtime import Runtime

from configs.chat_models import model_name
from configs.prompts import SYSTEM_PROMPT
from graph.context import Context
from graph.extractive import best_excerpt, extractive_answer
from graph.privacy import is_private, uncached
from graph.semantic_evidence import read_evidence, stored_labels
from graph.state import Citation, State, latest_question
from graph.tracing import annotate_turn
from retrievers.types import Candidate, Labeller
from text.acts import is_question

logger = logging.getLogger(__name__)

_REF = re.compile(r"\[(\d{1,2})\]")
# `memoria_model` of turns the offline responder answered.
EXTRACTIVE = "offline-extractive"


def format_passages(context: Sequence[Candidate], label: Labeller) -> str:
    """Render the context as numbered passages for the prompt."""
    if not context:
        return "(none)"
    return "\n\n".join(f"[{i}] {label(c)}\n{c['content']}" for i, c in enumerate(context, start=1))


def cited(
    answer: str, query: str, context: Sequence[Candidate], label: Labeller, language: str = "en"
) -> list[Citation]:
    """Return the passages an answer cites by [n], in the order first cited."""
    refs: list[int] = []
    for match in _REF.finditer(answer):
        n = int(match.group(1))
        if 1 <= n <= len(context) and n not in refs:
            refs.append(n)
    return [
        Citation(
            ref=n,
            id=context[n - 1]["id"],
            source=context[n - 1]["source"],
            title=label(context[n - 1], language),
            snippet=best_excerpt(query, context[n - 1]["content"]),
        )
        for n in refs
    ]


def prompt_messages(state: State, label: Labeller) -> list[BaseMessage]:
    """Return the model's input: system prompt with summary and passages, then the window."""
    system = SYSTEM_PROMPT.format(
        summary=state.get("summary") or "(none)",
        passages=format_passages(state.get("context", []), label),
    )
    return [SystemMessage(content=system), *state["messages"]]


def make_generate(
    resources,  # noqa: ANN001 - graph.resources.Resources
    chat_model: BaseChatModel | None,
    tools: Sequence[BaseTool],
):  # noqa: ANN201
    """Build the generate node: `chat_model` with `tools`, or the offline responder (None)."""

    async def generate(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict:
        """Answer the latest question; may request tool calls while under the round bound."""
        res = await resources.open()
        ctx = runtime.context or Context()
        query = latest_question(state)
        context = state.get("context", [])
        if chat_model is None:
            semantics = None
            # Every question: the classifier also tells a question about the user that has
            # no pronoun ("em que área trabalho?") and one about the product that has one.
            if res.attributes is not None and context and is_question(query):
                # Binds the tenant its sentences' vectors are cached under.
                ident = res.identity(config)
                known = await stored_labels(res.pool, ident, context)
                with uncached(is_private(state)):
                    semantics = await read_evidence(
                        res.attributes, res.embeddings, query, context, known
                    )
            message, citations = extractive_answer(
                query,
                context,
                state.get("route"),
                res.retriever.label,
                res.calibration,
                state.get("language"),
                semantics=semantics,
            )
            annotate_turn(
                config,
                {
                    "memoria_responder": "extractive",
                    "memoria_model": EXTRACTIVE,
                    "memoria_citations": len(citations),
                },
            )
            return {"messages": [message], "citations": citations}

        rounds = state.get("tool_rounds", 0)
        may_call_tools = bool(tools) and rounds < ctx.max_tool_rounds
        model = chat_model.bind_tools(tools) if may_call_tools else chat_model
        response = await model.ainvoke(prompt_messages(state, res.retriever.label), config)
        if response.tool_calls and not may_call_tools:
            # The bound is reached: never leave a tool call without its result in the thread.
            logger.info("tool round bound %s reached; dropping further tool calls", rounds)
            text = response.text or (
                f"I stopped after {rounds} tool calls without reaching an answer."
            )
            response = AIMessage(content=text, id=response.id)
        metadata = {
            "memoria_responder": "llm",
            "memoria_model": model_name(chat_model),
            "memoria_tool_rounds": rounds,
        }
        if response.tool_calls:
            annotate_turn(config, metadata)
            return {"messages": [response], "tool_rounds": rounds + 1}
        citations = cited(
            response.text, query, context, res.retriever.label, state.get("language") or "en"
        )
        annotate_turn(config, {**metadata, "memoria_citations": len(citations)})
        return {"messages": [response], "citations": citations}

    return generate
