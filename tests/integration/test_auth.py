"""API keys and tenant isolation, against the HTTP API on a database of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from graph.resources import Resources
from storage.services import ServiceURLs
from storage.tenancy import ALL_TENANTS, tenant_connection
from tests.support import (
    api_app,
    asgi_client,
    drain,
    mint_key,
    new_config,
    own_database,
    remote_runnable,
    resources_like,
    revoke_key,
    served_api,
    turn_body,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def auth_urls(service_urls: ServiceURLs) -> ServiceURLs:
    """A database of this module's own: the keys it creates switch `auto` auth on."""
    return own_database(service_urls, "auth")


@pytest.fixture(scope="module")
async def auth_resources(auth_urls: ServiceURLs, resources: Resources) -> AsyncIterator[Resources]:
    async with resources_like(resources, database_url=auth_urls.database_url) as res:
        yield res


@pytest.fixture(scope="module")
async def app(auth_resources: Resources) -> AsyncIterator[FastAPI]:
    """The HTTP API in `auto` auth mode on the module's database (`client` calls it)."""
    async with served_api(auth_resources, memoria_auth="auto") as served:
        yield served


async def call(
    client: httpx.AsyncClient, method: str, path: str, key: str | None = None, **kwargs
) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if key:
        headers["authorization"] = f"Bearer {key}"
    return await client.request(method, path, headers=headers, **kwargs)


async def turn(
    client: httpx.AsyncClient, key: str | None, text: str, config: dict
) -> httpx.Response:
    return await call(client, "POST", "/agent/invoke", key, json=turn_body(text, config))


async def test_auto_mode_is_local_until_a_key_exists_then_keys_are_required(client, auth_resources):
    # No key yet: local mode, as `make run` serves.
    assert (await turn(client, None, "hello", new_config())).status_code == 200

    key_id, key = await mint_key(auth_resources.pool, "acme", "test")
    assert key.startswith("mk_") and key_id in key
    # The table holds a digest, never the key.
    async with tenant_connection(auth_resources.pool, ALL_TENANTS) as conn:
        rows = await (await conn.execute("SELECT * FROM api_keys")).fetchall()
    assert all(key.encode() not in bytes(r["key_hash"]) and key not in str(r) for r in rows)

    config = {"configurable": {"user_id": "ana", "thread_id": str(uuid.uuid4())}}
    deadline = time.monotonic() + 15  # the server re-checks for keys every few seconds
    while (refused := await turn(client, None, "hello again", config)).status_code == 200:
        assert time.monotonic() < deadline, "keys were never required"
        await asyncio.sleep(0.5)
    assert refused.status_code == 401
    assert "API key" in refused.json()["detail"]
    assert refused.headers["www-authenticate"] == "Bearer"

    wrong = await turn(client, "mk_0000_not-a-key", "hello", config)
    assert wrong.status_code == 401 and "unknown or revoked" in wrong.json()["detail"]

    # (The polling turns ran in local mode and own `config`'s thread: a key starts anew.)
    config = {"configurable": {"user_id": "ana", "thread_id": str(uuid.uuid4())}}
    ok = await turn(client, key, "hello with a key", config)
    assert ok.status_code == 200, ok.text
    threads = await call(client, "GET", "/threads", key, headers={"x-user-id": "ana"})
    assert [t["thread_id"] for t in threads.json()["threads"]] == [
        config["configurable"]["thread_id"]
    ]

    # Revoked: refused at once, and the server stays in key mode.
    assert await revoke_key(auth_resources.pool, key_id)
    assert (await turn(client, key, "still there?", config)).status_code == 401
    assert (await turn(client, None, "still there?", config)).status_code == 401


