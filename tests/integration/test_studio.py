"""`langgraph dev` (the LangGraph Studio server) loads langgraph.json and runs the graph.

Without keys it runs as Studio uses it; with memoria's API keys (graph/auth.py) every
`langgraph_sdk` client acts as its key's tenant and the X-User-Id user, and sees only its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import APIStatusError
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from access.user_tokens import UserTokens
from configs.settings import REPO_ROOT, Settings
from memory import strategy_log, threads
from storage.schema import setup
from storage.services import ServiceURLs
from tests.support import (
    SMALL_TALK,
    STARTUP_TIMEOUT_S,
    free_port,
    mint_key,
    own_database,
    revoke_key,
)

pytestmark = [pytest.mark.integration, pytest.mark.process]

HELLO = {"messages": [{"type": "human", "content": "hello!"}]}
# An address LangGraph's own checks let through (it resolves nothing) and memoria is told to.
ALLOWED_WEBHOOK_HOST = "10.0.0.2"


@contextmanager
def langgraph_dev(urls: ServiceURLs, **env: str) -> Iterator[str]:
    """Run `langgraph dev` on the test services, offline; yield its URL."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COHERE_"))}
    full_env.update(
        DATABASE_URL=urls.database_url,
        REDIS_URL=urls.redis_url,
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
        LANGSMITH_TRACING="false",
        **env,
    )
    cli = [str(REPO_ROOT / ".venv" / "bin" / "langgraph"), "dev", "--no-browser", "--no-reload"]
    proc = subprocess.Popen(
        [*cli, "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert proc.poll() is None, "langgraph dev exited"
            assert time.monotonic() < deadline, "langgraph dev did not start"
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def client_for(url: str, key: str | None, user: str | None = None) -> LangGraphClient:
    """A `langgraph_sdk` client presenting `key` (as X-API-Key) and acting for `user`."""
    # api_key=None: never a LANGSMITH_API_KEY from the environment.
    return get_client(url=url, api_key=key, headers={"X-User-Id": user} if user else None)


async def stream_nodes(client: LangGraphClient, thread_id: str | None, **kwargs: Any) -> list:
    """Stream a run of memoria; return the nodes that reported updates, in order."""
    nodes = []
    async for part in client.runs.stream(
        thread_id, "memoria", input=HELLO, stream_mode="updates", **kwargs
    ):
        assert part.event != "error", part.data
        if part.event == "updates":
            nodes.extend(part.data)
    return nodes


@asynccontextmanager
async def open_pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    """A small pool as memoria's own code expects it (autocommit, dict rows)."""
    kwargs = {"autocommit": True, "row_factory": dict_row}
    async with AsyncConnectionPool(database_url, min_size=1, max_size=2, kwargs=kwargs) as pool:
        yield pool


async def test_langgraph_dev_serves_and_runs_the_graph(service_urls: ServiceURLs):
    # Local mode, as Studio runs it: no key, identity from the run config. (Off explicitly,
    # like the other test servers: a key in the shared database would switch `auto` to keys.)
    with langgraph_dev(service_urls, MEMORIA_AUTH="off") as url:
        client = client_for(url, None)
        thread = (await client.threads.create())["thread_id"]
        user = f"studio-{uuid.uuid4().hex[:6]}"
        nodes = await stream_nodes(client, thread, config={"configurable": {"user_id": user}})
        assert nodes == SMALL_TALK
        state = await client.threads.get_state(thread)
        assert state["values"]["messages"][-1]["type"] == "ai"
        assert "offline extractive mode" in state["values"]["messages"][-1]["content"].lower()
        # A Studio thread names no user: it runs as .env.studio's MEMORIA_DEV_USER.
        unnamed = (await client.threads.create())["thread_id"]
        assert await stream_nodes(client, unnamed) == SMALL_TALK
    # Its state (these messages) is this OS user's only, also as written at shutdown.
    state_dir = REPO_ROOT / ".langgraph_api"
    assert state_dir.stat().st_mode & 0o777 == 0o700
    assert {p.name: p.stat().st_mode & 0o077 for p in state_dir.iterdir()} == {
        p.name: 0 for p in state_dir.iterdir()
    }
    async with open_pool(service_urls.database_url) as pool:
        assert [str(t["thread_id"]) for t in await threads.list_threads(pool, "local", user)] == [
            thread
        ]
        studio_threads = await threads.list_threads(pool, "local", "studio", limit=500)
        assert unnamed in {str(t["thread_id"]) for t in studio_threads}


@pytest.fixture(scope="module")
def secured_urls(service_urls: ServiceURLs) -> ServiceURLs:
    """A database of this module's own, for the keys it creates."""
    return own_database(service_urls, "studio_auth")


@pytest.fixture(scope="module")
async def pool(secured_urls: ServiceURLs, settings: Settings) -> AsyncIterator[AsyncConnectionPool]:
    """A pool on that database, with memoria's tables (the server makes them on first use)."""
    async with open_pool(secured_urls.database_url) as pool:
        async with pool.connection() as conn:
            await setup(conn, dims=settings.memoria_embedding_dims)
        yield pool


@pytest.fixture(scope="module")
def secured(secured_urls: ServiceURLs) -> Iterator[str]:
    """`langgraph dev` requiring memoria's API keys, letting runs send webhooks to one host."""
    with langgraph_dev(
        secured_urls, MEMORIA_AUTH="api_key", MEMORIA_WEBHOOK_HOSTS=ALLOWED_WEBHOOK_HOST
    ) as url:
        yield url


async def new_key(pool: AsyncConnectionPool, tenant: str) -> str:
    """Create a key for `tenant` with memoria's own key code; return the key."""
    return (await mint_key(pool, tenant, "studio test"))[1]


async def test_a_key_holder_streams_a_run_and_gets_an_answer(secured: str, pool):
    tenant, user = f"acme-{uuid.uuid4().hex[:6]}", "ana"
    client = client_for(secured, await new_key(pool, tenant), user)
    thread = await client.threads.create()
    assert await stream_nodes(client, thread["thread_id"]) == SMALL_TALK
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["messages"][-1]["type"] == "ai"
    assert "offline extractive mode" in state["values"]["messages"][-1]["content"].lower()
    # The turn is stored as the key's tenant and the header's user.
    listed = await threads.list_threads(pool, tenant, user)
    assert [str(t["thread_id"]) for t in listed] == [thread["thread_id"]]


async def test_no_key_or_a_wrong_one_is_refused(secured: str, pool):
    tenant = f"acme-{uuid.uuid4().hex[:6]}"
    key = await new_key(pool, tenant)
    revoked_id, revoked = await mint_key(pool, tenant, "revoked")
    assert await revoke_key(pool, revoked_id)

    async def status(client: LangGraphClient) -> tuple[int, str]:
        with pytest.raises(APIStatusError) as refused:
            await client.threads.create()
        return refused.value.status_code, refused.value.response.text

    refusals = {
        "no key": await status(client_for(secured, None, "ana")),
        "wrong key": await status(client_for(secured, "mk_00000000_not-a-key", "ana")),
        "revoked key": await status(client_for(secured, revoked, "ana")),
        "no user": await status(client_for(secured, key)),
        "bad user": await status(client_for(secured, key, "ana; drop table")),
    }
    assert {name: code for name, (code, _) in refusals.items()} == dict.fromkeys(refusals, 401)
    assert "requires an API key" in refusals["no key"][1]
    assert "unknown or revoked" in refusals["wrong key"][1]
    assert "X-User-Id" in refusals["no user"][1] and "X-User-Id" in refusals["bad user"][1]
    # The other header form, Authorization: Bearer, is a key too.
    bearer = get_client(
        url=secured, api_key=None, headers={"Authorization": f"Bearer {key}", "X-User-Id": "ana"}
    )
    assert (await bearer.threads.create())["thread_id"]


async def outcome(attempt: Any) -> tuple[int, str]:
    """Run one attempt; return its status and everything the caller got back."""
    try:
        if hasattr(attempt, "__aiter__"):
            got: Any = [(part.event, part.data) async for part in attempt]
        else:
            got = await attempt
    except httpx.HTTPStatusError as exc:  # The SDK's APIStatusError, or httpx's from runs.wait.
        return exc.response.status_code, exc.response.text
    return 200, json.dumps(got, default=str)


async def test_one_tenants_client_reaches_nothing_of_another_tenant(secured: str, pool):
    suffix = uuid.uuid4().hex[:6]
    tenant_a, tenant_b, user = f"tenant-a-{suffix}", f"tenant-b-{suffix}", "bob"
    secret = f"S3CRET-{suffix}"
    b = client_for(secured, await new_key(pool, tenant_b), user)
    thread = (await b.threads.create())["thread_id"]
    told = {"messages": [{"type": "human", "content": f"My vault code is {secret}."}]}
    await b.runs.wait(thread, "memoria", input=told)
    assert secret in json.dumps(await b.threads.get_state(thread))

    # Tenant A, as the same user id; and tenant B's own key for another user.
    a = client_for(secured, await new_key(pool, tenant_a), user)
    b_other_user = client_for(secured, await new_key(pool, tenant_b), "mallory")
    ask = {"messages": [{"type": "human", "content": "What is my vault code?"}]}
    claim_b = {"configurable": {"tenant_id": tenant_b, "user_id": user, "thread_id": thread}}
    attempts = {}
    for name, intruder in (("a", a), ("b-other-user", b_other_user)):
        attempts |= {
            f"{name} get": intruder.threads.get(thread),
            f"{name} state": intruder.threads.get_state(thread),
            f"{name} history": intruder.threads.get_history(thread),
            f"{name} search": intruder.threads.search(limit=100),
            f"{name} search by id": intruder.threads.search(ids=[thread]),
            f"{name} search by owner": intruder.threads.search(
                metadata={"owner": f"{tenant_b}/{user}"}
            ),
            f"{name} runs": intruder.runs.list(thread),
            f"{name} stream": intruder.runs.stream(thread, "memoria", input=ask),
            f"{name} stream claiming b": intruder.runs.stream(
                thread, "memoria", input=ask, config=claim_b
            ),
            f"{name} wait": intruder.runs.wait(thread, "memoria", input=ask),
            f"{name} background run": intruder.runs.create(thread, "memoria", input=ask),
            f"{name} stateless run on b's thread": intruder.runs.wait(
                None, "memoria", input=ask, config=claim_b
            ),
            f"{name} take over": intruder.threads.update(
                thread, metadata={"owner": f"{tenant_a}/{user}"}
            ),
            f"{name} write state": intruder.threads.update_state(thread, {"messages": []}),
            f"{name} copy": intruder.threads.copy(thread),
            f"{name} recreate": intruder.threads.create(thread_id=thread, if_exists="do_nothing"),
            f"{name} delete": intruder.threads.delete(thread),
            f"{name} cron": intruder.crons.create_for_thread(
                thread, "memoria", schedule="* * * * *"
            ),
            f"{name} store": intruder.store.search_items((tenant_b,)),
            f"{name} assistant": intruder.assistants.create("memoria", config=claim_b),
        }
    results = {name: await outcome(attempt) for name, attempt in attempts.items()}

    leaks = {name: got for name, (_, got) in results.items() if secret in got}
    assert leaks == {}
    # (Refusals may repeat the thread id the intruder sent; a search must not list it.)
    searches = {name: got for name, (_, got) in results.items() if " search" in name}
    assert searches == dict.fromkeys(searches, "[]")
    server_errors = {name: code for name, (code, _) in results.items() if code >= 500}
    assert server_errors == {}
    # Reads of B's thread find nothing; writes of things memoria does not scope are refused.
    codes = {name: code for name, (code, _) in results.items()}
    assert codes["a get"] == codes["a state"] == codes["b-other-user get"] == 404
    assert codes["a recreate"] == 409
    assert codes["a cron"] == codes["a store"] == codes["a assistant"] == 403

    # And B's thread is whole, and only B's: in LangGraph and in memoria's own tables.
    state = await b.threads.get_state(thread)
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai"]
    assert secret in json.dumps(state)
    listed = await threads.list_threads(pool, tenant_b, user)
    assert [str(t["thread_id"]) for t in listed] == [thread]
    # Each intruder's stateless run ran as the intruder, on a thread of its own.
    for tenant, intruder_user in ((tenant_a, user), (tenant_b, "mallory")):
        theirs = await threads.list_threads(pool, tenant, intruder_user)
        assert len(theirs) == 1 and str(theirs[0]["thread_id"]) != thread


async def test_a_client_cannot_claim_another_tenant_through_config(secured: str, pool):
    suffix = uuid.uuid4().hex[:6]
    tenant_a, tenant_b = f"tenant-a-{suffix}", f"tenant-b-{suffix}"
    a = client_for(secured, await new_key(pool, tenant_a), "ana")
    thread = (await a.threads.create())["thread_id"]
    claim = {"configurable": {"tenant_id": tenant_b, "user_id": "bob"}}
    assert await stream_nodes(a, thread, config=claim) == SMALL_TALK

    # The turn is A's: transcript and routing decision, none of it in B under bob's name.
    assert [str(t["thread_id"]) for t in await threads.list_threads(pool, tenant_a, "ana")] == [
        thread
    ]
    decisions = await strategy_log.latest(pool, tenant_a, "ana")
    assert [str(d["thread_id"]) for d in decisions] == [thread]
    assert await threads.list_threads(pool, tenant_b, "bob") == []
    assert await strategy_log.latest(pool, tenant_b, "bob") == []


async def test_a_user_token_acts_for_its_user_only(secured: str, pool):
    tenant = f"acme-{uuid.uuid4().hex[:6]}"
    key_id, key = await mint_key(pool, tenant, "studio tokens")
    # Minted as POST /tokens does; the server verifies it with the database's secret.
    token = (await UserTokens(pool).mint(tenant, key_id, "ana", ttl_s=600)).token
    secret = f"S3CRET-{uuid.uuid4().hex[:6]}"
    bob = client_for(secured, key, "bob")
    bob_thread = (await bob.threads.create())["thread_id"]
    told = {"messages": [{"type": "human", "content": f"My vault code is {secret}."}]}
    await bob.runs.wait(bob_thread, "memoria", input=told)

    # No X-User-Id: the token names its user.
    ana = client_for(secured, token)
    thread = (await ana.threads.create())["thread_id"]
    assert await stream_nodes(ana, thread) == SMALL_TALK
    listed = await threads.list_threads(pool, tenant, "ana")
    assert [str(t["thread_id"]) for t in listed] == [thread]
    assert (await client_for(secured, token, "ana").threads.get(thread))["thread_id"] == thread

    claim_bob = {"configurable": {"user_id": "bob", "thread_id": bob_thread}}
    ask = {"messages": [{"type": "human", "content": "What is my vault code?"}]}
    as_bob = client_for(secured, token, "bob")
    results = {
        "as bob": await outcome(as_bob.threads.search(limit=100)),
        "bob's thread": await outcome(ana.threads.get(bob_thread)),
        "bob's state": await outcome(ana.threads.get_state(bob_thread)),
        "run on bob's thread": await outcome(ana.runs.wait(bob_thread, "memoria", input=ask)),
        "claim bob in config": await outcome(
            ana.runs.wait(None, "memoria", input=ask, config=claim_bob)
        ),
    }
    assert {name: got for name, (_, got) in results.items() if secret in got} == {}
    assert results["as bob"][0] == 403 and "another user" in results["as bob"][1]
    assert results["bob's thread"][0] == results["bob's state"][0] == 404
    assert results["run on bob's thread"][0] == 404
    # The stateless run ran as ana, on a thread of her own, not as bob.
    assert len(await threads.list_threads(pool, tenant, "ana")) == 2
    assert [str(t["thread_id"]) for t in await threads.list_threads(pool, tenant, "bob")] == [
        bob_thread
    ]

    # Expired and revoked tokens are refused.
    tokens = UserTokens(pool)
    expired = (await tokens.mint(tenant, key_id, "ana", ttl_s=-3600)).token
    revoked = await tokens.mint(tenant, key_id, "ana", ttl_s=600)
    assert await tokens.revoke(tenant, revoked.token_id)
    for name, credential, says in (
        ("expired", expired, "expired"),
        ("revoked", revoked.token, "revoked"),
        ("tampered", token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), "not valid"),
    ):
        with pytest.raises(APIStatusError) as refused:
            await client_for(secured, credential).threads.create()
        assert refused.value.status_code == 401, name
        assert says in refused.value.response.text, name


async def test_runs_may_send_webhooks_only_to_the_allowed_hosts(secured: str, pool):
    client = client_for(secured, await new_key(pool, f"hooks-{uuid.uuid4().hex[:6]}"), "ana")
    thread = (await client.threads.create())["thread_id"]
    # (LangGraph itself refuses cloud metadata addresses and names it cannot resolve, 422,
    # but lets private networks through.)
    for webhook in ("http://10.0.0.1/x", "http://192.168.1.1/hook", "http://172.16.0.9:8080/"):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await client.runs.create(thread, "memoria", input=HELLO, webhook=webhook)
        assert refused.value.response.status_code == 403, webhook
        assert "MEMORIA_WEBHOOK_HOSTS" in refused.value.response.text
        # Stateless runs too.
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await client.runs.wait(None, "memoria", input=HELLO, webhook=webhook)
        assert refused.value.response.status_code == 403, webhook
    # The host the operator allows is accepted (whether it answers is the run's business).
    run = await client.runs.create(
        thread, "memoria", input=HELLO, webhook=f"http://{ALLOWED_WEBHOOK_HOST}/hook"
    )
    assert run["run_id"]
    # And runs without a webhook are untouched.
    assert await stream_nodes(client, thread, multitask_strategy="enqueue") == SMALL_TALK


async def test_local_mode_refuses_webhooks_too(service_urls: ServiceURLs):
    with langgraph_dev(service_urls, MEMORIA_AUTH="off") as url:
        client = client_for(url, None)
        thread = (await client.threads.create())["thread_id"]
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await client.runs.create(thread, "memoria", input=HELLO, webhook="http://10.0.0.1/x")
        assert refused.value.response.status_code == 403


async def test_the_store_api_shows_a_user_their_own_facts_only(secured: str, pool):
    tenant = f"acme-{uuid.uuid4().hex[:6]}"
    key = await new_key(pool, tenant)
    ana, mine = client_for(secured, key, "ana"), ("memories", "ana")
    await ana.store.put_item(mine, "home", {"text": "I live in Porto", "value": "Porto"})
    porto = await ana.store.get_item(mine, "home")
    assert (porto["value"]["text"], porto["value"]["current"]) == ("I live in Porto", True)
    found = await ana.store.search_items(mine, query="where do I live?")
    assert [item["key"] for item in found["items"]] == ["home"]
    assert found["items"][0]["score"] > 0

    # A put to a current fact corrects it; the old version stays, superseded.
    await ana.store.put_item(mine, "home", {"text": "I live in Lisbon", "value": "Lisbon"})
    old = (await ana.store.get_item(mine, "home"))["value"]
    assert old["current"] is False and old["superseded_by"]
    current = await ana.store.search_items(mine, filter={"current": True})
    assert [i["value"]["value"] for i in current["items"]] == ["Lisbon"]
    assert len((await ana.store.search_items(mine))["items"]) == 2
    # They are memoria's facts, in its facts table, under the key's tenant.
    async with pool.connection() as conn:
        stored = await conn.execute(
            "SELECT count(*) AS n FROM store WHERE prefix = %s", (f"facts.{tenant}.ana",)
        )
        assert (await stored.fetchone())["n"] == 2

    # Another user of the tenant, another tenant's same-named user: nothing of ana's.
    mallory = client_for(secured, key, "mallory")
    namesake = client_for(secured, await new_key(pool, f"other-{tenant}"), "ana")
    refusals = {
        "get": mallory.store.get_item(mine, "home"),
        "search": mallory.store.search_items(mine, query="where does ana live?"),
        "put": mallory.store.put_item(mine, "home", {"text": "I live in Faro"}),
        "delete": mallory.store.delete_item(mine, "home"),
        "other namespace": mallory.store.search_items(("facts", tenant, "ana")),
    }
    assert {name: (await outcome(call))[0] for name, call in refusals.items()} == dict.fromkeys(
        refusals, 403
    )
    assert (await mallory.store.search_items(("memories", "mallory")))["items"] == []
    assert await namesake.store.get_item(mine, "home") is None
    assert (await namesake.store.search_items(mine, query="Lisbon"))["items"] == []
    bad = await outcome(ana.store.put_item(mine, "note", {"txt": "no text"}))
    assert bad[0] == 422 and "text" in bad[1]

    await ana.store.delete_item(mine, (current["items"][0]["key"]))
    assert (await ana.store.search_items(mine))["items"] == []
    assert await ana.store.get_item(mine, "home") is None
