"""Scripted chat models: the one fake allowed, since no LLM is reachable in tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


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
