"""What a message may carry: only what a client may set, each string checked, before any write."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from graph.resources import Resources
from storage.identity import identity_from_config
from tests.support import drain, new_config

pytestmark = pytest.mark.integration


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


async def post(client: httpx.AsyncClient, path: str, body: object) -> httpx.Response:
    # json.dumps escapes lone surrogates (\ud800): valid JSON, not valid unicode.
    raw = json.dumps(body).encode()
    return await client.post(path, content=raw, headers={"content-type": "application/json"})


async def rows_for(resources: Resources, config: dict) -> dict[str, int]:
    """Rows any store holds for the config's thread: a refused turn must leave none."""
    ident = identity_from_config(config, default_tenant="local")
    queries = {
        "threads": ("SELECT count(*) FROM threads WHERE tenant_id = %s AND thread_id = %s",
                    (ident.tenant_id, ident.thread_id)),
        "chat_history": ("SELECT count(*) FROM chat_history WHERE session_id = %s::uuid",
                         (ident.session_id,)),
        "checkpoints": ("SELECT count(*) FROM checkpoints WHERE thread_id = %s",
                        (ident.session_id,)),
        "memory_outbox": ("SELECT count(*) FROM memory_outbox WHERE tenant_id = %s"
                          " AND thread_id = %s", (ident.tenant_id, ident.thread_id)),
        "strategy_log": ("SELECT count(*) FROM strategy_log WHERE tenant_id = %s"
                         " AND thread_id = %s", (ident.tenant_id, ident.thread_id)),
    }  # fmt: skip
    async with resources.storage.owner_connection() as conn:
        return {
            table: list((await (await conn.execute(sql, params)).fetchone()).values())[0]
            for table, (sql, params) in queries.items()
        }


NOTHING = dict.fromkeys(["threads", "chat_history", "checkpoints", "memory_outbox",
                         "strategy_log"], 0)  # fmt: skip
LAST_YEAR = (datetime.now(UTC) - timedelta(days=365)).isoformat()

# Each is merged into a valid message; the detail must name what to fix.
BAD_MESSAGES = {
    "nul-in-id": ({"id": "a\x00b"}, "id"),
    "surrogate-in-id": ({"id": "a\ud800b"}, "id"),
    "id-with-spaces": ({"id": "my message"}, "id"),
    "id-too-long": ({"id": "m" * 129}, "id"),
    "id-not-a-string": ({"id": 42}, "id"),
    "nul-in-name": ({"name": "ana\x00"}, "name"),
    "surrogate-in-name": ({"name": "\udfffana"}, "name"),
    "control-in-name": ({"name": "ana\x1b[31m"}, "name"),
    "name-too-long": ({"name": "n" * 129}, "name"),
    "nul-in-extra-key": ({"extra": "a\x00b"}, "'extra'"),
    "surrogate-in-extra-key": ({"extra": "\ud800"}, "'extra'"),
    "created-at-not-a-date": ({"created_at": "not-a-date"}, "'created_at'"),
    "created-at-backdated": ({"created_at": LAST_YEAR}, "'created_at'"),
    "created-at-in-additional-kwargs": (
        {"additional_kwargs": {"created_at": LAST_YEAR}}, "additional_kwargs"),
    "provenance-in-additional-kwargs": (
        {"additional_kwargs": {"memoria_metadata": {"speaker": "x"}}}, "additional_kwargs"),
    "response-metadata": ({"response_metadata": {"model_name": "gpt"}}, "response_metadata"),
    "nesting-300-deep-in-an-extra-key": ({"extra": nested(300)}, "nests"),
    "nesting-20-deep-in-an-extra-key": ({"extra": nested(20)}, "'extra'"),
    "role-instead-of-type": ({"role": "user"}, "'role'"),
    "content-blocks": ({"content": [{"type": "text", "text": "hi"}]}, "content"),
    "tool-calls": ({"tool_calls": [{"name": "remember", "args": {}, "id": "c1"}]},
                   "'tool_calls'"),
}  # fmt: skip


@pytest.mark.parametrize(("extra", "says"), BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
async def test_a_bad_message_field_is_refused_before_anything_is_stored(
    client, resources, extra, says
):
    config = new_config()
    message = {"type": "human", "content": "My locker is 42.", **extra}
    response = await post(client, "/agent/invoke", {"input": {"messages": [message]},
                                                     "config": config})  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.json()["detail"]
    assert await rows_for(resources, config) == NOTHING


async def test_a_message_id_repeated_in_one_request_is_refused(client, resources):
    config = new_config()
    twice = [{"type": "human", "content": t, "id": "m-1"} for t in ("one", "two")]
    response = await post(client, "/agent/invoke", {"input": {"messages": twice},
                                                     "config": config})  # fmt: skip
    assert response.status_code == 422, response.text
    assert "repeats input.messages[0].id" in response.json()["detail"]
    assert await rows_for(resources, config) == NOTHING


async def test_a_bad_later_batch_input_stores_nothing_for_the_earlier_ones(client, resources):
    configs = [new_config(), new_config()]
    inputs = [
        {"messages": [{"type": "human", "content": "Remember the milk."}]},
        {"messages": [{"type": "human", "content": "hi", "created_at": LAST_YEAR}]},
    ]
    response = await post(client, "/agent/batch", {"inputs": inputs, "config": configs})
    assert response.status_code == 422, response.text
    assert "created_at" in response.json()["detail"]
    for config in configs:
        assert await rows_for(resources, config) == NOTHING


async def test_what_a_client_may_set_is_kept_and_the_time_is_the_servers(client, resources):
    config = new_config()
    # As LangServe's client serialises a message: empty extras, a null name or id.
    sent = {
        "type": "human",
        "content": "Ana here: I moved to Braga.",
        "id": f"msg-{uuid.uuid4().hex[:8]}",
        "name": "Ana Sousa",
        "additional_kwargs": {},
        "response_metadata": {},
    }
    before = datetime.now(UTC)
    response = await post(client, "/agent/invoke", {"input": {"messages": [sent]},
                                                     "config": config})  # fmt: skip
    assert response.status_code == 200, response.text
    first = response.json()["output"]["messages"][0]
    assert (first["id"], first["name"], first["content"]) == (sent["id"], "Ana Sousa",
                                                              sent["content"])  # fmt: skip
    await drain(resources)
    ident = identity_from_config(config, default_tenant="local")
    async with resources.storage.owner_connection() as conn:
        row = await (await conn.execute(
            "SELECT created_at, langchain_metadata FROM memory_messages"
            " WHERE tenant_id = %s AND thread_id = %s AND role = 'human'",
            (ident.tenant_id, ident.thread_id),
        )).fetchone()  # fmt: skip
    assert row["created_at"] >= before - timedelta(seconds=1)
    assert row["langchain_metadata"]["speaker"] == "Ana Sousa"
