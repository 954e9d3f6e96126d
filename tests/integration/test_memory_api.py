"""The memory API (`/users/{user_id}/memories`) through the SDK and the LangChain retriever.

On a database of this module's own with keys required, against the real services: the round
trip a mem0 user makes (add, search, correct, history, delete), conversations learnt from,
and what another user or tenant gets.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from mcp import Client as McpClient
from mcp import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from configs.settings import REPO_ROOT
from graph.resources import Resources
from memoria import AsyncClient, Client, MemoriaError
from memoria.retriever import MemoriaRetriever
from storage.services import ServiceURLs
from tests.support import (
    BASE_URL,
    drain,
    mint_key,
    own_database,
    resources_like,
    served_api,
    socket_server,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def memory_resources(
    service_urls: ServiceURLs, resources: Resources
) -> AsyncIterator[Resources]:
    own = own_database(service_urls, "memapi")
    async with resources_like(resources, database_url=own.database_url) as res:
        yield res


@pytest.fixture(scope="module")
async def app(memory_resources: Resources) -> AsyncIterator[FastAPI]:
    async with served_api(memory_resources, memoria_auth="api_key") as served:
        yield served


def sdk(app: FastAPI, credential: str, user: str | None = None) -> AsyncClient:
    """The SDK's async client, talking to `app` in this process."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    return AsyncClient(api_key=credential, user_id=user, http=http)


async def token(app: FastAPI, key: str, user: str) -> str:
    async with sdk(app, key) as client:
        minted = await client._http.post("/tokens", json={"user_id": user})
    assert minted.status_code == 201, minted.text
    return minted.json()["token"]


async def test_sdk_round_trip_add_search_correct_history_delete(app, memory_resources):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    _, key = await mint_key(memory_resources.pool, tenant, "memory api")
    ana = f"ana-{uuid.uuid4().hex[:6]}"
    async with sdk(app, await token(app, key, ana)) as memory:  # a user token: no user_id
        added = await memory.add("I live in Porto")
        assert added.status == "stored"
        [porto] = added.memories
        assert (porto.attribute, porto.value, porto.current) == ("home", "Porto", True)

        found = await memory.search("where do I live?", kinds=["fact"])
        assert found[0].id == porto.id and found[0].kind == "fact"
        assert found[0].score == found[0].scores["fused"] and "vector" in found[0].scores
        assert found[0].provenance["attribute"] == "home"

        lisbon = await memory.update(porto.id, "I live in Lisbon", value="Lisbon")
        assert (lisbon.current, lisbon.supersedes, lisbon.value) == (True, porto.id, "Lisbon")
        versions = await memory.history(lisbon.id)
        assert [(v.value, v.current) for v in versions] == [("Porto", False), ("Lisbon", True)]
        assert versions[0].superseded_by == lisbon.id and versions[0].valid_to
        assert [m.id for m in await memory.list()] == [lisbon.id]
        assert [h.text for h in await memory.search("where do I live?", kinds=["fact"])] == [
            "I live in Lisbon"
        ]
        with pytest.raises(MemoriaError) as closed:
            await memory.update(porto.id, "I live in Faro")
        assert closed.value.status == 409 and lisbon.id in closed.value.detail

        # Nobody else reaches it: another user of the tenant, another tenant's key.
        async with sdk(app, await token(app, key, "mallory")) as colleague:
            with pytest.raises(MemoriaError) as refused:
                await colleague.get(lisbon.id, user_id=ana)
            assert refused.value.status == 403
            with pytest.raises(MemoriaError) as missing:
                await colleague.get(lisbon.id)
            assert missing.value.status == 404
            assert await colleague.search("where do I live?") == []
        _, other_key = await mint_key(memory_resources.pool, f"other-{tenant}", "other")
        async with sdk(app, other_key, ana) as namesake:
            for attempt in (namesake.get, namesake.delete, namesake.history):
                with pytest.raises(MemoriaError) as missing:
                    await attempt(lisbon.id)
                assert missing.value.status == 404
            assert await namesake.search("where do I live?") == []
        assert (await memory.get(lisbon.id)).current

        receipt = await memory.delete(lisbon.id)
        assert receipt.counts == {"facts": 2} and receipt.scope["user_id"] == ana
        assert await memory.list(include_history=True) == []
        assert await memory.search("where do I live?", kinds=["fact"]) == []
        with pytest.raises(MemoriaError) as gone:
            await memory.get(porto.id)
        assert gone.value.status == 404


async def test_a_conversation_added_is_learnt_from_and_searched_by_thread_and_time(
    app, memory_resources
):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    _, key = await mint_key(memory_resources.pool, tenant, "memory api")
    async with sdk(app, key, "bea") as memory:  # a tenant key names the user
        thread = str(uuid.uuid4())
        added = await memory.add(
            messages=[
                {"role": "user", "content": "My dog is called Rex and he loves the beach."},
                {"role": "assistant", "content": "Rex sounds like fun!"},
            ],
            thread_id=thread,
        )
        assert (added.status, added.thread_id, len(added.message_ids)) == ("queued", thread, 2)
        await memory.add(messages=[{"role": "user", "content": "Rex hates the rain."}])
        await drain(memory_resources)

        found = await memory.search("what is my dog called?", kinds=["message"], thread_id=thread)
        assert found and {r.provenance["thread_id"] for r in found} == {thread}
        assert "Rex" in found[0].text and found[0].provenance["role"] == "human"
        later = datetime.now(UTC) + timedelta(minutes=1)
        assert await memory.search("Rex", kinds=["message"], after=later) == []
        facts = await memory.list()
        assert any("Rex" in f.value for f in facts), facts

        with pytest.raises(MemoriaError) as both:
            await memory.add("I like tea", messages=[{"role": "user", "content": "hi"}])
        assert both.value.status == 422 and "not both" in both.value.detail
        with pytest.raises(MemoriaError) as nul:
            await memory.add("I like \x00 tea")
        assert nul.value.status == 422 and "NUL" in nul.value.detail
        async with sdk(app, key, "carl") as other:  # bea's thread is not carl's to write in
            with pytest.raises(MemoriaError) as taken:
                await other.add(messages=[{"role": "user", "content": "hi"}], thread_id=thread)
            assert taken.value.status == 404
        assert len(await memory.list()) == len(facts)


