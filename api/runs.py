"""Runs over HTTP: the LangServe request bodies, and turning one into a validated graph run."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import HTTPException
from langchain_core.messages import BaseMessage, HumanMessage, convert_to_messages
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.deps import ID_SCHEMA, Caller
from api.problems import unprocessable
from graph.context import Context
from graph.tracing import TRACE_TAG
from graph.turn import http_config
from memory.messages import message_text
from storage.identity import Identity, identity_from_config

IDENTITY_KEYS = ("tenant_id", "user_id", "thread_id")
# A turn carries only the new user messages; the thread's history lives on the server.
MAX_MESSAGES_PER_TURN = 32


def configurable_schema(knobs: dict[str, Any]) -> dict[str, Any]:
    """JSON schema of `config.configurable`: identity, then the knobs' schema `knobs`."""
    return {
        "title": "Configurable",
        "type": "object",
        "properties": {**dict.fromkeys(IDENTITY_KEYS, ID_SCHEMA), **knobs.get("properties", {})},
        "required": ["user_id", "thread_id"],
        "additionalProperties": False,
    }


# What `prepare_run` accepts, for the OpenAPI spec; the models below stay loose so that
# `prepare_run` checks it and says what to fix.
INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "messages": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_MESSAGES_PER_TURN,
            "items": {
                "type": "object",
                "properties": {
                    "type": {"const": "human"},
                    "content": {"type": "string", "minLength": 1},
                },
                "required": ["type", "content"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["messages"],
    "additionalProperties": False,
}


class RunConfig(BaseModel):
    """The `config` of a LangServe request; only `configurable` matters to memoria."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"required": ["configurable"]})
    configurable: dict[str, Any] = Field(
        default_factory=dict,
        description="thread_id and user_id (required), tenant_id, and per-run knobs "
        "(k, fetch_k, strategy, rerank, summary_max_messages, ...).",
        json_schema_extra=configurable_schema(TypeAdapter(Context).json_schema()),
    )
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    run_name: str | None = None


class InvokeRequest(BaseModel):
    """LangServe `/invoke` and `/stream` request body."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"required": ["input", "config"]})
    input: dict[str, Any] = Field(
        description='{"messages": [{"type": "human", "content": "..."}]}',
        json_schema_extra=INPUT_SCHEMA,
    )
    config: RunConfig = Field(default_factory=RunConfig)
    kwargs: dict[str, Any] = Field(default_factory=dict)


class BatchRequest(BaseModel):
    """LangServe `/batch` request body: one config for all inputs, or one per input."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"required": ["inputs", "config"]})
    inputs: list[dict[str, Any]] = Field(
        min_length=1, max_length=32, json_schema_extra={"items": INPUT_SCHEMA}
    )
    config: RunConfig | list[RunConfig] = Field(default_factory=RunConfig)
    kwargs: dict[str, Any] = Field(default_factory=dict)


class PreparedRun:
    """A validated run: its messages, identity, context and graph config."""

    def __init__(self, messages: list[BaseMessage], ident: Identity, context: Context) -> None:
        """Hold the parts of a run that passed validation."""
        self.messages = messages
        self.ident = ident
        self.context = context
        self.run_id = uuid.uuid4()
        self.config: RunnableConfig = {
            **http_config(ident),
            # Also the turn's LangSmith run id, so the run_id a caller gets finds its trace.
            "run_id": self.run_id,
            # Every run of the turn carries these; nodes add what they decide (graph/tracing.py).
            # Ids as they are, not hashed: the operator looks a user's traces up by them.
            "metadata": ident.as_dict(),
            "tags": [TRACE_TAG],
        }

    @property
    def graph_input(self) -> dict[str, Any]:
        """Return the graph input for this run."""
        return {"messages": self.messages}


def prepare_run(
    payload: dict[str, Any], config: RunConfig, caller: Caller, *, max_chars: int
) -> PreparedRun:
    """Validate a request's input and config; raise HTTPException saying what to fix."""
    configurable = dict(config.configurable)
    allowed = set(IDENTITY_KEYS) | set(Context.__dataclass_fields__)
    unknown = sorted(set(configurable) - allowed)
    if unknown:
        raise unprocessable(
            f"config.configurable has unknown keys {unknown}; allowed: {sorted(allowed)}"
        )
    configurable["tenant_id"] = caller.tenant(configurable.get("tenant_id"))
    if not configurable.get("user_id"):
        raise unprocessable("config.configurable.user_id is required")
    if not configurable.get("thread_id"):
        raise unprocessable("config.configurable.thread_id is required")
    try:
        ident = identity_from_config({"configurable": configurable}, default_tenant="")
    except ValueError as exc:
        raise unprocessable(f"config.configurable: {exc}") from exc
    try:
        context = Context.from_configurable(configurable)
    except (TypeError, ValueError) as exc:
        raise unprocessable(f"config.configurable: {exc}") from exc

    if set(payload) != {"messages"}:
        raise unprocessable('input must be {"messages": [...]} and nothing else')
    raw = payload["messages"]
    if not isinstance(raw, list) or not raw:
        raise unprocessable("input.messages must be a non-empty list")
    if len(raw) > MAX_MESSAGES_PER_TURN:
        raise unprocessable(
            f"input.messages has {len(raw)} messages; send at most {MAX_MESSAGES_PER_TURN}, "
            "only the new ones (the thread's history lives on the server)"
        )
    try:
        messages = convert_to_messages(raw)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise unprocessable(f"input.messages: {exc}") from exc
    limit = max_chars
    for i, message in enumerate(messages):
        if not isinstance(message, HumanMessage):
            raise unprocessable(
                f"input.messages[{i}] is a {message.type} message; send only user (human) "
                "messages, the agent writes its own replies"
            )
        text = message_text(message)
        if not text.strip():
            raise unprocessable(f"input.messages[{i}] is empty; send some text")
        if "\x00" in text:
            raise unprocessable(
                f"input.messages[{i}] contains a NUL character (\\u0000); remove it"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise unprocessable(
                f"input.messages[{i}] is not valid unicode (a lone surrogate at {exc.start}); "
                "send UTF-8 text"
            ) from exc
        if len(text) > limit:
            raise HTTPException(
                status_code=413,
                detail=f"input.messages[{i}] has {len(text)} characters; the limit is {limit}",
            )
        if message.id is None:
            message.id = str(uuid.uuid4())
    return PreparedRun(messages, ident, context)
