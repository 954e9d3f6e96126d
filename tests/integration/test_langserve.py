"""LangServe's own endpoints (stream_events, stream_log, the playground) with its real client.

The app runs in this process with the scripted model that streams like an LLM (the one fake
allowed); `RemoteRunnable` reaches it over ASGI, the browser over a real socket.
"""

from __future__ import annotations

import shutil
import uuid

import pytest
from playwright.async_api import async_playwright
from pydantic import SecretStr

from api import create_app
from tests.support import (
    SMALL_TALK,
    http_client,
    new_config,
    remote_runnable,
    socket_server,
    streaming_app,
    turn_body,
)

pytestmark = pytest.mark.integration

ANSWER = "Refunds are possible within 30 days of purchase [1]."


@pytest.fixture(scope="module")
async def app(resources, kb_tenant):
    # Local mode with the knowledge base as the default tenant: what `memoria chat` talks to.
    async with streaming_app(resources, kb_tenant, ANSWER) as served:
        yield served


@pytest.fixture(scope="module")
async def client(app):
    async with http_client(app) as http:
        yield http


QUESTION = {"messages": [("human", "How long do I have to ask for a refund?")]}


async def test_astream_events_yields_the_answer_token_by_token_and_each_node(app, kb_tenant):
    agent = remote_runnable(app)
    events = [e async for e in agent.astream_events(QUESTION, new_config(kb_tenant))]
    streamed = [e for e in events if e["event"] == "on_chat_model_stream"]
    assert {e["metadata"]["langgraph_node"] for e in streamed} == {"generate"}
    tokens = [e["data"]["chunk"].content for e in streamed if e["data"]["chunk"].content]
    assert len(tokens) == len(ANSWER.split()) and "".join(tokens) == ANSWER
    nodes = {e["metadata"].get("langgraph_node") for e in events if e["event"] == "on_chain_end"}
    assert {"router", "retrieve", "rerank", "generate", "persist"} <= nodes
    final = events[-1]
    assert final["event"] == "on_chain_end"
    assert final["data"]["output"]["messages"][-1].content == ANSWER
    # Identity and the prepared run stay on the server.
    assert not any("__memoria" in str(e["metadata"]) for e in events)


async def test_astream_log_builds_the_turns_state(app, kb_tenant):
    agent = remote_runnable(app)
    config = new_config(kb_tenant)
    patches = [p async for p in agent.astream_log({"messages": [("human", "hi!")]}, config)]
    log = patches[0]
    for patch in patches[1:]:
        log += patch
    assert log.state["final_output"]["messages"][-1].type == "ai"
    logged = {name.split(":")[0] for name in log.state["logs"]}
    assert set(SMALL_TALK) <= logged
    # The turn is the thread's, as any other: the next one sees it.
    again = await agent.ainvoke({"messages": [("human", "thanks!")]}, config)
    assert [m.type for m in again["messages"]] == ["human", "ai", "human", "ai"]


async def test_a_turn_sent_again_over_stream_events_is_answered_from_its_first_run(
    app, client, kb_tenant
):
    config = new_config(kb_tenant)
    body = turn_body("hello there", config)
    body["input"]["messages"][0]["id"] = f"m-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        response = await client.post("/agent/stream_events", json=body)
        assert response.status_code == 200 and "event: error" not in response.text
    thread = await client.get(
        f"/threads/{config['configurable']['thread_id']}",
        headers={"X-User-Id": config["configurable"]["user_id"], "X-Tenant-Id": kb_tenant},
    )
    assert [m["type"] for m in thread.json()["messages"]] == ["human", "ai"]


@pytest.mark.parametrize("endpoint", ["stream_events", "stream_log"])
async def test_refusals_are_problem_details_before_the_stream_starts(client, kb_tenant, endpoint):
    owner = new_config(kb_tenant)
    assert (await client.post("/agent/invoke", json=turn_body("hi", owner))).status_code == 200
    intruder = {"configurable": {**owner["configurable"], "user_id": "someone-else"}}
    cases = [
        (turn_body("hi", intruder), 404),
        ({**turn_body("hi", owner), "input": {"messages": []}}, 422),
        (turn_body("hi", {"configurable": {"user_id": "u"}}), 422),
        ({**turn_body("hi", owner), "surprise": 1}, 422),
        ({**turn_body("hi", owner), "config": {**owner, "tags": "not-a-list"}}, 422),
    ]
    for body, status in cases:
        response = await client.post(f"/agent/{endpoint}", json=body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
    bad = await client.post(
        f"/agent/{endpoint}", content=b"\xff{", headers={"content-type": "application/json"}
    )
    assert bad.status_code in (400, 422) and bad.json()["detail"]


@pytest.mark.process
async def test_the_playground_loads_in_chromium_without_console_errors(app):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (make setup installs it)"
    async with socket_server(app) as url, async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = await browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        response = await page.goto(f"{url}/agent/playground/")
        assert response.status == 200
        # The form is built from the runnable's schemas: identity to configure, messages.
        await page.get_by_text("Try it").wait_for(timeout=30_000)
        await page.get_by_text("USER ID", exact=False).wait_for()
        await page.get_by_text("MESSAGES", exact=False).wait_for()
        await browser.close()
    assert errors == []


def test_feedback_endpoints_are_served_only_when_langsmith_is_keyed(settings):
    key = {"langsmith_api_key": SecretStr("lsv2_pt_test"), "langsmith_tracing": True}
    keyed = settings.model_copy(update=key)
    assert "/agent/feedback" in create_app(keyed, chat_model=None).openapi()["paths"]
    assert "/agent/feedback" not in create_app(settings, chat_model=None).openapi()["paths"]
