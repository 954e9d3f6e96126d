"""The FastAPI app: routes per resource, problem-details errors, services opened in the lifespan.

Identity (tenant, user, thread) comes from `config.configurable` and the caller's key; every
run is scoped by it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from langchain_core.language_models import BaseChatModel
from psycopg import AsyncConnection
from starlette.routing import Route

from access.gate import build_gate
from access.ratelimit import RateLimiter, parse_limit
from api.deps import Api
from api.mcp_route import McpRoute
from api.middleware import BodyLimit, CountResponses, HeadLimit, SecurityHeaders
from api.problems import add_problem_handlers
from api.routes import (
    agent,
    docs,
    documents,
    health,
    langserve_routes,
    memory,
    threads,
    tokens,
    users,
)
from configs.chat_models import build_chat_model
from configs.settings import Settings, get_settings
from graph.builder import build_graph
from graph.node_metrics import NodeTimer
from graph.resources import Resources
from knowledge.documents import DocumentLibrary
from knowledge.sandbox import Budget
from memory.fact_extractors import extractor_for
from memory.turns import TurnLocks

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# `create_app(chat_model=...)` default: the model the settings configure (or none).
FROM_SETTINGS: Any = object()


def create_app(
    settings: Settings | None = None,
    *,
    resources: Resources | None = None,
    chat_model: BaseChatModel | None = FROM_SETTINGS,
) -> FastAPI:
    """Create the FastAPI app; pools and the graph are built in its lifespan, not here.

    Args:
        settings: Process settings (read from the environment when None).
        resources: Resources to serve from, opened if need be and left open at shutdown
            (tests share one set across apps); None opens and closes the app's own, with the
            outbox worker when the settings ask for it.
        chat_model: The model that answers; the configured one by default, None offline.
    """
    settings = settings or (resources.settings if resources else get_settings())
    model = build_chat_model(settings) if chat_model is FROM_SETTINGS else chat_model
    mcp = McpRoute()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if resources is None:
                own = Resources(settings, worker=extractor_for(model))
                res = await stack.enter_async_context(own)
            else:
                res = await resources.open()
            app.state.api = await _open_api(stack, settings, res, model)
            stack.push_async_callback(mcp.aclose)
            await _log_ready(app.state.api)
            yield

    app = FastAPI(
        title="memoria",
        version="0.1.0",
        summary="A LangGraph agent that answers from a knowledge base and remembers its users.",
        lifespan=lifespan,
        # Served by api/routes/docs.py, behind a key when the API wants one.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        """The chat page: threads, streamed answers, sources and a memory panel."""
        return FileResponse(WEB_DIR / "index.html")

    app.add_middleware(BodyLimit, max_bytes=settings.memoria_max_body_bytes)
    # Added last, so it runs first: the head is checked before the body is read.
    app.add_middleware(
        HeadLimit,
        max_url_bytes=settings.memoria_max_url_bytes,
        max_header_bytes=settings.memoria_max_header_bytes,
    )
    # Outermost: every answer carries them, the limits' 413/414/431 too.
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CountResponses)
    add_problem_handlers(app)
    for routes in (agent, threads, users, memory, tokens, documents, health, docs):
        app.include_router(routes.router)
    # The MCP SDK answers the protocol itself (a raw ASGI endpoint, outside the OpenAPI spec).
    app.router.routes.append(Route("/mcp", mcp, methods=["GET", "POST", "DELETE"]))
    # stream_log, stream_events, the playground (and feedback when LangSmith is keyed).
    app.include_router(langserve_routes.build_router(settings))
    return app


async def _open_api(
    stack: AsyncExitStack, settings: Settings, res: Resources, model: BaseChatModel | None
) -> Api:
    """Open what the HTTP API holds beside the graph's resources: keys, limits, uploads."""
    library = DocumentLibrary(
        pool=res.pool,
        kb=await res.knowledge_base(),
        per_tenant=settings.memoria_ingest_per_tenant,
        budget=Budget(
            seconds=settings.memoria_ingest_read_timeout_s,
            memory_bytes=settings.memoria_ingest_read_memory_mb * 2**20,
        ),
    )
    await library.recover()
    stack.push_async_callback(library.aclose)
    # Its connection is made as the pool makes its own (same server, role and options).
    connect = partial(AsyncConnection.connect, res.pool.conninfo, **res.pool.kwargs)
    turns = TurnLocks(connect, wait_s=settings.memoria_turn_wait_s)
    stack.push_async_callback(turns.aclose)
    return Api(
        settings=settings,
        resources=res,
        graph=build_graph(res, chat_model=model, checkpointer=res.storage.checkpointer).with_config(
            callbacks=[NodeTimer()]
        ),
        key_gate=build_gate(res.pool, settings),
        rate_limiter=RateLimiter(res.storage.speed),
        key_limit=parse_limit(settings.memoria_rate_limit_per_key),
        user_limit=parse_limit(settings.memoria_rate_limit_per_user),
        documents=library,
        turns=turns,
        extractor=extractor_for(model),
    )


async def _log_ready(api: Api) -> None:
    if await api.key_gate.keys_required():
        logger.info("memoria ready; API keys required (each key maps to one tenant)")
    else:
        logger.warning(
            "memoria ready in LOCAL MODE: no API key is required; requests act in "
            "their config's tenant or %r. Create a key (`memoria keys create`) to "
            "require keys.",
            api.settings.memoria_default_tenant,
        )
