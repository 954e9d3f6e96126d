"""The HTTP API as a client sees it, on real services: in-process over ASGI, and as a server
process where the process is the subject (a crash and restart, `memoria chat`)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from http import HTTPStatus

import httpx
import pytest

from storage.identity import identity_from_config
from tests.support import (
    REPO_ROOT,
    SMALL_TALK,
    ServerProcess,
    new_config,
    remote_runnable,
    turn_body,
)

pytestmark = pytest.mark.integration


async def invoke(client: httpx.AsyncClient, text: str, config: dict) -> httpx.Response:
    return await client.post("/agent/invoke", json=turn_body(text, config))


@pytest.mark.process
async def test_thread_survives_a_server_crash_and_restart(server, resources):
    config = new_config()
    first = server.invoke("My favourite colour is teal.", config)
    assert first.status_code == 200, first.text

    server.kill()  # SIGKILL: no graceful shutdown
    server.start()

    second = server.invoke("What did I just say?", config)
    assert second.status_code == 200, second.text
    messages = second.json()["output"]["messages"]
    assert [m["type"] for m in messages] == ["human", "ai", "human", "ai"]
    assert "teal" in messages[-1]["content"]

    ident = identity_from_config(config, default_tenant="local")
    transcript = await resources.conversation.transcript(ident)
    assert [m.type for m in transcript] == ["human", "ai", "human", "ai"]
    assert transcript[0].text == "My favourite colour is teal."


async def test_remote_runnable_client_round_trips_messages(app, client):
    agent = remote_runnable(app)
    config = new_config()
    output = await agent.ainvoke({"messages": [("human", "hello!")]}, config=config)
    assert output["messages"][-1].type == "ai"
    assert output["route"]["strategy"] == "session_only"

    chunks = [chunk async for chunk in agent.astream({"messages": [("human", "thanks!")]}, config)]
    nodes = [node for chunk in chunks for node in chunk]
    assert nodes == SMALL_TALK

    outputs = await agent.abatch(
        [{"messages": [("human", "hi")]}, {"messages": [("human", "oi")]}],
        config=[new_config(), new_config()],
    )
    assert len(outputs) == 2 and all(o["messages"][-1].type == "ai" for o in outputs)


async def test_stream_sends_metadata_data_and_end_events(client):
    response = await client.post("/agent/stream", json=turn_body("bom dia", new_config()))
    assert response.status_code == 200
    lines = response.text.splitlines()
    events = [line[7:] for line in lines if line.startswith("event: ")]
    assert events[0] == "metadata" and events[-1] == "end" and "data" in events


@pytest.mark.parametrize(
    ("mutate", "status", "says"),
    [
        (lambda b: b["config"]["configurable"].pop("user_id"), 422, "user_id is required"),
        (lambda b: b["config"]["configurable"].pop("thread_id"), 422, "thread_id is required"),
        (lambda b: b["config"]["configurable"].update(user_id="bad id!"), 422, "user_id must"),
        (lambda b: b["config"]["configurable"].update(colour="red"), 422, "unknown keys"),
        (lambda b: b["config"]["configurable"].update(k=0), 422, "k must be at least 1"),
        (lambda b: b["input"]["messages"][0].update(content="   "), 422, "is empty"),
        (lambda b: b["input"]["messages"][0].update(content="x" * 2001), 413, "limit is 2000"),
        (lambda b: b["input"]["messages"][0].update(type="ai"), 422, "send only user"),
        (lambda b: b["input"].update(messages=[]), 422, "non-empty list"),
        (lambda b: b.update(surprise=True), 422, "surprise"),
        (lambda b: b["config"]["configurable"].update(k="five"), 422, "k"),
        (lambda b: b["config"]["configurable"].update(user_id=42), 422, "user_id must be a string"),
        (lambda b: b["config"].update(configurable=[]), 422, "config.configurable"),
        (lambda b: b["input"].update(messages="hello"), 422, "non-empty list"),
        (lambda b: b["input"]["messages"][0].update(content={"deep": [[[[1]]]]}), 422, "messages"),
        (lambda b: b["input"]["messages"][0].update(content="a\u0000b"), 422, "NUL character"),
        (lambda b: b["input"]["messages"][0].update(type="wizard"), 422, "input.messages"),
    ],
)
async def test_bad_requests_get_a_clear_4xx_and_store_nothing(client, mutate, status, says):
    body = turn_body("store me?", new_config())
    mutate(body)
    response = await client.post("/agent/invoke", json=body)
    assert response.status_code == status, response.text
    assert says in json.dumps(response.json())

    # Nothing was stored for that thread: a valid request on it starts from empty.
    cfg = body["config"].get("configurable") or {}
    user = cfg.get("user_id") if isinstance(cfg, dict) else None
    if isinstance(user, str) and cfg.get("thread_id") and "bad" not in user:
        fresh = {"configurable": {k: cfg[k] for k in ("tenant_id", "user_id", "thread_id")}}
        ok = await invoke(client, "hello!", fresh)
        assert [m["type"] for m in ok.json()["output"]["messages"]] == ["human", "ai"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"input": {"messages": [',  # truncated
        b"\xff\xfe not utf-8 \xc3\x28",  # bad unicode
        b"[" * 5000 + b"]" * 5000,  # deeply nested
        # A lone surrogate: valid JSON, not valid unicode (Postgres could not store it).
        b'{"input": {"messages": [{"type": "human", "content": "a\\ud800b"}]},'
        b' "config": {"configurable": {"user_id": "u", "thread_id": "t-surrogate"}}}',
    ],
)
async def test_malformed_bodies_get_a_problem_report_not_a_crash(client, raw):
    response = await client.post(
        "/agent/invoke", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["title"] == HTTPStatus(response.status_code).phrase
    assert problem["detail"]
    if b"ud800" in raw:
        assert "lone surrogate" in problem["detail"]


async def test_huge_bodies_are_refused_before_they_are_read(client):
    huge = b'{"input": {"messages": [{"type": "human", "content": "' + b"x" * (5 << 20) + b'"}]}}'
    response = await client.post(
        "/agent/invoke", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "limit of 4194304 bytes" in response.json()["detail"]


async def test_langserve_schema_endpoints_describe_input_output_and_config(client):
    schemas = {
        name: (await client.get(f"/agent/{name}_schema")).json()
        for name in ("input", "output", "config")
    }
    assert "messages" in schemas["input"]["properties"]
    assert {"messages", "route", "citations", "context"} <= set(schemas["output"]["properties"])
    configurable = schemas["config"]["properties"]["configurable"]
    assert configurable["required"] == ["user_id", "thread_id"]
    assert {"tenant_id", "k", "strategy", "rerank"} <= set(configurable["properties"])


async def test_another_users_thread_id_is_not_found(client):
    config = new_config()
    assert (await invoke(client, "My PIN is 8842.", config)).status_code == 200
    thief = {"configurable": {**config["configurable"], "user_id": f"u-{uuid.uuid4().hex[:6]}"}}
    response = await invoke(client, "What did I just say?", thief)
    assert response.status_code == 404
    assert "8842" not in response.text
    assert "start a new thread" in response.json()["detail"]


async def test_a_thread_id_taken_in_another_tenant_is_a_new_thread_there(client):
    # Thread ids are per tenant: the other tenant neither sees the owner's thread nor
    # learns that it exists; streaming under that id starts a thread of its own.
    thread = str(uuid.uuid4())
    owner, other = new_config(), new_config()  # two tenants, two users, one thread id
    owner["configurable"]["thread_id"] = other["configurable"]["thread_id"] = thread
    assert (await invoke(client, "My PIN is 8842.", owner)).status_code == 200
    response = await client.post("/agent/stream", json=turn_body("What is my PIN?", other))
    assert response.status_code == 200, response.text
    assert "event: end" in response.text and "event: error" not in response.text
    assert "8842" not in response.text

    async def questions(config: dict) -> list[str]:
        ids = config["configurable"]
        headers = {"X-User-Id": ids["user_id"], "X-Tenant-Id": ids["tenant_id"]}
        body = (await client.get(f"/threads/{thread}", headers=headers)).json()
        return [m["data"]["content"] for m in body["messages"] if m["type"] == "human"]

    assert await questions(owner) == ["My PIN is 8842."]
    assert await questions(other) == ["What is my PIN?"]


async def test_readyz_reports_both_stores_and_metrics_are_prometheus_text(client):
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}

    assert (await invoke(client, "hello there", new_config())).status_code == 200
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'memoria_strategy_total{strategy="session_only"}' in metrics.text
    assert "memoria_write_ack_ms_bucket" in metrics.text


async def test_deleting_a_thread_over_http_returns_a_receipt_and_only_the_owner_can(client):
    config = new_config()
    ident = identity_from_config(config, default_tenant="local")
    tenant, user, thread = ident.tenant_id, ident.user_id, ident.thread_id
    assert (await invoke(client, "My locker code is 5521.", config)).status_code == 200
    url = f"/threads/{thread}"

    in_tenant = {"x-tenant-id": tenant}
    stranger = await client.delete(url, headers={"x-user-id": "someone-else", **in_tenant})
    assert stranger.status_code == 404
    bad = await client.delete(url, headers={"x-user-id": "no spaces allowed", **in_tenant})
    assert bad.status_code == 422 and "user_id" in bad.json()["detail"]

    owner = await client.delete(url, headers={"x-user-id": user, "x-tenant-id": tenant})
    assert owner.status_code == 200, owner.text
    receipt = owner.json()
    assert receipt["scope"] == {"tenant_id": tenant, "user_id": user, "thread_id": thread}
    assert receipt["counts"]["chat_history"] == 2
    # The thread id is free again: a new conversation starts from nothing.
    again = await invoke(client, "What is my locker code?", config)
    assert again.status_code == 200
    assert [m["type"] for m in again.json()["output"]["messages"]] == ["human", "ai"]
    assert "5521" not in again.json()["output"]["messages"][-1]["content"]


async def test_forgetting_a_user_over_http_empties_their_memory(client):
    config = new_config()
    tenant, user = config["configurable"]["tenant_id"], config["configurable"]["user_id"]
    assert (await invoke(client, "I live in Braga.", config)).status_code == 200
    url = f"/users/{user}"
    first = await client.delete(url, headers={"x-tenant-id": tenant})
    assert first.status_code == 200, first.text
    assert first.json()["counts"]["chat_history"] == 2
    second = await client.delete(url, headers={"x-tenant-id": tenant})
    assert second.status_code == 200
    assert sum(second.json()["counts"].values()) == 0


@pytest.mark.process
def test_memoria_chat_streams_answers_with_strategy_and_remembers_the_thread(server):
    lines = "My bike is a blue Brompton.\nWhat did I just say?\n"
    cmd = [
        sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))",
        "chat", "--user", "rita", "--url", server.url,
    ]  # fmt: skip
    done = subprocess.run(cmd, input=lines, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    turns = done.stdout.split("memoria> ")[1:]
    assert len(turns) == 2
    assert "blue Brompton" in turns[1]
    assert "\n  [1] " in turns[1]  # its source, cited
    assert "[recent_history:" in done.stdout  # the strategy, shown with its reason


@pytest.mark.process
def test_memoria_chat_shows_a_refused_turn_and_carries_on(server):
    cmd = [
        sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))",
        "chat", "--user", "rita", "--url", server.url,
    ]  # fmt: skip
    done = subprocess.run(
        cmd, input="x" * 2100 + "\nhello\n", capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "error: 413: input.messages[0] has 2100 characters" in done.stdout
    assert sum(line.startswith("memoria> ") for line in done.stdout.splitlines()) == 1


@pytest.mark.process
def test_memoria_serve_says_where_it_serves_only_once_it_answers(service_urls):
    server = ServerProcess(service_urls)
    serve = "import sys; from cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", serve, "serve", "--port", str(server.port)]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        said = proc.stdout.readline()  # blocks until the first line (or the process ends)
        assert said.startswith(f"memoria: serving on http://127.0.0.1:{server.port}"), said
        assert httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
    finally:
        proc.kill()
        proc.wait(timeout=30)
