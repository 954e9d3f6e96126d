"""Runs over HTTP: the LangServe request bodies, and turning one into a validated graph run."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from fastapi import HTTPException
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.deps import ID_SCHEMA, Caller
from api.problems import unprocessable
from graph.context import Context
from graph.tracing import TRACE_TAG
from graph.turn import http_config
from storage.identity import ID_PATTERN, Identity, identity_from_config

IDENTITY_KEYS = ("tenant_id", "user_id", "thread_id")
# A turn carries only the new user messages; the thread's history lives on the server.
MAX_MESSAGES_PER_TURN = 32
# What a client may set on a message. The server sets the rest: the reply, timestamps (the
# turn's acknowledgement), provenance.
MESSAGE_FIELDS = ("type", "content", "id", "name")
# LangServe's client sends these with every message: accepted when empty, as it sends them.
EMPTY_MESSAGE_FIELDS = ("additional_kwargs", "response_metadata")
MAX_NAME_CHARS = 128
# Deepest JSON nesting accepted anywhere in a request; a turn itself needs five levels.
MAX_NESTING = 32
MESSAGE_ID_RULE = (
    "1-128 characters of letters, digits and . _ : @ -, starting with a letter or digit"
)


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
                    "id": {
                        "type": ["string", "null"],
                        "pattern": ID_PATTERN.pattern,
                        "description": "Your id for the message: a turn sent again with the "
                        "same ids gets the first answer and stores nothing. The server assigns "
                        "one when absent.",
                    },
                    "name": {
                        "type": ["string", "null"],
                        "minLength": 1,
                        "maxLength": MAX_NAME_CHARS,
                        "description": "Who is speaking, when several people share the user.",
                    },
                    **{f: {"type": "object", "maxProperties": 0} for f in EMPTY_MESSAGE_FIELDS},
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

    def __init__(
        self,
        messages: list[BaseMessage],
        ident: Identity,
        context: Context,
        sent_ids: list[str] | None = None,
    ) -> None:
        """Hold the parts of a run that passed validation; `sent_ids` are the client's ids."""
        self.messages = messages
        self.sent_ids = sent_ids or []
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


def user_message(where: str, raw: Any, max_chars: int) -> HumanMessage:
    """Return the user message a client sent as `raw`, or raise saying what to fix.

    Only `MESSAGE_FIELDS` are read; `EMPTY_MESSAGE_FIELDS` must be empty; every string is
    checked as text. `id` stays None when the client sent none. LangChain's short forms are
    read as objects: a string is the content, `["human", content]` (a tuple in Python) too.
    """
    if isinstance(raw, str):
        raw = {"type": "human", "content": raw}
    elif isinstance(raw, list) and len(raw) == 2 and raw[0] in ("human", "user"):
        raw = {"type": "human", "content": raw[1]}
    if not isinstance(raw, dict):
        raise unprocessable(f'{where} must be an object: {{"type": "human", "content": "..."}}')
    unknown = sorted(set(raw) - set(MESSAGE_FIELDS) - set(EMPTY_MESSAGE_FIELDS))
    if unknown:
        named = ", ".join(repr(key[:40]) for key in unknown[:5])
        raise unprocessable(
            f"{where} has fields a client cannot set: {named}; a message carries only type "
            '("human"), content, id and name (the server sets the time)'
        )
    for name in EMPTY_MESSAGE_FIELDS:
        if raw.get(name) not in (None, {}):
            raise unprocessable(f"{where}.{name} is set by the server; leave it out or send {{}}")
    kind = raw.get("type")
    if kind != "human":
        said = f"is {kind[:20]!r}" if isinstance(kind, str) else "must be a string"
        raise unprocessable(
            f'{where}.type {said}; send only user ("human") messages, the agent writes its '
            "own replies"
        )
    content = raw.get("content")
    if not isinstance(content, str):
        raise unprocessable(f"{where}.content must be a string of text")
    content = checked_text(where, content, max_chars, too_long=413)
    if not content.strip():
        raise unprocessable(f"{where} is empty; send some text")
    message_id = raw.get("id")
    if message_id is not None:
        if not isinstance(message_id, str):
            raise unprocessable(f"{where}.id must be a string: {MESSAGE_ID_RULE}")
        if not ID_PATTERN.fullmatch(checked_text(f"{where}.id", message_id, 128)):
            raise unprocessable(f"{where}.id must be {MESSAGE_ID_RULE}, or left out")
    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise unprocessable(f"{where}.name must be a non-empty string, or left out")
        name = checked_text(f"{where}.name", name, MAX_NAME_CHARS)
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise unprocessable(f"{where}.name contains control characters; remove them")
    return HumanMessage(content=content, id=message_id, name=name)


def checked_text(where: str, text: str, max_chars: int, *, too_long: int = 422) -> str:
    """Return `text` if Postgres can store it and it is short enough, else raise saying why."""
    if "\x00" in text:
        raise unprocessable(f"{where} contains a NUL character (\\u0000); remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise unprocessable(
            f"{where} is not valid unicode (a lone surrogate at {exc.start}); send UTF-8 text"
        ) from exc
    if len(text) > max_chars:
        raise HTTPException(
            status_code=too_long,
            detail=f"{where} has {len(text)} characters; the limit is {max_chars}",
        )
    return text


def check_nesting(where: str, value: Any, limit: int = MAX_NESTING) -> None:
    """Refuse `value` if its lists and objects nest more than `limit` levels deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if depth > limit:
            raise unprocessable(
                f"{where} nests lists and objects more than {limit} levels deep; flatten it"
            )
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


def prepare_run(
    payload: dict[str, Any], config: RunConfig, caller: Caller, *, max_chars: int
) -> PreparedRun:
    """Validate a request's input and config; raise HTTPException saying what to fix.

    Everything is checked here, before the run touches any store.
    """
    check_nesting("input", payload)
    check_nesting("config.configurable", config.configurable)
    check_nesting("config.metadata", config.metadata)
    configurable = dict(config.configurable)
    allowed = set(IDENTITY_KEYS) | set(Context.__dataclass_fields__)
    unknown = sorted(set(configurable) - allowed)
    if unknown:
        raise unprocessable(
            f"config.configurable has unknown keys {unknown}; allowed: {sorted(allowed)}"
        )
    configurable["tenant_id"] = caller.tenant(configurable.get("tenant_id"))
    configurable["user_id"] = caller.user(
        configurable.get("user_id"), "config.configurable.user_id"
    )
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
    messages = [user_message(f"input.messages[{i}]", item, max_chars) for i, item in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, message in enumerate(messages):
        if message.id is None:
            continue
        if message.id in seen:
            raise unprocessable(
                f"input.messages[{i}].id repeats input.messages[{seen[message.id]}].id; "
                "give each message its own id"
            )
        seen[message.id] = i
    sent_ids = list(seen)
    for message in messages:
        if message.id is None:
            message.id = str(uuid.uuid4())
    return PreparedRun(messages, ident, context, sent_ids)
