"""Every route, by every caller who is not the owner: nothing leaks, nothing changes, no 5xx.

The routes come from the app's own OpenAPI document, so a route added later is attacked too.
Each one is called with the victim's ids (thread, user, document, ingestion job) in its path
and body, by each identity in `intruders`, with and without naming the victim's tenant.
Afterwards the victim's transcript, document, job and facts must be as they were.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from graph.resources import Resources
from storage.services import ServiceURLs
from tests.support import (
    BASE_URL,
    drain,
    mint_key,
    own_database,
    resources_like,
    served_api,
    turn_body,
)

pytestmark = pytest.mark.integration

logger = logging.getLogger(__name__)

VICTIM_TENANT, VICTIM_USER = "victim-co", "vera"
SECRET = f"VAULT-{uuid.uuid4().hex[:8]}"
DOC_SECRET = f"BADGE-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
async def attack_resources(
    service_urls: ServiceURLs, resources: Resources
) -> AsyncIterator[Resources]:
    """Resources on a database of this module's own: its keys switch `auto` auth on."""
    own = own_database(service_urls, "attack")
    async with resources_like(resources, database_url=own.database_url) as res:
        yield res


@pytest.fixture(scope="module")
async def app(attack_resources: Resources) -> AsyncIterator[FastAPI]:
    async with served_api(attack_resources, memoria_auth="auto") as served:
        yield served


@pytest.fixture(scope="module")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets a 500 for an error the app raises, as a remote client would."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as http:
        yield http


@dataclass
class Victim:
    key: str
    thread_id: str
    doc_id: str
    job_id: str
    token: str
    token_id: str
    memory_id: str
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"authorization": f"Bearer {self.key}", "x-user-id": VICTIM_USER}


async def follow(client: httpx.AsyncClient, headers: dict, accepted: httpx.Response) -> dict:
    deadline = time.monotonic() + 120
    while (job := (await client.get(accepted.json()["status_url"], headers=headers)).json())[
        "status"
    ] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)
    return job


async def what_the_victim_has(client: httpx.AsyncClient, victim: Victim) -> dict[str, Any]:
    """The victim's thread, documents, job and facts, as the victim reads them."""
    h = victim.headers
    thread = (await client.get(f"/threads/{victim.thread_id}", headers=h)).json()
    docs = (await client.get("/documents", headers=h)).json()["documents"]
    job = (await client.get(f"/documents/jobs/{victim.job_id}", headers=h)).json()
    facts = (await client.get(f"/users/{VICTIM_USER}/facts", headers=h)).json()["current"]
    consent = (await client.get(f"/users/{VICTIM_USER}/consent", headers=h)).json()
    return {
        "consent": consent,
        "messages": [(m["type"], m["data"]["content"]) for m in thread["messages"]],
        "documents": sorted(d["doc_id"] for d in docs),
        "job": job["status"],
        "facts": sorted((f["attribute"], f["value"]) for f in facts),
        "token works": (
            await client.get("/threads", headers={"authorization": f"Bearer {victim.token}"})
        ).status_code
        == 200,
    }


async def mint(client: httpx.AsyncClient, key: str, user_id: str) -> dict[str, Any]:
    minted = await client.post(
        "/tokens", json={"user_id": user_id}, headers={"authorization": f"Bearer {key}"}
    )
    assert minted.status_code == 201, minted.text
    return minted.json()


