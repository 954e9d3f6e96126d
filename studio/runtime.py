"""One process's resources on LangGraph's server, shared by the graph and the auth handler.

The server loads langgraph.json's graph and auth files as separate modules; both take what
they need from here, so a process opens one set. Nothing opens until the first request.
The chat model and the outbox worker follow the same settings as `memoria serve`: with the
worker on (`MEMORIA_WORKER`, default in-process) this process indexes turns with the fact
extractor its own chat model gives, and leaves turns that asked for an LLM it lacks to a
process that has one.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from access.gate import KeyGate, build_gate
from configs.chat_models import build_chat_model
from configs.settings import get_settings
from graph.resources import Resources
from memory.fact_extractors import extractor_for

# Where `langgraph dev` keeps its threads, runs and checkpoints: its working directory.
LANGGRAPH_STATE_DIR = Path(".langgraph_api")


def keep_langgraph_state_private() -> None:
    """Make `langgraph dev`'s state (users' messages) readable by this OS user only.

    Its in-memory runtime pickles that state into `.langgraph_api` with the default umask,
    so the directory and files are world-readable; from now on this process creates files
    for its user only, and the directory is closed if it exists already.
    """
    os.umask(0o077)
    if LANGGRAPH_STATE_DIR.is_dir():
        LANGGRAPH_STATE_DIR.chmod(0o700)
        for path in LANGGRAPH_STATE_DIR.iterdir():
            path.chmod(0o600 if path.is_file() else 0o700)


# The server imports this module (through langgraph.json's graph and auth) as it starts and
# calls no hook of ours earlier: the first place this process can set its file modes.
keep_langgraph_state_private()


@lru_cache
def chat_model() -> BaseChatModel | None:
    """Return the configured chat model (None: the offline responder)."""
    return build_chat_model(get_settings())


@lru_cache
def server_resources() -> Resources:
    """Return the process's resources (opened on first use)."""
    return Resources(get_settings(), worker=extractor_for(chat_model()))


@lru_cache
def _gate(res: Resources) -> KeyGate:
    return build_gate(res.pool, res.settings)


async def key_gate() -> KeyGate:
    """Return the process's API-key gate, once its resources are open."""
    return _gate(await server_resources().open())