async def test_one_tenants_key_reaches_nothing_of_another_tenant(client, auth_resources):
    _, key_a = await mint_key(auth_resources.pool, "tenant-a")
    _, key_b = await mint_key(auth_resources.pool, "tenant-b")
    user, thread, secret = "bob", str(uuid.uuid4()), f"S3CRET-{uuid.uuid4().hex[:6]}"
    config = {"configurable": {"user_id": user, "thread_id": thread}}
    stored = await turn(client, key_b, f"My name is Bob and my vault code is {secret}.", config)
    assert stored.status_code == 200, stored.text
    # Tenant B's data exists and B can see it.
    b_thread = await call(client, "GET", f"/threads/{thread}", key_b, headers={"x-user-id": user})
    assert b_thread.status_code == 200 and secret in b_thread.text

    a = key_a
    hdr = {"x-user-id": user}
    b_tenant = {"x-tenant-id": "tenant-b"}
    attempts = [
        # Guessed thread ids, user ids and tenant overrides on every read endpoint.
        await call(client, "GET", f"/threads/{thread}", a, headers=hdr),
        await call(client, "GET", f"/threads/{thread}", a, headers={**hdr, **b_tenant}),
        await call(client, "GET", "/threads", a, headers=hdr),
        await call(client, "GET", "/threads", a, headers={**hdr, **b_tenant}),
        await call(client, "GET", f"/users/{user}/facts", a),
        await call(client, "GET", f"/users/{user}/facts", a, headers=b_tenant),
        await call(client, "GET", f"/users/{user}/strategy", a),
        await call(client, "GET", f"/users/{user}/strategy", a, headers=b_tenant),
        # Deletes.
        await call(client, "DELETE", f"/threads/{thread}", a, headers=hdr),
        await call(client, "DELETE", f"/threads/{thread}", a, headers={**hdr, **b_tenant}),
        await call(client, "DELETE", f"/users/{user}", a, headers=b_tenant),
        # Continuing B's thread, with and without naming B's tenant.
        await turn(client, a, "What is my vault code?", config),
        await turn(
            client,
            a,
            "What is my vault code?",
            {"configurable": {**config["configurable"], "tenant_id": "tenant-b"}},
        ),
    ]
    # Asking the agent, in every strategy, from A's side with B's user id.
    for strategy in ("semantic_search", "hybrid", "cross_conversation", "recent_history"):
        for question in (
            "What is my vault code?",
            "What is my name?",
            "S3CRET",
            "What do you know about me?",
        ):
            cfg = {
                "configurable": {"user_id": user, "thread_id": str(uuid.uuid4()),
                                 "strategy": strategy}
            }  # fmt: skip
            attempts.append(await turn(client, a, question, cfg))
    # Batch and stream with B's thread.
    attempts.append(
        await call(
            client,
            "POST",
            "/agent/batch",
            a,
            json={
                "inputs": [{"messages": [{"type": "human", "content": "vault code?"}]}],
                "config": config,
            },
        )  # fmt: skip
    )
    attempts.append(
        await call(
            client,
            "POST",
            "/agent/stream",
            a,
            json={
                "input": {"messages": [{"type": "human", "content": "vault code?"}]},
                "config": config,
            },
        )  # fmt: skip
    )
    # The other header form of a key, on the list and read paths.
    for path in ("/threads", f"/threads/{thread}"):
        attempts.append(await call(client, "GET", path, headers={**hdr, "x-api-key": key_a}))
    assert len(attempts) >= 30
    leaks = [r for r in attempts if secret in r.text or "Bob" in r.text]
    assert leaks == []
    server_errors = [r.status_code for r in attempts if r.status_code >= 500]
    assert server_errors == []
    # Naming another tenant is refused outright; B's thread id reads as absent for A, and
    # A "continuing" it starts a thread of A's own under that id: thread ids are per tenant,
    # so A cannot even learn that B has one.
    assert attempts[1].status_code == 403 and attempts[0].status_code == 404
    assert attempts[9].status_code == 403 and attempts[8].status_code == 404
    assert attempts[11].status_code == 200 and attempts[12].status_code == 403

    # And B's data is all still there, and B sees it: transcript, facts, decisions.
    after = await call(client, "GET", f"/threads/{thread}", key_b, headers={"x-user-id": user})
    assert after.status_code == 200 and secret in after.text
    assert [m["type"] for m in after.json()["messages"]] == ["human", "ai"]
    await drain(auth_resources)  # what a worker does after the ack: extract the facts
    facts = (await call(client, "GET", f"/users/{user}/facts", key_b)).json()
    assert [(f["attribute"], f["value"]) for f in facts["current"]] == [("name", "Bob")]
    decisions = (await call(client, "GET", f"/users/{user}/strategy", key_b)).json()["decisions"]
    assert decisions and decisions[0]["thread_id"] == thread


