"""`memoria mcp`: memoria's MCP server over stdio, for a local assistant (Claude Desktop, IDEs).

Streamable HTTP needs no command: `memoria serve` answers MCP at `/mcp` with the API's
credentials (api/mcp.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from configs.settings import get_settings


def register(sub: Any) -> None:
    """Add `mcp`."""
    mcp = sub.add_parser(
        "mcp",
        help="serve memoria's memory tools to a local assistant over MCP (stdio)",
        description="An MCP server on stdin/stdout with the tools search_memory, remember, "
        "correct_fact, forget_fact and search_knowledge_base, acting for one user. Over HTTP, "
        "`memoria serve` answers MCP at /mcp with an API key or user token instead.",
    )
    mcp.add_argument("--user", required=True, help="the user whose memory the tools use")
    mcp.add_argument("--tenant", default=None, help="tenant id (default: MEMORIA_DEFAULT_TENANT)")
    mcp.set_defaults(run=serve_stdio)


def serve_stdio(args: argparse.Namespace) -> int:
    """Serve MCP over stdio until the client closes it."""
    import anyio

    from api.mcp import stdio_server
    from configs.chat_models import build_chat_model
    from graph.resources import Resources
    from memory.fact_extractors import extractor_for
    from storage.identity import Identity, validate_id

    settings = get_settings()
    tenant = validate_id("--tenant", args.tenant or settings.memoria_default_tenant)
    ident = Identity(tenant, validate_id("--user", args.user), "mcp")
    # No outbox worker: this process serves one assistant; `memoria serve` or workers index.
    resources = Resources(settings)
    server = stdio_server(resources, extractor_for(build_chat_model(settings)), ident)
    anyio.run(server.run_stdio_async)
    return 0
