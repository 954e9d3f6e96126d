"""memoria as an MCP server (official `mcp` SDK): memory tools for assistants and IDE agents.

Tools: `search_memory`, `remember`, `correct_fact`, `forget_fact`, `search_knowledge_base`,
over the same operations as the memory API (memory/memories.py, retrievers/memory_search.py).
Two transports:

- **streamable HTTP** at `/mcp` of the API server (`HttpMcp`, behind `api/mcp_route.py`),
  stateless, with the API's credentials: a tenant key with `X-User-Id`, or a user token; the
  same rate limits. Each request is authenticated before the MCP SDK sees it, and the tools
  act for that identity.
- **stdio** (`memoria mcp --user U`, cli/mcp.py) for a local assistant, acting for the user
  the command names, as `memoria forget` does: whoever can run it can reach the database.

Tools never take a user or tenant argument: a model cannot ask for someone else's memory.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from starlette.types import Receive, Scope, Send

from api.routes.memory import as_memory, as_result
from graph.resources import Resources
from memoria.models import MAX_K, MAX_TEXT_CHARS, DeleteReceipt, Memory, SearchResult
from memory.fact_extractors import Extractor
from memory.memories import MemoryClosed, MemoryNotFound
from retrievers.memory_search import Kind, MemoryQuery, search
from storage.identity import Identity, validate_id
from storage.tenancy import bind_tenant

# Where McpEndpoint leaves the authenticated caller for the tools (the request's ASGI state).
STATE_KEY = "memoria_mcp"
INSTRUCTIONS = (
    "memoria remembers this user across conversations. search_memory before answering "
    "questions about them; remember what they ask you to keep; correct_fact when they say "
    "a fact changed; forget_fact when they ask you to forget one (ids come from "
    "search_memory); search_knowledge_base for the organisation's documents."
)

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
Query = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS, description="What to find.")]
K = Annotated[int, Field(ge=1, le=MAX_K, description="Most results.")]
MemoryId = Annotated[str, Field(min_length=1, max_length=128, description="From search_memory.")]


@dataclass(frozen=True)
class Session:
    """Who a tool call acts for, and the process's services."""

    ident: Identity
    resources: Resources
    extractor: Extractor


SessionOf = Callable[[Context], Awaitable[Session]]


def build_server(
    session_of: SessionOf,
    lifespan: Callable[[MCPServer], AbstractAsyncContextManager[Any]] | None = None,
) -> MCPServer:
    """Return memoria's MCP server; `session_of` says whom each tool call acts for."""
    # MCPServer() calls logging.basicConfig, which would give a process whose root logger has
    # no handler yet (`uvicorn server:app`) one of the SDK's: logging is configs/logs.py's.
    root, placeholder = logging.getLogger(), logging.NullHandler()
    root.addHandler(placeholder)
    try:
        mcp = MCPServer(
            name="memoria", instructions=INSTRUCTIONS, version="0.1.0", lifespan=lifespan
        )
    finally:
        root.removeHandler(placeholder)

    async def find(ctx: Context, query: str, k: int, kinds: Sequence[Kind]) -> list[SearchResult]:
        session = await session_of(ctx)
        found = await search(
            session.resources.retriever,
            session.ident,
            MemoryQuery(query=_text("query", query), k=k, kinds=tuple(kinds)),
        )
        return [as_result(c) for c in found]

    @mcp.tool()
    async def search_memory(query: Query, ctx: Context, k: K = 5) -> list[SearchResult]:
        """Search what this user told you: remembered facts and past conversations."""
        return await find(ctx, query, k, ("fact", "message"))

    @mcp.tool()
    async def search_knowledge_base(query: Query, ctx: Context, k: K = 5) -> list[SearchResult]:
        """Search the organisation's knowledge-base documents."""
        return await find(ctx, query, k, ("document",))

    @mcp.tool()
    async def remember(fact: Text, ctx: Context) -> list[Memory]:
        """Keep a fact about this user for every later conversation (a full sentence)."""
        session = await session_of(ctx)
        if not (await session.resources.consent(session.ident)).memory:
            raise ToolError("memory is off for this user, so nothing was stored")
        items = await session.resources.memories.add(
            session.ident, _text("fact", fact), extractor=session.extractor
        )
        return [as_memory(item) for item in items]

    @mcp.tool()
    async def correct_fact(
        memory_id: MemoryId, text: Text, ctx: Context, value: Text | None = None
    ) -> Memory:
        """Replace a fact that changed; the old version stays in its history."""
        session = await session_of(ctx)
        key = _id(memory_id)
        new_value = _text("value", value) if value is not None else None
        try:
            item = await session.resources.memories.correct(
                session.ident, key, _text("text", text), value=new_value
            )
        except (MemoryNotFound, MemoryClosed) as exc:
            raise ToolError(str(exc)) from exc
        return as_memory(item)

    @mcp.tool()
    async def forget_fact(memory_id: MemoryId, ctx: Context) -> DeleteReceipt:
        """Forget a fact and all its earlier versions; returns what was deleted."""
        session = await session_of(ctx)
        try:
            receipt = await session.resources.memories.delete(session.ident, _id(memory_id))
        except MemoryNotFound as exc:
            raise ToolError(str(exc)) from exc
        return DeleteReceipt.model_validate(receipt.as_dict())

    return mcp


