"""`/mcp`: authenticate as the API does, then hand the request to memoria's MCP server.

The MCP SDK takes about two seconds of imports on a busy two-core machine, so it loads on the
first authenticated request, not with the app (servers that never see MCP never pay it).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api.deps import get_caller, user_ident

if TYPE_CHECKING:
    from api.mcp import HttpMcp


class McpRoute:
    """The raw ASGI endpoint of `/mcp` (the protocol is the SDK's, outside the OpenAPI spec)."""

    def __init__(self) -> None:
        """Load nothing yet."""
        self._mcp: HttpMcp | None = None
        self._lock = asyncio.Lock()
        self._stack = AsyncExitStack()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate (401/403/422/429 as problem details), then serve the MCP request."""
        request = Request(scope, receive)
        api = request.app.state.api
        caller = await get_caller(request, api)
        headers = request.headers
        ident = user_ident(caller, headers.get("x-tenant-id"), headers.get("x-user-id"))
        from api.mcp import Session

        mcp = await self._loaded()
        await mcp.handle(scope, receive, send, Session(ident, api.resources, api.extractor))

    async def _loaded(self) -> HttpMcp:
        async with self._lock:
            if self._mcp is None:
                from api.mcp import HttpMcp

                mcp = HttpMcp()
                await self._stack.enter_async_context(mcp.running())
                self._mcp = mcp
        return self._mcp

    async def aclose(self) -> None:
        """Stop the MCP server if it was started."""
        await self._stack.aclose()
        self._mcp = None