@pytest.fixture(scope="module")
async def victim(client: httpx.AsyncClient, attack_resources: Resources) -> Victim:
    _, key = await mint_key(attack_resources.pool, VICTIM_TENANT, "victim")
    deadline = time.monotonic() + 15  # the server re-checks for keys every few seconds
    while (await client.get("/threads", headers={"x-user-id": "x"})).status_code != 401:
        assert time.monotonic() < deadline, "keys were never required"
        await asyncio.sleep(0.2)
    headers = {"authorization": f"Bearer {key}", "x-user-id": VICTIM_USER}
    thread_id = str(uuid.uuid4())
    config = {"configurable": {"user_id": VICTIM_USER, "thread_id": thread_id}}
    told = await client.post(
        "/agent/invoke",
        json=turn_body(f"I'm Vera and my vault code is {SECRET}.", config),
        headers=headers,
    )
    assert told.status_code == 200, told.text
    page = f"# Badges\n\nThe staff badge code is {DOC_SECRET}.\n".encode()
    accepted = await client.post(
        "/documents", files={"file": ("badges.md", page, "text/markdown")}, headers=headers
    )
    assert accepted.status_code == 202, accepted.text
    job = await follow(client, headers, accepted)
    assert job["status"] == "done", job
    await drain(attack_resources)  # the facts of the turn
    docs = (await client.get("/documents", headers=headers)).json()["documents"]
    facts = (await client.get(f"/users/{VICTIM_USER}/memories", headers=headers)).json()
    token = await mint(client, key, VICTIM_USER)
    return Victim(
        key=key,
        thread_id=thread_id,
        doc_id=docs[0]["doc_id"],
        job_id=job["id"],
        token=token["token"],
        token_id=token["token_id"],
        memory_id=facts["memories"][0]["id"],
    )


async def intruders(
    client: httpx.AsyncClient, resources: Resources, victim: Victim
) -> dict[str, dict[str, str]]:
    """Every way in that is not the victim's: name -> headers."""
    _, other_key = await mint_key(resources.pool, "intruder-co", "intruder")
    bearer = {"authorization": f"Bearer {other_key}", "x-user-id": VICTIM_USER}
    colleague = {"authorization": f"Bearer {(await mint(client, victim.key, 'mallory'))['token']}"}
    namesake = {"authorization": f"Bearer {(await mint(client, other_key, VICTIM_USER))['token']}"}
    return {
        "a user token of another user of the tenant": colleague,
        "a user token of another user of the tenant, naming the victim": {
            **colleague,
            "x-user-id": VICTIM_USER,
        },
        "another tenant's user token for a user of the same name": namesake,
        "another tenant's user token naming the victim's tenant": {
            **namesake,
            "x-tenant-id": VICTIM_TENANT,
        },
        "no credentials": {"x-user-id": VICTIM_USER},
        "a forged key": {"authorization": "Bearer mk_0000_forged", "x-user-id": VICTIM_USER},
        "a key in the wrong header": {"x-api-key": "Bearer mk_0000_forged"},
        "another tenant's key": bearer,
        "another tenant's key naming the victim's tenant": {
            **bearer,
            "x-tenant-id": VICTIM_TENANT,
        },
    }


def requests_for(path: str, method: str, victim: Victim) -> list[dict[str, Any]]:
    """The requests that aim `method path` at the victim's data."""
    url = (
        path.replace("{thread_id}", victim.thread_id)
        .replace("{user_id}", VICTIM_USER)
        .replace("{doc_id}", victim.doc_id)
        .replace("{job_id}", victim.job_id)
        .replace("{token_id}", victim.token_id)
        .replace("{memory_id}", victim.memory_id)
    )
    if path.endswith("/memories/search"):  # the victim's secrets, by meaning and by words
        queries = ("What is my vault code?", SECRET, "What is the staff badge code?")
        kinds = ["fact", "message", "document"]
        return [
            {"method": method, "url": url, "json": {"query": q, "kinds": kinds}} for q in queries
        ]
    if path.endswith("/memories") and method == "post":  # write into the victim's memory
        said = [{"role": "user", "content": "My vault code is 0000."}]
        return [
            {"method": method, "url": url, "json": {"text": "My name is Mallory."}},
            {"method": method, "url": url, "json": {"messages": said}},
            {
                "method": method,
                "url": url,
                "json": {"messages": said, "thread_id": victim.thread_id},
            },
        ]
    if path.endswith("/{memory_id}") and method == "put":  # correct the victim's fact
        return [{"method": method, "url": url, "json": {"text": "My name is Mallory."}}]
    if method not in ("post", "put"):
        return [{"method": method, "url": url}]
    if path == "/documents":  # replace the victim's document with one of the intruder's
        page = b"# Badges\n\nThe staff badge code is 0000.\n"
        return [{"method": method, "url": url, "files": {"file": ("badges.md", page)}}]
    if path == "/tokens":  # a token to act as the victim
        return [{"method": method, "url": url, "json": {"user_id": VICTIM_USER}}]
    if path.endswith("/consent"):  # turn the victim's memory off and erase it
        return [{"method": method, "url": url, "json": {"memory": False, "erase": True}}]
    configs = [
        {"user_id": VICTIM_USER, "thread_id": victim.thread_id},
        {"user_id": VICTIM_USER, "thread_id": victim.thread_id, "tenant_id": VICTIM_TENANT},
        {"user_id": VICTIM_USER, "thread_id": str(uuid.uuid4()), "tenant_id": VICTIM_TENANT},
    ]
    bodies = []
    for configurable in configs:
        for question in ("What is my vault code?", "What is the staff badge code?"):
            config = {"configurable": configurable}
            if path.endswith("/batch"):
                one = turn_body(question, config)
                bodies.append({"inputs": [one["input"]], "config": config})
            else:
                bodies.append(turn_body(question, config))
    return [{"method": method, "url": url, "json": body} for body in bodies]


