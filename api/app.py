"""HTTP API: LangServe-compatible `/agent/*`, forgetting, health, readiness and metrics.

Identity (tenant, user, thread) comes from `config.configurable`; every run is checked and
scoped by it before the graph reads anything.
"""

from __future__ import annotations

import asyncio
import http
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePath
from typing import Annotated, Any

import psycopg
import sqlalchemy.exc
from fastapi import Depends, FastAPI, File, Header, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from langchain_core.messages import (
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    convert_to_messages,
    message_to_dict,
)
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langserve.serialization import WellKnownLCSerializer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from access.api_keys import KeyRefused, presented_key
from configs.settings import Settings, get_settings
from graph.builder import build_graph
from graph.context import Context
from graph.resources import Resources
from graph.tracing import TRACE_TAG
from memory import views
from memory.conversation import ThreadOwnershipError, message_text
from storage.identity import ID_PATTERN, Identity, validate_id
from storage.tenancy import bind_tenant

logger = logging.getLogger(__name__)

IDENTITY_KEYS = ("tenant_id", "user_id", "thread_id")
# What a lost, refused or exhausted Postgres connection raises (psycopg_pool's PoolTimeout is
# a psycopg OperationalError; SQLAlchemy wraps the vector store's).
POSTGRES_UNAVAILABLE = (
    psycopg.OperationalError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.TimeoutError,
)
RETRY_AFTER_S = 5
POSTGRES_DOWN_DETAIL = (
    "Postgres, where memoria keeps every conversation, is unreachable right now; "
    f"retry in {RETRY_AFTER_S} s"
)
# A turn carries only the new user messages; the thread's history lives on the server.
MAX_MESSAGES_PER_TURN = 32
# Ids as the OpenAPI spec describes them; `validate_id` checks them, with a 422 naming the field.
ID_PARAM = {"pattern": ID_PATTERN.pattern}
ID_SCHEMA = {"type": "string", **ID_PARAM}


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
WEB_DIR = Path(__file__).resolve().parent / "web"
_serializer = WellKnownLCSerializer()


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
            "configurable": {
                "tenant_id": ident.tenant_id,
                "user_id": ident.user_id,
                "thread_id": ident.thread_id,
            },
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


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any):
    """An RFC 9457 problem-details response: `title` names the status, `detail` what to fix."""
    body = {"type": "about:blank", "title": http.HTTPStatus(status).phrase, "status": status}
    return JSONResponse(
        {**body, "detail": detail, **extra},
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413 before anything parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap `app`."""
        self.app = app
        self.max_bytes = max_bytes
        self.detail = f"the request body is over the limit of {max_bytes} bytes; send less"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what actually arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await problem(413, self.detail)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # An HTTPException: FastAPI re-raises those from body parsing (anything else
                # becomes its 400), and the app's handler answers it as a 413 problem.
                raise StarletteHTTPException(413, self.detail)
            return message

        await self.app(scope, counted, send)


def prepare_run(
    payload: dict[str, Any], config: RunConfig, res: Resources, caller: Caller
) -> PreparedRun:
    """Validate a request's input and config; raise HTTPException saying what to fix."""
    configurable = dict(config.configurable)
    allowed = set(IDENTITY_KEYS) | set(Context.__dataclass_fields__)
    unknown = sorted(set(configurable) - allowed)
    if unknown:
        raise _unprocessable(
            f"config.configurable has unknown keys {unknown}; allowed: {sorted(allowed)}"
        )
    configurable["tenant_id"] = caller.tenant(configurable.get("tenant_id"), res)
    if not configurable.get("user_id"):
        raise _unprocessable("config.configurable.user_id is required")
    if not configurable.get("thread_id"):
        raise _unprocessable("config.configurable.thread_id is required")
    try:
        ident = res.identity({"configurable": configurable})
    except ValueError as exc:
        raise _unprocessable(f"config.configurable: {exc}") from exc
    try:
        context = Context.from_configurable(configurable)
    except (TypeError, ValueError) as exc:
        raise _unprocessable(f"config.configurable: {exc}") from exc

    if set(payload) != {"messages"}:
        raise _unprocessable('input must be {"messages": [...]} and nothing else')
    raw = payload["messages"]
    if not isinstance(raw, list) or not raw:
        raise _unprocessable("input.messages must be a non-empty list")
    if len(raw) > MAX_MESSAGES_PER_TURN:
        raise _unprocessable(
            f"input.messages has {len(raw)} messages; send at most {MAX_MESSAGES_PER_TURN}, "
            "only the new ones (the thread's history lives on the server)"
        )
    try:
        messages = convert_to_messages(raw)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise _unprocessable(f"input.messages: {exc}") from exc
    limit = res.settings.memoria_max_message_chars
    for i, message in enumerate(messages):
        if not isinstance(message, HumanMessage):
            raise _unprocessable(
                f"input.messages[{i}] is a {message.type} message; send only user (human) "
                "messages, the agent writes its own replies"
            )
        text = message_text(message)
        if not text.strip():
            raise _unprocessable(f"input.messages[{i}] is empty; send some text")
        if "\x00" in text:
            raise _unprocessable(
                f"input.messages[{i}] contains a NUL character (\\u0000); remove it"
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _unprocessable(
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


class Caller:
    """Who is calling: the tenant of their API key, or local mode (no key needed)."""

    def __init__(self, tenant_id: str | None = None, key_id: str | None = None) -> None:
        """`tenant_id` None is local mode: the request's tenant, else the default one."""
        self.tenant_id = tenant_id
        self.key_id = key_id

    def tenant(self, requested: Any, res: Resources) -> str:
        """Return the tenant a request acts in; a key's tenant cannot be swapped for another.

        The request is bound to it: its database sessions see that tenant's rows only.
        """
        if self.tenant_id is None:
            tenant = _validated("tenant_id", requested or res.settings.memoria_default_tenant)
        elif requested not in (None, "", self.tenant_id):
            raise HTTPException(
                status_code=403,
                detail="tenant_id does not match your API key's tenant; leave it out",
            )
        else:
            tenant = self.tenant_id
        bind_tenant(tenant)
        return tenant


async def get_caller(request: Request) -> Caller:
    """Authenticate the request: `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    res: Resources = request.app.state.resources
    try:
        found = await res.key_gate.check(presented_key(request.headers))
    except KeyRefused as exc:
        raise HTTPException(
            status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from exc
    if found is None:
        return Caller(None)
    key_id, tenant = found
    if res.key_limit:
        await throttle(res, tenant, f"key:{key_id}", res.key_limit, "this API key")
    return Caller(tenant, key_id)


async def throttle(res: Resources, tenant_id: str, scope: str, limit: Any, who: str) -> None:
    """Count a request against `limit`; over it, raise 429 with Retry-After."""
    wait_s = await res.rate_limiter.retry_after(tenant_id, scope, limit)
    if wait_s is not None:
        raise HTTPException(
            status_code=429,
            detail=f"rate limit of {limit} for {who} reached; retry in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )


async def throttle_turns(res: Resources, runs: list[PreparedRun]) -> None:
    """Count each run against its user's turn limit."""
    if res.user_limit:
        for run in runs:
            scope = f"user:{run.ident.user_id}"
            await throttle(res, run.ident.tenant_id, scope, res.user_limit, "this user")


def get_resources(request: Request) -> Resources:
    """Return the process's resources, opened in the lifespan."""
    return request.app.state.resources


def get_graph(request: Request) -> CompiledStateGraph:
    """Return the compiled graph, built in the lifespan."""
    return request.app.state.graph


ResourcesDep = Annotated[Resources, Depends(get_resources)]
GraphDep = Annotated[CompiledStateGraph, Depends(get_graph)]
CallerDep = Annotated[Caller, Depends(get_caller)]
TenantHeader = Annotated[
    str | None,
    Header(
        description="Tenant id; the configured default tenant when omitted.",
        json_schema_extra=ID_PARAM,
    ),
]
UserHeader = Annotated[
    str, Header(description="Id of the user whose data this is.", json_schema_extra=ID_PARAM)
]
UserId = Annotated[str, PathParam(json_schema_extra=ID_PARAM)]
ThreadId = Annotated[str, PathParam(json_schema_extra=ID_PARAM)]
# Documents are named by 32 hex digits (`knowledge.ingest.document_id`); nothing else can exist.
DocId = Annotated[
    str,
    PathParam(pattern=r"^[0-9a-f]{32}$", description="A document id, as GET /documents lists it."),
]


def _validated(field: str, value: str | None) -> str:
    try:
        return validate_id(field, value)
    except ValueError as exc:
        raise _unprocessable(str(exc)) from exc


def _thread_ident(
    res: Resources, caller: Caller, tenant: str | None, user_id: str, thread_id: str
) -> Identity:
    return Identity(
        caller.tenant(tenant, res),
        _validated("user_id", user_id),
        _validated("thread_id", thread_id),
    )


def _user_ident(res: Resources, caller: Caller, tenant: str | None, user_id: str) -> Identity:
    """The caller's view of a user: tenant from the key (or request), validated user, no thread."""
    return Identity(caller.tenant(tenant, res), _validated("user_id", user_id), "-")


async def _reachable(check: Any, timeout_s: float = 2.0) -> bool:
    try:
        await asyncio.wait_for(check(), timeout_s)
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True


@asynccontextmanager
async def open_agent(
    settings: Settings, resources: Resources | None = None
) -> AsyncIterator[tuple[Resources, CompiledStateGraph]]:
    """Open resources and compile the graph with the durable Postgres checkpointer."""
    async with resources or Resources(settings) as res:
        yield res, build_graph(res, checkpointer=res.checkpointer)


def create_app(settings: Settings | None = None, *, resources: Resources | None = None) -> FastAPI:
    """Create the FastAPI app; pools and the graph are built in its lifespan, not here."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_agent(settings or get_settings(), resources) as (res, graph):
            app.state.resources = res
            app.state.graph = graph
            if await res.key_gate.keys_required():
                logger.info("memoria ready; API keys required (each key maps to one tenant)")
            else:
                logger.warning(
                    "memoria ready in LOCAL MODE: no API key is required; requests act in "
                    "their config's tenant or %r. Create a key (`memoria keys create`) to "
                    "require keys.",
                    res.settings.memoria_default_tenant,
                )
            yield

    app = FastAPI(
        title="memoria",
        version="0.1.0",
        summary="A LangGraph agent that answers from a knowledge base and remembers its users.",
        lifespan=lifespan,
    )
    app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        """The chat page: threads, streamed answers, sources and a memory panel."""
        return FileResponse(WEB_DIR / "index.html")

    app.add_middleware(BodyLimit, max_bytes=(settings or get_settings()).memoria_max_body_bytes)

    async def run_once(graph: CompiledStateGraph, res: Resources, run: PreparedRun) -> Any:
        config = await start_turn(graph, res, run)
        with res.tracing():
            output = await graph.ainvoke(
                run.graph_input,
                config,
                context=run.context,
                durability=res.settings.memoria_checkpoint_durability,
            )
        return _serializer.dumpd(output)

    @app.exception_handler(ThreadOwnershipError)
    async def thread_not_available(request: Request, exc: ThreadOwnershipError) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=exc.headers)

    async def postgres_unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("%s %s: Postgres unavailable: %r", request.method, request.url.path, exc)
        return problem(503, POSTGRES_DOWN_DETAIL, headers={"Retry-After": str(RETRY_AFTER_S)})

    for unavailable in POSTGRES_UNAVAILABLE:
        app.add_exception_handler(unavailable, postgres_unavailable)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"where": _where(e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['where']}: {e['problem']}" for e in errors)
        return problem(422, detail, errors=errors)

    @app.get("/agent/input_schema", tags=["agent"])
    async def input_schema(graph: GraphDep) -> dict[str, Any]:
        """JSON schema of `input`: new user messages."""
        return graph.get_input_jsonschema()

    @app.get("/agent/output_schema", tags=["agent"])
    async def output_schema(graph: GraphDep) -> dict[str, Any]:
        """JSON schema of `output`: the thread's state after the turn."""
        return graph.get_output_jsonschema()

    @app.get("/agent/config_schema", tags=["agent"])
    async def config_schema(graph: GraphDep) -> dict[str, Any]:
        """JSON schema of `config.configurable`: identity and per-run knobs."""
        configurable = configurable_schema(graph.get_context_jsonschema() or {})
        return {
            "title": "RunConfig",
            "type": "object",
            "properties": {"configurable": configurable},
        }

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Report that the process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz(res: ResourcesDep) -> JSONResponse:
        """Report whether Postgres (required) and Redis (speed layer, optional) answer."""

        async def postgres() -> None:
            async with res.pool.connection() as conn:
                await conn.execute("SELECT 1")

        pg_ok = await _reachable(postgres)
        redis_ok = await _reachable(res.redis.ping)
        body = {
            "status": ("ok" if redis_ok else "degraded") if pg_ok else "unavailable",
            "postgres": "ok" if pg_ok else "unreachable",
            "redis": "ok" if redis_ok else "unreachable (serving from Postgres)",
        }
        if pg_ok:
            return JSONResponse(body)
        return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.get("/metrics", tags=["health"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics: strategy use, cache hits, Redis fallbacks, write ack, outbox lag."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.delete("/threads/{thread_id}", tags=["memory"])
    async def delete_thread(
        thread_id: ThreadId,
        res: ResourcesDep,
        caller: CallerDep,
        x_user_id: UserHeader,
        x_tenant_id: TenantHeader = None,
    ) -> dict[str, Any]:
        """Delete one thread from every store; return a receipt of rows removed per store."""
        ident = _thread_ident(res, caller, x_tenant_id, x_user_id, thread_id)
        return (await res.forgetter.delete_thread(ident)).as_dict()

    @app.delete("/users/{user_id}", tags=["memory"])
    async def forget_user(
        user_id: UserId, res: ResourcesDep, caller: CallerDep, x_tenant_id: TenantHeader = None
    ) -> dict[str, Any]:
        """Delete everything memoria holds about a user; return a receipt per store."""
        ident = _user_ident(res, caller, x_tenant_id, user_id)
        receipt = await res.forgetter.forget_user(ident.tenant_id, ident.user_id)
        return receipt.as_dict()

    @app.post("/documents", tags=["documents"], status_code=202)
    async def upload_document(
        res: ResourcesDep,
        caller: CallerDep,
        file: Annotated[UploadFile, File(description="A .txt, .md, .html or .pdf file.")],
        x_tenant_id: TenantHeader = None,
    ) -> dict[str, Any]:
        """Upload a document into the tenant's knowledge base; follow the returned job.

        Uploading the same file name again replaces that document.
        """
        tenant = caller.tenant(x_tenant_id, res)
        filename = PurePath(file.filename or "").name
        if not filename or len(filename) > 255:
            raise _unprocessable("the upload needs a file name of 1-255 characters")
        try:
            job = await res.documents.upload(tenant, filename, await file.read())
        except ValueError as exc:
            raise _unprocessable(str(exc)) from exc
        return {"job": job, "status_url": f"/documents/jobs/{job['id']}"}

    @app.get("/documents/jobs/{job_id}", tags=["documents"])
    async def ingest_job(
        job_id: uuid.UUID, res: ResourcesDep, caller: CallerDep, x_tenant_id: TenantHeader = None
    ) -> dict[str, Any]:
        """An ingestion job: status (queued, running, done, failed) and chunks done of total."""
        job = await res.documents.job(caller.tenant(x_tenant_id, res), job_id)
        if job is None:
            raise HTTPException(status_code=404, detail=f"no ingestion job {job_id}")
        return job

    @app.get("/documents", tags=["documents"])
    async def list_documents(
        res: ResourcesDep, caller: CallerDep, x_tenant_id: TenantHeader = None
    ) -> dict[str, Any]:
        """The tenant's indexed documents, newest first."""
        return {"documents": await res.documents.documents(caller.tenant(x_tenant_id, res))}

    @app.delete("/documents/{doc_id}", tags=["documents"])
    async def delete_document(
        doc_id: DocId, res: ResourcesDep, caller: CallerDep, x_tenant_id: TenantHeader = None
    ) -> dict[str, Any]:
        """Delete a document with its chunks and vectors; answers stop citing it at once."""
        removed = await res.documents.delete(caller.tenant(x_tenant_id, res), doc_id)
        if removed is None:
            raise HTTPException(status_code=404, detail=f"no document {doc_id}")
        return {"doc_id": doc_id, "chunks_removed": removed}

    @app.get("/threads", tags=["memory"])
    async def list_threads(
        res: ResourcesDep,
        caller: CallerDep,
        x_user_id: UserHeader,
        x_tenant_id: TenantHeader = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """List the user's threads, most recently used first."""
        ident = _user_ident(res, caller, x_tenant_id, x_user_id)
        rows = await views.list_threads(res.pool, ident.tenant_id, ident.user_id, limit=limit)
        return {"threads": rows}

    @app.get("/threads/{thread_id}", tags=["memory"])
    async def get_thread(
        thread_id: ThreadId,
        res: ResourcesDep,
        caller: CallerDep,
        x_user_id: UserHeader,
        x_tenant_id: TenantHeader = None,
    ) -> dict[str, Any]:
        """Return a thread's complete transcript and its running summary (404 if not yours)."""
        ident = _thread_ident(res, caller, x_tenant_id, x_user_id, thread_id)
        if not await views.owns_thread(res.pool, ident):
            raise ThreadOwnershipError(thread_id)
        transcript = await res.conversation.transcript(ident)
        return {
            "thread_id": thread_id,
            "messages": [message_to_dict(m) for m in transcript],
            "summary": await views.latest_summary(res.pool, ident),
        }

    @app.get("/users/{user_id}/facts", tags=["memory"])
    async def user_facts(
        user_id: UserId, res: ResourcesDep, caller: CallerDep, x_tenant_id: TenantHeader = None
    ) -> dict[str, Any]:
        """The user's facts: current ones, and every closed one with when it stopped holding."""
        items = await res.facts.history(_user_ident(res, caller, x_tenant_id, user_id))
        facts = [{"key": item.key, **item.value} for item in items]
        return {
            "current": [f for f in facts if f.get("current")],
            "history": [f for f in facts if not f.get("current")],
        }

    @app.get("/users/{user_id}/strategy", tags=["memory"])
    async def user_strategy(
        user_id: UserId,
        res: ResourcesDep,
        caller: CallerDep,
        x_tenant_id: TenantHeader = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> dict[str, Any]:
        """The user's latest routing decisions: strategy, why, results, latency, cache."""
        ident = _user_ident(res, caller, x_tenant_id, user_id)
        rows = await views.strategy_decisions(res.pool, ident.tenant_id, ident.user_id, limit=limit)
        return {"decisions": rows}

    @app.post("/agent/invoke", tags=["agent"])
    async def invoke(
        body: InvokeRequest, res: ResourcesDep, graph: GraphDep, caller: CallerDep
    ) -> dict[str, Any]:
        """Run one turn and return the thread's state after it (LangServe format)."""
        run = prepare_run(body.input, body.config, res, caller)
        await throttle_turns(res, [run])
        output = await run_once(graph, res, run)
        return {"output": output, "metadata": {"run_id": str(run.run_id), "feedback_tokens": []}}

    @app.post("/agent/batch", tags=["agent"])
    async def batch(
        body: BatchRequest, res: ResourcesDep, graph: GraphDep, caller: CallerDep
    ) -> dict[str, Any]:
        """Run several turns, each on its own thread (LangServe format)."""
        configs = body.config if isinstance(body.config, list) else [body.config] * len(body.inputs)
        if len(configs) != len(body.inputs):
            raise _unprocessable("config must be one object or a list as long as inputs")
        runs = [prepare_run(i, c, res, caller) for i, c in zip(body.inputs, configs, strict=True)]
        threads = [r.ident.thread_id for r in runs]
        if len(set(threads)) != len(threads):
            raise _unprocessable("each batch input needs its own thread_id")
        await throttle_turns(res, runs)
        outputs = [await run_once(graph, res, run) for run in runs]
        run_ids = [str(r.run_id) for r in runs]
        return {
            "output": outputs,
            "metadata": {
                "run_ids": run_ids,
                "responses": [{"run_id": r, "feedback_tokens": []} for r in run_ids],
            },
        }

    @app.post("/agent/stream", tags=["agent"])
    async def stream(
        body: InvokeRequest,
        res: ResourcesDep,
        graph: GraphDep,
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
        """Run one turn, streaming each node's update as an SSE `data` event (LangServe format)."""
        run = prepare_run(body.input, body.config, res, caller)
        await throttle_turns(res, [run])
        config = await start_turn(graph, res, run)

        async def events() -> AsyncIterator[dict[str, str]]:
            yield {"event": "metadata", "data": json.dumps({"run_id": str(run.run_id)})}
            try:
                with res.tracing():
                    async for mode, payload in graph.astream(
                        run.graph_input,
                        config,
                        context=run.context,
                        stream_mode=["updates", "messages"] if tokens else ["updates"],
                        durability=res.settings.memoria_checkpoint_durability,
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
            except Exception:
                logger.exception("stream run %s failed", run.run_id)
                error = {"status_code": 500, "message": "The run failed; see the server log."}
                yield {"event": "error", "data": json.dumps(error)}
                return
            yield {"event": "end"}

        return EventSourceResponse(events())

    return app


def _answer_token(chunk: BaseMessage, metadata: dict[str, Any]) -> str:
    """Return the answer text in a streamed chunk of generate's model (not the summariser's)."""
    if metadata.get("langgraph_node") != "generate" or not isinstance(chunk, AIMessageChunk):
        return ""
    return chunk.text


async def start_turn(graph: CompiledStateGraph, res: Resources, run: PreparedRun) -> RunnableConfig:
    """Check the thread belongs to the caller, then return the config the turn runs with.

    The claim comes before the graph loads the thread's checkpoint (`resume_point`).
    """
    bind_tenant(run.ident.tenant_id)  # A batch in local mode may hold runs of several tenants.
    await res.conversation.claim_thread(run.ident)
    return await resume_point(graph, run.config)


async def resume_point(graph: CompiledStateGraph, config: RunnableConfig) -> RunnableConfig:
    """Return `config` set to run from the thread's last finished turn.

    A run that fails or is killed midway may have saved the steps it finished (each step with
    "async" durability; with "exit", what it finished when it fails), e.g. a question without
    its answer. The next turn of the thread starts from the last finished turn instead, so a
    thread never holds half a turn. What persist committed stays in the transcript either way.
    """
    state = await graph.aget_state(config)
    if not state.next:
        return config
    thread_id = config["configurable"]["thread_id"]
    async for earlier in graph.aget_state_history(config, before=state.config):
        if not earlier.next:
            logger.warning("thread %s: its last turn did not finish; resuming before it", thread_id)
            checkpoint_id = earlier.config["configurable"]["checkpoint_id"]
            configurable = {**config["configurable"], "checkpoint_id": checkpoint_id}
            return {**config, "configurable": configurable}
    logger.warning("thread %s: none of its turns finished; starting it afresh", thread_id)
    assert isinstance(graph.checkpointer, BaseCheckpointSaver)  # aget_state needs one
    await graph.checkpointer.adelete_thread(thread_id)
    return config


app = create_app()
