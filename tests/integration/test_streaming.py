"""Token streaming over /agent/stream, with a scripted model that streams like an LLM.

The app runs in-process (its own resources on the real services) because the model is the one
fake allowed and cannot be configured into a server process.
"""

from __future__ import annotations

import json

import httpx
import pytest
from langchain_core.messages import AIMessage

from graph.resources import Resources
from server import create_app
from tests.fakes import StreamingScriptedChatModel
from tests.integration.conftest import new_config

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
async def client(settings, kb_tenant):
    model = StreamingScriptedChatModel(script=[AIMessage(ANSWER)])
    app = create_app(resources=Resources(settings, chat_model=model))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://memoria") as http,
    ):
        http.kb_tenant = kb_tenant
        yield http


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