@pytest.mark.process
def test_keys_command_creates_lists_and_revokes(auth_urls: ServiceURLs):
    env = {
        **os.environ,
        "DATABASE_URL": auth_urls.database_url,
        "REDIS_URL": auth_urls.redis_url,
    }

    def memoria(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))", *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)

    created = memoria("keys", "create", "--tenant", "cli-tenant", "--name", "web")
    assert created.returncode == 0, created.stderr
    key = created.stdout.split()[-1]
    key_id = created.stdout.split()[1]
    assert key.startswith(f"mk_{key_id}_")
    listed = memoria("keys", "list", "--tenant", "cli-tenant")
    assert f"{key_id}  cli-tenant  active" in listed.stdout and key not in listed.stdout
    minted = memoria("keys", "token", key_id, "--user", "ana", "--ttl", "600")
    assert minted.returncode == 0, minted.stderr
    assert "for user ana of tenant cli-tenant" in minted.stdout
    assert minted.stdout.split()[-1].count(".") == 2  # a JWT
    assert memoria("keys", "token", key_id, "--user", "ana", "--ttl", "5").returncode == 2
    revoked_tokens = memoria("keys", "revoke-tokens", "--tenant", "cli-tenant", "--user", "ana")
    assert revoked_tokens.stdout.startswith("1 token(s) of user ana revoked")
    assert memoria("keys", "revoke", key_id).returncode == 0
    refused = memoria("keys", "token", key_id, "--user", "ana")
    assert refused.returncode == 2 and "no active key" in refused.stderr
    again = memoria("keys", "revoke", key_id)
    assert again.returncode == 2 and "no active key" in again.stderr


async def test_remote_runnable_works_with_a_key_and_is_refused_without(app, client, auth_resources):
    _, key = await mint_key(auth_resources.pool, "rr-tenant")
    config = {"configurable": {"user_id": "lia", "thread_id": str(uuid.uuid4())}}
    with_key = remote_runnable(app, headers={"Authorization": f"Bearer {key}"})
    output = await with_key.ainvoke({"messages": [("human", "hello")]}, config=config)
    assert output["messages"][-1].type == "ai"
    threads = (await call(client, "GET", "/threads", key, headers={"x-user-id": "lia"})).json()
    assert [t["thread_id"] for t in threads["threads"]] == [config["configurable"]["thread_id"]]

    without = remote_runnable(app)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await without.ainvoke({"messages": [("human", "hello")]}, config=config)
    assert refused.value.response.status_code == 401


async def test_metrics_and_the_api_description_want_a_key_once_keys_are_required(
    auth_resources,
):
    keyed = api_app(auth_resources, memoria_auth="api_key")
    _, key = await mint_key(auth_resources.pool, "metrics-tenant")
    paths = ["/metrics", "/docs", "/redoc", "/openapi.json"]
    async with asgi_client(keyed) as http:
        for path in paths:
            assert (await http.get(path)).status_code == 401, path
            assert (await http.get(path, headers={"X-API-Key": "mk_0_wrong"})).status_code == 401
            with_key = await http.get(path, headers={"Authorization": f"Bearer {key}"})
            assert with_key.status_code == 200, path
        spec = await http.get("/openapi.json", headers={"Authorization": f"Bearer {key}"})
        assert "/agent/invoke" in spec.json()["paths"]
    public = api_app(auth_resources, memoria_auth="api_key", memoria_public_docs=True)
    async with asgi_client(public) as http:
        for path in paths[1:]:
            assert (await http.get(path)).status_code == 200, path
        assert (await http.get("/metrics")).status_code == 401


async def test_no_response_tells_a_tenant_what_another_tenant_asked(client, auth_resources):
    # The embedding cache once keyed vectors by text alone: tenant B asking A's question
    # found A's vector (a hit in /metrics, in the turn's trace metadata, and in its speed).
    _, key_a = await mint_key(auth_resources.pool, "asker-a")
    _, key_b = await mint_key(auth_resources.pool, "asker-b")
    question = f"What is the door code of the {uuid.uuid4().hex[:8]} archive?"

    async def ask(http: httpx.AsyncClient, key: str, user: str) -> float:
        config = {"configurable": {"user_id": user, "thread_id": str(uuid.uuid4())}}
        assert (await turn(http, key, question, config)).status_code == 200
        metrics = (await call(http, "GET", "/metrics", key)).text
        for line in metrics.splitlines():
            if line.startswith('memoria_cache_lookups_total{cache="embedding",result="hit"}'):
                return float(line.split()[-1])
        return 0.0

    hits = await ask(client, key_a, "ana")
    # Another server process (its in-process tier empty) on the same Redis.
    async with (
        resources_like(auth_resources) as other,
        asgi_client(api_app(other, memoria_auth="auto")) as http,
    ):
        assert await ask(http, key_b, "bob") == hits
        assert await ask(http, key_a, "ana") == hits + 1  # A's own vector, from Redis