async def test_sync_client_and_langchain_retriever(app, memory_resources):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    _, key = await mint_key(memory_resources.pool, tenant, "memory api")

    def use_it(url: str) -> list:
        with Client(url, api_key=key, user_id="dora") as memory:
            memory.add("I work as a nurse")
            retriever = MemoriaRetriever(client=memory, k=3, kinds=("fact",))
            return retriever.invoke("what is my job?")

    async with socket_server(app) as url:
        docs = await asyncio.to_thread(use_it, url)
    assert "nurse" in docs[0].page_content
    meta = docs[0].metadata
    assert meta["kind"] == "fact" and meta["attribute"] == "job" and meta["score"] > 0
    async with sdk(app, key, "dora") as memory:
        retriever = MemoriaRetriever(async_client=memory, kinds=("fact",))
        assert [d.id for d in await retriever.ainvoke("my job")] == [docs[0].id]


# --- MCP: the same memory, for assistants -----------------------------------------------------

MCP_TOOLS = {"search_memory", "remember", "correct_fact", "forget_fact", "search_knowledge_base"}


def mcp_over_http(url: str, headers: dict[str, str]) -> McpClient:
    return McpClient(
        streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers))
    )


def structured(result) -> object:
    assert not result.is_error, result.content
    return (
        result.structured_content["result"]
        if "result" in result.structured_content
        else result.structured_content
    )


async def test_mcp_over_http_acts_for_the_credential_s_user_only(app, memory_resources):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    _, key = await mint_key(memory_resources.pool, tenant, "mcp")
    _, other_key = await mint_key(memory_resources.pool, f"other-{tenant}", "mcp")
    owner = {"authorization": f"Bearer {key}", "x-user-id": "eva"}
    async with socket_server(app) as url:
        async with mcp_over_http(url, owner) as mcp:
            assert {tool.name for tool in (await mcp.list_tools()).tools} == MCP_TOOLS
            [braga] = structured(await mcp.call_tool("remember", {"fact": "I live in Braga"}))
            found = structured(await mcp.call_tool("search_memory", {"query": "where do I live?"}))
            assert found[0]["id"] == braga["id"] and "Braga" in found[0]["text"]
        # Another tenant's key naming the same user finds nothing of hers, and cannot edit it.
        namesake = {"authorization": f"Bearer {other_key}", "x-user-id": "eva"}
        async with mcp_over_http(url, namesake) as mcp:
            assert structured(await mcp.call_tool("search_memory", {"query": "Braga"})) == []
            refused = await mcp.call_tool("forget_fact", {"memory_id": braga["id"]})
            assert refused.is_error and "not found" in refused.content[0].text
        async with httpx.AsyncClient() as http:
            hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            anonymous = await http.post(f"{url}/mcp", json=hello, headers={"x-user-id": "eva"})
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        async with mcp_over_http(url, owner) as mcp:
            lisbon = structured(
                await mcp.call_tool(
                    "correct_fact", {"memory_id": braga["id"], "text": "I live in Lisbon"}
                )
            )
            assert lisbon["supersedes"] == braga["id"]
            receipt = structured(await mcp.call_tool("forget_fact", {"memory_id": lisbon["id"]}))
            assert receipt["counts"] == {"facts": 2}
            assert structured(await mcp.call_tool("search_memory", {"query": "Braga"})) == []
        # With her memory switched off, remember keeps nothing and says so.
        async with httpx.AsyncClient(base_url=url, headers=owner) as http:
            off = await http.put("/users/eva/consent", json={"memory": False})
            assert off.status_code == 200, off.text
        async with mcp_over_http(url, owner) as mcp:
            refused = await mcp.call_tool("remember", {"fact": "I live in Faro"})
            assert refused.is_error and "memory is off" in refused.content[0].text
            assert structured(await mcp.call_tool("search_memory", {"query": "Faro"})) == []


@pytest.mark.process
async def test_memoria_mcp_over_stdio_remembers_and_finds(service_urls: ServiceURLs):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:6]}"
    env = {
        "DATABASE_URL": service_urls.database_url,
        "REDIS_URL": service_urls.redis_url,
        "MEMORIA_AUTH": "off",
        "MEMORIA_WORKER": "off",
        "LANGSMITH_TRACING": "false",
        "OPENAI_API_KEY": "",
        "HF_HUB_OFFLINE": "1",
    }
    command = StdioServerParameters(
        # `memoria mcp`, run from the checkout under test (as ServerProcess runs the server).
        command=sys.executable,
        args=[
            "-c",
            "import sys, cli; sys.exit(cli.main())",
            "mcp",
            "--user",
            user,
            "--tenant",
            tenant,
        ],
        env=env,
        cwd=REPO_ROOT,
    )
    async with McpClient(command, read_timeout_seconds=120) as mcp:
        assert {tool.name for tool in (await mcp.list_tools()).tools} == MCP_TOOLS
        structured(await mcp.call_tool("remember", {"fact": "My favourite colour is teal"}))
        found = structured(await mcp.call_tool("search_memory", {"query": "favourite colour"}))
        assert "teal" in found[0]["text"]
