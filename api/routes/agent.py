"""`/agent/*`: one turn per request, in LangServe's wire format (invoke, batch, stream, schemas)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from langchain_core.messages import AIMessageChunk, BaseMessage
from langserve.serialization import WellKnownLCSerializer
from sse_starlette.sse import EventSourceResponse
from starlette.types import Receive, Scope, Send

from api.deps import Api, ApiDep, CallerDep, throttle
from api.problems import POSTGRES_DOWN_DETAIL, POSTGRES_UNAVAILABLE, unprocessable
from api.runs import (
    BatchRequest,
    InvokeRequest,
    PreparedRun,
    check_nesting,
    configurable_schema,
    prepare_run,
)
from graph.turn import resent_answer, resent_turn, turn_in_transcript
from memory.conversation import ThreadOwnershipError
from storage.tenancy import bind_tenant, bind_user

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/agent", tags=["agent"])
_serializer = WellKnownLCSerializer()


@router.get("/input_schema")
async def input_schema(api: ApiDep) -> dict[str, Any]:
    """JSON schema of `input`: new user messages."""
    return api.graph.get_input_jsonschema()


@router.get("/output_schema")
async def output_schema(api: ApiDep) -> dict[str, Any]:
    """JSON schema of `output`: the thread's state after the turn."""
    return api.graph.get_output_jsonschema()


@router.get("/config_schema")
async def config_schema(api: ApiDep) -> dict[str, Any]:
    """JSON schema of `config.configurable`: identity and per-run knobs."""
    configurable = configurable_schema(api.graph.get_context_jsonschema() or {})
    return {"title": "RunConfig", "type": "object", "properties": {"configurable": configurable}}


@router.post("/invoke")
async def invoke(body: InvokeRequest, api: ApiDep, caller: CallerDep) -> dict[str, Any]:
    """Run one turn and return the thread's state after it (LangServe format).

    A turn sent again (the same message ids) gets the state that turn left; nothing runs.
    """
    check_nesting("kwargs", body.kwargs)
    run = _prepare(api, body.input, body.config, caller)
    await throttle_turns(api, [run])
    async with api.turns.hold([run.ident]):
        output = await resent(api, run)
        if output is None:
            output = await run_turn(api, run)
    return {"output": output, "metadata": {"run_id": str(run.run_id), "feedback_tokens": []}}


@router.post("/batch")
async def batch(body: BatchRequest, api: ApiDep, caller: CallerDep) -> dict[str, Any]:
    """Run several turns, each on its own thread (LangServe format).

    Every input is validated and its thread checked before any turn runs, so a refused batch
    stores nothing; a batch sent again gets its turns' first answers.
    """
    check_nesting("kwargs", body.kwargs)
    configs = body.config if isinstance(body.config, list) else [body.config] * len(body.inputs)
    if len(configs) != len(body.inputs):
        raise unprocessable("config must be one object or a list as long as inputs")
    runs = [_prepare(api, i, c, caller) for i, c in zip(body.inputs, configs, strict=True)]
    threads = [r.ident.thread_id for r in runs]
    if len(set(threads)) != len(threads):
        raise unprocessable("each batch input needs its own thread_id")
    await throttle_turns(api, runs)
    async with api.turns.hold([run.ident for run in runs]):
        for run in runs:
            await api.resources.conversation.check_thread(run.ident)
        outputs = [await resent(api, run) for run in runs]
        for i, run in enumerate(runs):
            if outputs[i] is None:
                outputs[i] = await run_turn(api, run)
    run_ids = [str(r.run_id) for r in runs]
    return {
        "output": outputs,
        "metadata": {
            "run_ids": run_ids,
            "responses": [{"run_id": r, "feedback_tokens": []} for r in run_ids],
        },
    }


