"""Export on real Postgres and Redis: every store forgetting knows appears, and only the user's."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections import Counter

import pytest
from langchain_core.messages import HumanMessage

from configs.settings import REPO_ROOT
from graph.context import Context
from memory import consent
from memory.forget import COPIES, STORES
from tests.support import drain, new_config

pytestmark = pytest.mark.integration

SECRET = f"quince{uuid.uuid4().hex[:6]}"
TENANT = f"t-{uuid.uuid4().hex[:8]}"
USER = f"u-{uuid.uuid4().hex[:8]}"


async def ask(agent, config: dict, text: str, **knobs: object) -> dict:
    return await agent.ainvoke({"messages": [HumanMessage(text)]}, config, context=Context(**knobs))


@pytest.fixture(scope="module")
async def user_with_everything(agent, resources) -> str:
    """A user with a row in every store: facts, summaries, index, log, a pending job."""
    short = {"summary_max_messages": 3, "summary_keep_messages": 2}
    long_thread = new_config(TENANT, USER)
    await ask(agent, long_thread, f"My name is Bea and my gate code is {SECRET}.", **short)
    await ask(agent, long_thread, "I live in Coimbra.", **short)
    await ask(agent, new_config(TENANT, USER), "I work as a nurse.")
    await ask(agent, new_config(TENANT, USER), "Just between us.", incognito=True)
    await ask(agent, new_config(TENANT), f"My gate code is also {SECRET}, says the neighbour.")
    await drain(resources)
    await ask(agent, new_config(TENANT, USER), "What is my gate code?")  # its job stays queued
    return USER


async def test_the_export_holds_every_store_forgetting_deletes_from(
    client, resources, user_with_everything
):
    headers = {"X-Tenant-Id": TENANT}
    response = await client.get(f"/users/{user_with_everything}/export", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    head, records = lines[0], lines[1:]
    assert head["schema"] == "memoria.user-export" and head["version"] == 1
    assert head["stores"] == list(STORES) and set(head["copies"]) == set(COPIES)
    assert head["consent"] == {"memory": True, "source": "tenant"}
    per_store = Counter(r["store"] for r in records)
    assert set(per_store) == set(STORES), per_store  # a row in every one of them
    assert per_store["threads"] == 4 and per_store["checkpoints"] == 4, per_store
    assert SECRET in response.text
    facts = [r for r in records if r["store"] == "facts"]
    assert any(f["value"].get("value") == "Coimbra" for f in facts)
    incognito = [r for r in records if r["store"] == "checkpoints" and r["state"].get("incognito")]
    assert "Just between us." in json.dumps(incognito)  # its state is all that holds it
    # Nothing of the neighbour's in the same tenant.
    assert "says the neighbour" not in response.text

    # One JSON document, the same records grouped by store.
    document = await client.get(
        f"/users/{user_with_everything}/export", params={"format": "json"}, headers=headers
    )
    whole = document.json()
    assert whole["version"] == 1 and list(whole["data"]) == list(STORES)
    assert {store: len(rows) for store, rows in whole["data"].items()} == dict(per_store)

    # Forgetting names exactly these stores, and their copies, on its receipt.
    receipt = await resources.forgetter.forget_user(TENANT, user_with_everything)
    assert set(STORES) <= set(receipt.counts) <= set(STORES) | set(COPIES)
    empty = await client.get(f"/users/{user_with_everything}/export", headers=headers)
    assert [json.loads(line).get("store") for line in empty.text.splitlines()] == [None]


async def test_an_export_refuses_an_unknown_format_clearly(client):
    response = await client.get("/users/ana/export", params={"format": "xml"})
    assert response.status_code == 422 and "jsonl" in response.text


def memoria(urls, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": urls.database_url, "REDIS_URL": urls.redis_url}
    cmd = [sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.process
async def test_memoria_export_and_consent_work_from_the_command_line(
    service_urls, tmp_path, agent, resources
):
    config = new_config()
    tenant, user = config["configurable"]["tenant_id"], config["configurable"]["user_id"]
    await ask(agent, config, f"My gate code is {SECRET}.")
    out = tmp_path / "export.json"
    ids = ["--tenant", tenant, "--user", user]
    await asyncio.to_thread(
        memoria, service_urls, "export", *ids, "--format", "json", "--out", str(out)
    )
    exported = json.loads(out.read_text())
    assert exported["user_id"] == user and list(exported["data"]) == list(STORES)
    assert len(exported["data"]["chat_history"]) == 2

    off = await asyncio.to_thread(memoria, service_urls, "consent", "off", "--erase", *ids)
    said = json.loads(off.stdout)
    assert said["memory"] is False and said["erased"]["counts"]["chat_history"] == 2
    assert await consent.read(resources.pool, tenant, user) is False
