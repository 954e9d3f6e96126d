"""Token streaming over /agent/stream and in `memoria chat`, with a model that streams like an LLM.

The app runs in-process (its own resources on the real services) because the model is the one
fake allowed and cannot be configured into a server process; `memoria chat` reaches it over a
real socket, served by uvicorn on the test's event loop.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
import uuid

import httpx
import pytest

from cli import main
from cli.chat import run_chat
from tests.support import new_config, socket_server, streaming_app

pytestmark = pytest.mark.integration

ANSWER = "Refunds are possible within 30 days of purchase [1]."


def sse_events(body: str) -> list[tuple[str, str]]:
    """Parse an SSE body into (event, data) pairs, one per blank-line-terminated block."""
    events, event, data = [], "", ""
    for line in [*body.splitlines(), ""]:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line and (event or data):
            events.append((event or "message", data))
            event, data = "", ""
    return events


@pytest.fixture(scope="module")
async def app(resources, kb_tenant):
    # Local mode with the knowledge base as the default tenant: what `memoria chat` talks to.
    async with streaming_app(resources, kb_tenant, ANSWER) as served:
        yield served


@pytest.fixture(scope="module")
async def client(app, kb_tenant):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://memoria") as http:
        http.kb_tenant = kb_tenant
        yield http


@pytest.fixture(scope="module")
async def served(app):
    """Return the URL of `app` served over HTTP (its lifespan is already entered)."""
    async with socket_server(app) as url:
        yield url


def turn(tenant: str, text: str) -> dict:
    return {
        "input": {"messages": [{"type": "human", "content": text}]},
        "config": new_config(tenant),
    }


async def test_tokens_stream_before_the_answer_and_add_up_to_it(client):
    body = turn(client.kb_tenant, "How long do I have to ask for a refund?")
    response = await client.post("/agent/stream", params={"tokens": "true"}, json=body)
    assert response.status_code == 200
    events = sse_events(response.text)
    tokens = [json.loads(data)["content"] for event, data in events if event == "token"]
    assert len(tokens) == len(ANSWER.split())
    assert "".join(tokens) == ANSWER
    kinds = [event for event, _ in events]
    generate_at = next(
        i for i, (event, data) in enumerate(events) if event == "data" and '"generate"' in data
    )
    assert kinds.index("token") < generate_at, "tokens must arrive before the final update"
    final = json.loads(events[generate_at][1])["generate"]["messages"][-1]
    assert final["content"] == ANSWER


async def test_without_the_flag_the_stream_has_only_langserve_events(client):
    body = turn(client.kb_tenant, "How long do I have to ask for a refund?")
    response = await client.post("/agent/stream", json=body)
    kinds = {event for event, _ in sse_events(response.text)}
    assert kinds == {"metadata", "data", "end"}, kinds


class Terminal(io.StringIO):
    """Stdout that records what a terminal would show each time it is flushed."""

    def __init__(self) -> None:
        super().__init__()
        self.screens: list[str] = []

    def flush(self) -> None:
        self.screens.append(self.getvalue())


async def test_memoria_chat_prints_the_answer_as_it_is_written_then_its_sources(served):
    terminal = Terminal()
    question = io.StringIO("How long do I have to ask for a refund?\n")
    user = f"u-{uuid.uuid4().hex[:8]}"
    code = await asyncio.to_thread(run_chat, served, user_id=user, stdin=question, stdout=terminal)
    assert code == 0
    out = terminal.getvalue()
    assert out.count(ANSWER) == 1, out
    assert f"memoria> {ANSWER}\n  [1] " in out, "the sources follow the answer"
    # Each word was on screen before the rest of the answer, and before any source.
    words = re.findall(r"\S+\s*", ANSWER)
    for n in range(1, len(words)):
        partial = "memoria> " + "".join(words[:n])
        assert any(s.endswith(partial) for s in terminal.screens), f"never showed {partial!r}"


async def test_memoria_chat_shows_the_conversation_without_request_logs(served, monkeypatch, capfd):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # `main` replaces them
    monkeypatch.setattr(sys, "stdin", io.StringIO("How long do I have to ask for a refund?\n"))
    argv = ["chat", "--user", f"u-{uuid.uuid4().hex[:8]}", "--url", served]
    level = root.level
    try:
        assert await asyncio.to_thread(main, argv) == 0
    finally:
        root.setLevel(level)
    out, err = capfd.readouterr()
    assert f"memoria> {ANSWER}" in out
    assert "HTTP Request" not in out + err, err