@router.post("/stream")
async def stream(
    body: InvokeRequest,
    api: ApiDep,
    caller: CallerDep,
    tokens: Annotated[
        bool,
        Query(
            description="Also send the answer as it is written, as `token` events "
            '(`{"content": ...}`) before generate\'s update. Needs an LLM: the offline '
            "responder's answer arrives whole in that update. Off by default, so LangServe "
            "clients see only the events they know."
        ),
    ] = False,
) -> EventSourceResponse:
    """Run one turn, streaming each node's update as an SSE `data` event (LangServe format).

    A turn sent again (the same message ids) streams one `data` event, `{"replay": state}`:
    the state that turn left; nothing runs.
    """
    check_nesting("kwargs", body.kwargs)
    run = _prepare(api, body.input, body.config, caller)
    await throttle_turns(api, [run])
    res = api.resources
    # The thread stays this turn's until the stream ends (`Releasing`).
    release = await api.turns.acquire([run.ident])
    try:
        # A stream's status goes out before the graph runs: refuse another's thread now (404),
        # not as an error event after a 200. The turn's router takes this check as its own.
        await res.conversation.check_thread(run.ident)
        replay = await resent(api, run)
    except BaseException:
        await release()
        raise

    async def events() -> AsyncIterator[dict[str, str]]:
        yield {"event": "metadata", "data": json.dumps({"run_id": str(run.run_id)})}
        if replay is not None:
            yield {"event": "data", "data": json.dumps({"replay": replay})}
            yield {"event": "end"}
            return
        try:
            bind_run(run)
            with res.tracing():
                async for mode, payload in api.graph.astream(
                    run.graph_input,
                    run.config,
                    context=run.context,
                    stream_mode=["updates", "messages"] if tokens else ["updates"],
                    durability=api.settings.memoria_checkpoint_durability,
                ):
                    if mode == "updates":
                        yield {"event": "data", "data": _serializer.dumps(payload).decode()}
                    elif token := _answer_token(*payload):
                        yield {"event": "token", "data": json.dumps({"content": token})}
        except POSTGRES_UNAVAILABLE as exc:
            logger.warning("stream run %s: Postgres unavailable: %r", run.run_id, exc)
            error = {"status_code": 503, "message": POSTGRES_DOWN_DETAIL}
            yield {"event": "error", "data": json.dumps(error)}
            return
        except ThreadOwnershipError as exc:
            yield {"event": "error", "data": json.dumps({"status_code": 404, "message": str(exc)})}
            return
        except Exception:
            logger.exception("stream run %s failed", run.run_id)
            error = {"status_code": 500, "message": "The run failed; see the server log."}
            yield {"event": "error", "data": json.dumps(error)}
            return
        yield {"event": "end"}

    return Releasing(events(), release=release)


class Releasing(EventSourceResponse):
    """An SSE response that calls `release` once it is over, however it ends.

    A generator's `finally` would not do: a stream whose client left before its first event
    never starts its generator.
    """

    def __init__(
        self, content: AsyncIterator[dict[str, str]], *, release: Callable[[], Awaitable[None]]
    ) -> None:
        """Stream `content`; call `release` when done."""
        super().__init__(content)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the stream, then release."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()


async def resent(api: Api, run: PreparedRun) -> Any:
    """Return the serialised state the turn `run` sends again left, or None if `run` is new.

    Call it holding the thread's turn lock, so a turn of the same messages still running
    has stored them by then. Raises 422 when the ids were used for other messages.
    """
    if not run.sent_ids:
        return None
    conversation = api.resources.conversation
    stored = await conversation.stored(run.ident, run.sent_ids)
    if problem := resent_answer(stored, run.messages):
        raise unprocessable(problem)
    if not stored:
        return None
    output = await resent_turn(api.graph, run.config, run.sent_ids)
    if output is None:
        # No checkpoint records it (lost between its commit and its checkpoint, or too old):
        # that turn as the transcript holds it.
        transcript = await conversation.transcript(run.ident)
        output = {"messages": turn_in_transcript(transcript, run.sent_ids)}
    logger.info("turn sent again: answered from its first run", extra=run.ident.as_dict())
    return _serializer.dumpd(output)


def _prepare(api: Api, payload: dict[str, Any], config: Any, caller: Any) -> PreparedRun:
    return prepare_run(payload, config, caller, max_chars=api.settings.memoria_max_message_chars)


async def throttle_turns(api: Api, runs: list[PreparedRun]) -> None:
    """Count each run against its user's turn limit."""
    if api.user_limit:
        for run in runs:
            scope = f"user:{run.ident.user_id}"
            await throttle(api, run.ident.tenant_id, scope, api.user_limit, "this user")


def bind_run(run: PreparedRun) -> None:
    """Bind the task to the run's tenant and user, as its nodes bind theirs.

    LangGraph reads and writes the checkpoint in this task's context: bound to the user as
    well, those round trips find a pooled connection the nodes left set to the same scope
    (storage/pool.py) instead of setting the session again. Checkpoints are keyed by the
    thread's owner (`http_config`) and have no per-user policy, so nothing else changes.
    """
    # A batch in local mode may hold runs of several tenants.
    bind_tenant(run.ident.tenant_id)
    bind_user(run.ident.tenant_id, run.ident.user_id)


async def run_turn(api: Api, run: PreparedRun) -> Any:
    """Run one turn to the end; return the thread's state after it, serialised."""
    bind_run(run)
    with api.resources.tracing():
        output = await api.graph.ainvoke(
            run.graph_input,
            run.config,
            context=run.context,
            durability=api.settings.memoria_checkpoint_durability,
        )
    return _serializer.dumpd(output)


def _answer_token(chunk: BaseMessage, metadata: dict[str, Any]) -> str:
    """Return the answer text in a streamed chunk of generate's model (not the summariser's)."""
    if metadata.get("langgraph_node") != "generate" or not isinstance(chunk, AIMessageChunk):
        return ""
    return chunk.text