async def test_no_route_gives_an_intruder_anything_of_the_victim(
    app, client, attack_resources, victim
):
    before = await what_the_victim_has(client, victim)
    assert SECRET in str(before["messages"]) and before["documents"] == [victim.doc_id]
    assert before["token works"]

    attempts, attacked, leaks, server_errors = 0, set(), [], []
    for who, headers in (await intruders(client, attack_resources, victim)).items():
        for path, operations in app.openapi()["paths"].items():
            for method in operations:
                for request in requests_for(path, method, victim):
                    response = await client.request(headers=headers, **request)
                    attempts += 1
                    attacked.add((method, path))
                    seen = f"{who}: {method.upper()} {request['url']} -> {response.status_code}"
                    if SECRET in response.text or DOC_SECRET in response.text:
                        leaks.append(seen)
                    if (
                        path == "/tokens"
                        and response.is_success
                        and response.json()["tenant_id"] == VICTIM_TENANT
                    ):  # a token to act as the victim
                        leaks.append(seen)
                    if response.status_code >= 500:
                        server_errors.append(f"{seen} {response.text[:200]}")

    await drain(attack_resources)
    after = await what_the_victim_has(client, victim)
    logger.info("%d attempts, %d leaks, %d 5xx", attempts, len(leaks), len(server_errors))
    assert {
        ("post", "/agent/invoke"),
        ("post", "/agent/batch"),
        ("post", "/agent/stream"),
        ("post", "/agent/stream_log"),
        ("post", "/agent/stream_events"),
        ("get", "/threads/{thread_id}"),
        ("delete", "/threads/{thread_id}"),
        ("get", "/users/{user_id}/facts"),
        ("delete", "/users/{user_id}"),
        ("get", "/users/{user_id}/consent"),
        ("put", "/users/{user_id}/consent"),
        ("get", "/users/{user_id}/export"),
        ("post", "/documents"),
        ("delete", "/documents/{doc_id}"),
        ("get", "/documents/jobs/{job_id}"),
        ("post", "/tokens"),
        ("delete", "/tokens/{token_id}"),
        ("delete", "/users/{user_id}/tokens"),
        ("post", "/users/{user_id}/memories"),
        ("get", "/users/{user_id}/memories"),
        ("post", "/users/{user_id}/memories/search"),
        ("get", "/users/{user_id}/memories/{memory_id}"),
        ("put", "/users/{user_id}/memories/{memory_id}"),
        ("delete", "/users/{user_id}/memories/{memory_id}"),
        ("get", "/users/{user_id}/memories/{memory_id}/history"),
    } <= attacked
    assert leaks == []
    assert server_errors == []
    assert after == before
