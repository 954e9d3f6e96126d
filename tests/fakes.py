"""A scripted chat model: the one fake allowed, since no LLM is reachable in tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    """Replies from a script, in order; the last reply repeats once the script runs out.

    Records every call's messages and whether tools were bound, like a real tool-calling model
    (bind_tools binds a `tools` kwarg that reaches `_generate`).
    """

    script: list[AIMessage]
    calls: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):  # noqa: ANN201
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        step = min(len(self.calls), len(self.script) - 1)
        self.calls.append({"messages": list(messages), "tools": kwargs.get("tools")})
        reply = self.script[step].model_copy(deep=True)
        reply.id = None
        for i, call in enumerate(reply.tool_calls):
            call["id"] = f"call_{len(self.calls)}_{i}"
        return ChatResult(generations=[ChatGeneration(message=reply)])


class RuleChatModel(BaseChatModel):
    """Replies with `rule(messages, tools_bound)`: a script that depends on what it is asked.

    Used where one model serves several callers in one run (the graph's tool loop and the
    summariser), so a fixed sequence of replies would depend on their interleaving.
    """

    rule: Callable[[list[BaseMessage], bool], AIMessage]
    calls: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "rule-scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any):  # noqa: ANN201
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append({"messages": list(messages), "tools": kwargs.get("tools")})
        reply = self.rule(list(messages), kwargs.get("tools") is not None).model_copy(deep=True)
        reply.id = None
        for i, call in enumerate(reply.tool_calls):
            call["id"] = f"call_{len(self.calls)}_{i}"
        return ChatResult(generations=[ChatGeneration(message=reply)])
