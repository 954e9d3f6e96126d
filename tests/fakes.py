"""Scripted models: chat models (no LLM is reachable in tests) and the attribute classifier's
verdicts (where the rules around it are under test, not its weights)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from memory.fact_extraction import ExtractedFact
from memory.fact_semantics import Verdict
from memory.fact_statements import stated_facts
from memory.message_index import IndexEntry


class _RecordingChatModel(BaseChatModel):
    """Records every call's messages and whether tools were bound, like a real tool-calling
    model (bind_tools binds a `tools` kwarg that reaches `_generate`); subclasses choose the
    reply."""

    calls: list[dict[str, Any]] = Field(default_factory=list)

    def _reply(self, messages: list[BaseMessage], tools_bound: bool) -> AIMessage:
        raise NotImplementedError

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):  # noqa: ANN201
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._reply(list(messages), kwargs.get("tools") is not None).model_copy(deep=True)
        self.calls.append({"messages": list(messages), "tools": kwargs.get("tools")})
        reply.id = None
        for i, call in enumerate(reply.tool_calls):
            call["id"] = f"call_{len(self.calls)}_{i}"
        return ChatResult(generations=[ChatGeneration(message=reply)])


class ScriptedChatModel(_RecordingChatModel):
    """Replies from a script, in order; the last reply repeats once the script runs out."""

    script: list[AIMessage]

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _reply(self, messages: list[BaseMessage], tools_bound: bool) -> AIMessage:
        return self.script[min(len(self.calls), len(self.script) - 1)]


class StreamingScriptedChatModel(ScriptedChatModel):
    """A ScriptedChatModel that streams each reply word by word, as an LLM writes tokens."""

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._generate(messages, stop, None, **kwargs).generations[0].message
        for word in re.findall(r"\S+\s*", reply.text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word))
            if run_manager:
                run_manager.on_llm_new_token(word, chunk=chunk)
            yield chunk


class RuleChatModel(_RecordingChatModel):
    """Replies with `rule(messages, tools_bound)`: a script that depends on what it is asked.

    Used where one model serves several callers in one run (the graph's tool loop and the
    summariser), so a fixed sequence of replies would depend on their interleaving.
    """

    rule: Callable[[list[BaseMessage], bool], AIMessage]

    @property
    def _llm_type(self) -> str:
        return "rule-scripted"

    def _reply(self, messages: list[BaseMessage], tools_bound: bool) -> AIMessage:
        return self.rule(messages, tools_bound)


class ScriptedAttributes:
    """The attribute classifier's verdicts, scripted per sentence (the "vectors" are the
    sentences themselves)."""

    def __init__(self, verdicts: dict[str, Verdict]) -> None:
        self.verdicts = verdicts

    def statements(self, vectors: list[str]) -> list[Verdict]:
        return [self.verdicts[v] for v in vectors]


def stated_by(message: str, verdicts: dict[str, Verdict]) -> list[ExtractedFact]:
    """Return the statement facts of a user's `message` whose sentences get `verdicts`."""
    entry = IndexEntry("m1", "m1", message, message, "human", datetime.now(UTC), 1, {})
    owned = [("m1", sentence) for sentence in verdicts]
    return stated_facts(ScriptedAttributes(verdicts), [entry], owned, list(verdicts))["m1"]
