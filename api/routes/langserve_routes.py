"""`/agent/stream_log`, `/agent/stream_events`, `/agent/playground`, feedback: LangServe's own.

`langserve.add_routes` serves the turn as a runnable (`turn_runnable`); so
`RemoteRunnable.astream_events` gets the standard events (`on_chat_model_stream` tokens, one
`on_chain_*` per node) and `astream_log` the standard JSON patches. Before LangServe reads
anything, the dependency `held_turn` does what every memoria turn needs, and answers its
refusals as problem details, not as an error event after a 200: the caller's identity and
tenant (key or user token, never message text), the strict input model (`prepare_run`), the
user's rate limit, the thread's owner (404 for another's), and the thread's turn lock, held
until the response is over (FastAPI runs a yield dependency's exit after the response), so two
turns on a thread never interleave. The per-request config modifier hands the run it prepared
to the runnable.

`/agent/invoke`, `/agent/batch` and `/agent/stream` and the schemas stay in `agent.py`, in the
same wire format: LangServe cannot keep what they promise. Its stream and batch report any
failure as `{"status_code": 500}` (a busy thread is 409 there, Postgres down 503), its stream
sends the run id only with the first chunk, and its batch validates each input only as it runs
it (a refused batch must store nothing). A turn sent again (same message ids) is answered
from its first run here too, as the runnable's output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from langchain_core.runnables import (
    ConfigurableFieldSpec,
    Runnable,
    RunnableConfig,
    RunnableLambda,
)
from langserve import add_routes
from pydantic import ValidationError

from api.deps import Api, ApiDep, CallerDep, get_caller
from api.problems import unprocessable
from api.routes.agent import resent, throttle_turns
from api.runs import PreparedRun, RunConfig, check_nesting, prepare_run
from configs.settings import Settings
from graph.state import InputState, OutputState
from storage.tenancy import bind_tenant

PATH = "/agent"
# Where the modifier puts the prepared run and the services for the runnable. LangServe strips
# metadata keys starting with "__" from what it streams; configurable values that are not
# plain strings or numbers are never copied into metadata.
RUN_KEY = "__memoria_run"
API_KEY = "__memoria_api"
# The request fields LangServe's run endpoints read besides input and config.
STREAM_FIELDS = {
    "input",
    "config",
    "kwargs",
    "diff",
    "include_names",
    "include_types",
    "include_tags",
    "exclude_names",
    "exclude_types",
    "exclude_tags",
}


async def held_turn(request: Request, api: ApiDep, caller: CallerDep) -> AsyncIterator[None]:
    """Validate and authorise the turn a LangServe run endpoint is asked for; hold its thread.

    Everything is checked before the response starts, so a refusal is a 4xx problem; the
    thread's turn lock is released once the response is over, however it ends.
    """
    body = await _json_body(request)
    unknown = sorted(set(body) - STREAM_FIELDS)
    if unknown:
        raise unprocessable(f"the request has unknown fields {unknown[:5]}; send input and config")
    check_nesting("kwargs", body.get("kwargs"))
    if "input" not in body:
        raise unprocessable('input is required: {"messages": [...]}')
    if not isinstance(body["input"], dict):
        raise unprocessable('input must be {"messages": [...]}')
    config = body.get("config") or {}
    if not isinstance(config, dict) or not isinstance(config.get("configurable", {}), dict):
        raise unprocessable("config.configurable must be an object with user_id and thread_id")
    try:
        run_config = RunConfig.model_validate(config)
    except ValidationError as exc:
        where = "; ".join(
            f"config.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
        raise unprocessable(where) from exc
    run = prepare_run(
        body["input"], run_config, caller, max_chars=api.settings.memoria_max_message_chars
    )
    await throttle_turns(api, [run])
    release = await api.turns.acquire([run.ident])
    try:
        await api.resources.conversation.check_thread(run.ident)
        request.state.memoria_run = run
        yield
    finally:
        await release()


async def _json_body(request: Request) -> dict[str, Any]:
    """Return the request's JSON object (cached on the request: LangServe reads it again)."""
    try:
        body = await request.json()
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "the request body is not UTF-8; send UTF-8 JSON") from exc
    except RecursionError as exc:
        raise unprocessable("the request body nests too deeply; flatten it") from exc
    except ValueError as exc:
        raise unprocessable(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise unprocessable('the request body must be an object: {"input": ..., "config": ...}')
    return body


def hand_over(config: dict[str, Any], request: Request) -> dict[str, Any]:
    """Return the run's config: `held_turn`'s prepared run replaces what the client sent."""
    run: PreparedRun = request.state.memoria_run
    return {
        **{k: v for k, v in run.config.items() if k != "configurable"},
        "run_id": str(run.run_id),
        "configurable": {RUN_KEY: run, API_KEY: request.app.state.api},
    }


async def _turn(_input: Any, config: RunnableConfig) -> Any:
    """Run the prepared turn (the input was checked by `held_turn`) inside this run's trace."""
    configurable = config["configurable"]
    run: PreparedRun = configurable[RUN_KEY]
    api: Api = configurable[API_KEY]
    bind_tenant(run.ident.tenant_id)
    output = await resent(api, run)
    if output is not None:
        return output
    # The graph's run is a child of this one, so LangServe's event and log streams see its
    # nodes and model tokens; the run id is this runnable's, not the child's.
    inner: RunnableConfig = {
        **{k: v for k, v in run.config.items() if k != "run_id"},
        "callbacks": config.get("callbacks"),
    }
    with api.resources.tracing():
        return await api.graph.ainvoke(
            run.graph_input,
            inner,
            context=run.context,
            durability=api.settings.memoria_checkpoint_durability,
        )


class _Turn(RunnableLambda):
    """The turn as LangServe serves it; identity is configurable, so the playground asks for it."""

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        """Identity fields of `config.configurable` (the knobs are accepted too)."""
        return [
            ConfigurableFieldSpec(id="user_id", annotation=str, name="User id", default=""),
            ConfigurableFieldSpec(id="thread_id", annotation=str, name="Thread id", default=""),
            ConfigurableFieldSpec(
                id="tenant_id",
                annotation=str,
                name="Tenant id",
                default="",
                description="Leave empty with a tenant key: the key names the tenant.",
            ),
        ]


def turn_runnable() -> Runnable:
    """Return the runnable LangServe serves: one turn, typed as the graph's input and output."""
    return _Turn(_turn, name="memoria").with_types(input_type=InputState, output_type=OutputState)


def build_router(settings: Settings) -> APIRouter:
    """Return LangServe's routes for the agent; feedback only when LangSmith is keyed."""
    router = APIRouter()

    def serve(endpoints: list[str], **options: Any) -> None:
        add_routes(router, turn_runnable(), path=PATH, enabled_endpoints=endpoints, **options)

    serve(
        ["stream_log", "stream_events"],
        # `held_turn` has checked the input as strictly as /agent/invoke does (and read
        # LangChain's short forms); LangServe's own check would only refuse those forms.
        input_type=dict,
        per_req_config_modifier=hand_over,
        dependencies=[Depends(held_turn)],
    )
    # The playground's page and scripts hold no data: a browser opens it without a key. Its
    # runs go through stream_log above, with the credentials the API asks for.
    serve(["playground"])
    if settings.tracing_enabled:
        # Feedback is on a run the caller got: it needs the same credentials.
        serve(
            ["feedback", "public_trace_link"],
            enable_feedback_endpoint=True,
            enable_public_trace_link_endpoint=True,
            dependencies=[Depends(get_caller)],
        )
    return router
