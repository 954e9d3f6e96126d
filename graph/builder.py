"""The memoria graph: all wiring in one place.

START -> router -> (retrieve -> rerank)? -> generate <-> tools -> persist -> (summarise)? -> END
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Literal, ParamSpec, TypeVar

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.runtime import Runtime

from graph.context import Context
from graph.nodes.generate import make_generate
from graph.nodes.persist import make_persist
from graph.nodes.rerank import make_rerank
from graph.nodes.retrieve import make_retrieve
from graph.nodes.router import make_router
from graph.nodes.summarise import make_summarise, needs_summary
from graph.resources import Resources
from graph.state import InputState, OutputState, State
from memory.fact_extractors import extractor_for
from tools import build_tools

P = ParamSpec("P")
R = TypeVar("R")


def route_after_router(state: State) -> Literal["retrieve", "generate"]:
    """Skip retrieval for small talk."""
    route = state.get("route")
    if route is None:
        raise ValueError("router produced no route")
    return "generate" if not route["sources"] else "retrieve"


def route_after_generate(state: State) -> Literal["tools", "persist"]:
    """Run requested tools, else store the turn."""
    last = state["messages"][-1]
    return "tools" if getattr(last, "tool_calls", None) else "persist"


def route_after_persist(state: State, runtime: Runtime[Context]) -> Literal["summarise", "__end__"]:
    """Summarise when the window is over budget."""
    ctx = runtime.context or Context()
    return "summarise" if needs_summary(state["messages"], ctx) else END


def on_the_loop(route: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Return `route` as a coroutine function, so LangGraph calls it on the event loop.

    LangGraph runs a plain function given to `add_conditional_edges` in a thread pool: three
    thread hops per turn for routers that only read the state. The wrapper keeps the
    router's signature and `Literal` return type, which name the branches.
    """

    @functools.wraps(route)
    async def on_loop(*args: P.args, **kwargs: P.kwargs) -> R:
        return route(*args, **kwargs)

    return on_loop


def build_graph(
    resources: Resources,
    *,
    chat_model: BaseChatModel | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
) -> CompiledStateGraph:
    """Compile the graph over `resources`.

    Args:
        resources: Storage, models and memory (opened lazily on the first run if not yet).
        chat_model: The model that answers, calls tools, summarises and extracts facts from
            what the turn's user says; None answers with the offline extractive responder.
        checkpointer: Durable per-thread state; LangGraph's server brings its own.
    """
    extractor = extractor_for(chat_model)
    tools = build_tools(resources, extractor)
    builder = StateGraph(
        State, input_schema=InputState, output_schema=OutputState, context_schema=Context
    )
    _add_read_path(builder, resources, route_after_router, stores_turns=True)
    builder.add_node("generate", make_generate(resources, chat_model, tools))
    builder.add_node("tools", ToolNode(tools))
    builder.add_node("persist", make_persist(resources, extractor))
    builder.add_node("summarise", make_summarise(resources, chat_model))

    builder.add_edge("rerank", "generate")
    builder.add_conditional_edges("generate", on_the_loop(route_after_generate))
    builder.add_edge("tools", "generate")
    builder.add_conditional_edges("persist", on_the_loop(route_after_persist))
    builder.add_edge("summarise", END)
    return builder.compile(checkpointer=checkpointer, name="memoria")


def build_retrieval_graph(resources: Resources) -> CompiledStateGraph:
    """Compile the read path alone (router -> retrieve -> rerank), as evaluation measures it."""
    builder = StateGraph(State, input_schema=InputState, context_schema=Context)
    read_path_end = {"retrieve": "retrieve", "generate": END}
    _add_read_path(builder, resources, route_after_router, read_path_end)
    builder.add_edge("rerank", END)
    return builder.compile(name="memoria-retrieval")


def _add_read_path(
    builder: StateGraph,
    resources: Resources,
    route: Callable[[State], str],
    path_map: dict[str, str] | None = None,
    *,
    stores_turns: bool = False,
) -> None:
    """Wire START -> router -> (retrieve -> rerank)?, which both graphs share.

    `stores_turns`: the graph goes on to store each turn (persist), as the read path alone
    does not.
    """
    builder.add_node("router", make_router(resources))
    builder.add_node("retrieve", make_retrieve(resources, stores_turns=stores_turns))
    builder.add_node("rerank", make_rerank(resources))
    builder.add_edge(START, "router")
    builder.add_conditional_edges("router", on_the_loop(route), path_map)
    builder.add_edge("retrieve", "rerank")