def _text(field: str, value: str) -> str:
    """Return `value` if Postgres can store it and it says something, else refuse the call."""
    if "\x00" in value:
        raise ToolError(f"{field} contains a NUL character; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolError(f"{field} is not valid unicode; send UTF-8 text") from exc
    if not value.strip():
        raise ToolError(f"{field} is empty")
    return value.strip()


def _id(memory_id: str) -> str:
    try:
        return validate_id("memory_id", memory_id)
    except ValueError as exc:
        raise ToolError(str(exc)) from exc


# --- streamable HTTP, inside the API server --------------------------------------------------


async def _request_session(ctx: Context) -> Session:
    """Return the session McpEndpoint authenticated for this call's HTTP request."""
    request = ctx.request_context.request
    session: Session = request.scope["state"][STATE_KEY]
    bind_tenant(session.ident.tenant_id)
    return session


class HttpMcp:
    """The MCP SDK's streamable HTTP handler, for requests `api/mcp_route.py` authenticated."""

    def __init__(self) -> None:
        """Build the server; its session manager runs while `running` does."""
        self.server = build_server(_request_session)
        # Stateless: any API replica answers any request. The API's own limits, headers
        # and credentials guard it, as they guard every other route (no Host check here).
        self.server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the MCP session manager while the block runs.

        In a task of its own, with a context of its own: its task group must be left by the
        task that entered it (a lifespan may end in another task than it started in), and it
        must not keep the tenant of the request that happened to start it.
        """
        started, stop = asyncio.Event(), asyncio.Event()

        async def serve() -> None:
            async with self.server.session_manager.run():
                started.set()
                await stop.wait()

        task = asyncio.create_task(serve(), context=contextvars.Context())
        waiting = asyncio.create_task(started.wait())
        await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            task.result()  # it failed to start: raise why
        try:
            yield
        finally:
            stop.set()
            await task

    async def handle(self, scope: Scope, receive: Receive, send: Send, session: Session) -> None:
        """Serve one MCP request whose tools act as `session`."""
        scope.setdefault("state", {})[STATE_KEY] = session
        await self.server.session_manager.handle_request(scope, receive, send)


# --- stdio, for a local assistant ------------------------------------------------------------


def stdio_server(resources: Resources, extractor: Extractor, ident: Identity) -> MCPServer:
    """Return the server `memoria mcp` runs over stdio, acting for `ident`'s user.

    The resources open in the server's lifespan, while the SDK points file descriptor 1 at
    stderr: nothing the services print can reach the protocol's stream.
    """

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        async with resources:
            yield

    async def session_of(ctx: Context) -> Session:
        bind_tenant(ident.tenant_id)
        return Session(ident, resources, extractor)

    return build_server(session_of, lifespan)
