"""One turn per thread at a time, across processes; a message id sent twice is one turn."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
import psycopg
import pytest

from graph.turn import http_config
from memory.turns import TurnLocks, lock_key
from storage.identity import identity_from_config
from tests.support import api_app, asgi_client, new_config, turn_body

pytestmark = pytest.mark.integration


def said(text: str, message_id: str | None = None) -> dict:
    return {"type": "human", "content": text, **({"id": message_id} if message_id else {})}


def body(config: dict, *messages: dict) -> dict:
    return {"input": {"messages": list(messages)}, "config": config}


async def transcript(client: httpx.AsyncClient, config: dict) -> list[dict]:
    ids = config["configurable"]
    headers = {"x-user-id": ids["user_id"], "x-tenant-id": ids["tenant_id"]}
    response = await client.get(f"/threads/{ids['thread_id']}", headers=headers)
    if response.status_code == 404:
        return []
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def questions(messages: list[dict]) -> list[str]:
    return [m["content"] if "content" in m else m["data"]["content"] for m in messages if
            (m.get("type") == "human")]  # fmt: skip


async def test_concurrent_turns_on_one_thread_all_reach_the_window(client, agent):
    config = new_config()
    first = await client.post("/agent/invoke", json=turn_body("Hello there.", config))
    assert first.status_code == 200, first.text

    asked = [f"Question {i}: what is {i} plus {i}?" for i in range(3)]
    replies = await asyncio.gather(
        *(client.post("/agent/invoke", json=turn_body(q, config)) for q in asked)
    )
    assert [r.status_code for r in replies] == [200, 200, 200], [r.text for r in replies]

    # The thread's window (its checkpoint) holds every question with its answer: no turn
    # overwrote another's.
    ident = identity_from_config(config, default_tenant="local")
    window = (await agent.aget_state(http_config(ident))).values["messages"]
    assert sorted(m.text for m in window if m.type == "human") == sorted(["Hello there.", *asked])
    assert [m.type for m in window] == ["human", "ai"] * 4
    stored = await transcript(client, config)
    assert [m["type"] for m in stored] == ["human", "ai"] * 4


async def test_a_double_submit_gets_the_first_answer_and_stores_it_once(client):
    config = new_config()
    message = said("My locker is number 42.", str(uuid.uuid4()))
    replies = await asyncio.gather(
        *(client.post("/agent/invoke", json=body(config, message)) for _ in range(2))
    )
    assert [r.status_code for r in replies] == [200, 200], [r.text for r in replies]
    answers = [r.json()["output"]["messages"][-1] for r in replies]
    assert answers[0] == answers[1]
    assert [m["type"] for m in await transcript(client, config)] == ["human", "ai"]

    # Later, once the turn is done, a resend still gets that answer and stores nothing.
    again = await client.post("/agent/invoke", json=body(config, message))
    assert again.status_code == 200, again.text
    assert again.json()["output"] == replies[0].json()["output"]
    assert [m["type"] for m in await transcript(client, config)] == ["human", "ai"]


async def test_a_resent_turn_gets_its_own_answer_after_later_turns(client):
    config = new_config()
    sent = said("I was born in Faro.", str(uuid.uuid4()))
    first = await client.post("/agent/invoke", json=body(config, sent))
    assert first.status_code == 200, first.text
    later = await client.post("/agent/invoke", json=turn_body("And I like figs.", config))
    assert later.status_code == 200, later.text

    again = await client.post("/agent/invoke", json=body(config, sent))
    assert again.status_code == 200, again.text
    assert again.json()["output"] == first.json()["output"]
    assert [m["type"] for m in await transcript(client, config)] == ["human", "ai"] * 2


async def test_a_resent_stream_replays_the_answer_and_stores_nothing(client):
    config = new_config()
    sent = said("My cat is called Miso.", str(uuid.uuid4()))
    first = await client.post("/agent/invoke", json=body(config, sent))
    assert first.status_code == 200, first.text

    response = await client.post("/agent/stream", json=body(config, sent))
    assert response.status_code == 200, response.text
    lines = response.text.splitlines()
    events = [line[7:] for line in lines if line.startswith("event: ")]
    assert events == ["metadata", "data", "end"], response.text
    data = json.loads(next(line[6:] for line in lines if line.startswith('data: {"replay')))
    assert data["replay"]["messages"] == first.json()["output"]["messages"]
    assert [m["type"] for m in await transcript(client, config)] == ["human", "ai"]


async def test_a_resent_id_with_other_words_is_refused(client):
    config = new_config()
    message_id = str(uuid.uuid4())
    first = await client.post("/agent/invoke", json=body(config, said("Hi!", message_id)))
    assert first.status_code == 200, first.text
    reused = await client.post("/agent/invoke", json=body(config, said("Bye!", message_id)))
    assert reused.status_code == 422, reused.text
    assert message_id in reused.json()["detail"]
    partly = body(config, said("Hi!", message_id), said("And more.", str(uuid.uuid4())))
    assert (await client.post("/agent/invoke", json=partly)).status_code == 422
    assert [m["type"] for m in await transcript(client, config)] == ["human", "ai"]


async def test_a_batch_is_checked_whole_before_any_turn_runs(client):
    owner = new_config()
    taken = await client.post("/agent/invoke", json=turn_body("My PIN is 8842.", owner))
    assert taken.status_code == 200, taken.text
    mine = new_config(tenant=owner["configurable"]["tenant_id"])
    theirs = {"configurable": {**mine["configurable"],
                               "thread_id": owner["configurable"]["thread_id"]}}  # fmt: skip
    inputs = [{"messages": [said("Remember the milk.", str(uuid.uuid4()))]},
              {"messages": [said("What is my PIN?", str(uuid.uuid4()))]}]  # fmt: skip
    refused = await client.post("/agent/batch", json={"inputs": inputs, "config": [mine, theirs]})
    assert refused.status_code == 404, refused.text
    assert await transcript(client, mine) == []  # the first turn did not run

    fixed = [mine, new_config(tenant=owner["configurable"]["tenant_id"])]
    done = await client.post("/agent/batch", json={"inputs": inputs, "config": fixed})
    assert done.status_code == 200, done.text
    retried = await client.post("/agent/batch", json={"inputs": inputs, "config": fixed})
    assert retried.status_code == 200, retried.text
    assert retried.json()["output"] == done.json()["output"]
    for config in fixed:
        assert [m["type"] for m in await transcript(client, config)] == ["human", "ai"]


@asynccontextmanager
async def another_process_turn(resources, config: dict) -> AsyncIterator[None]:
    """Hold the thread's turn lock from a session of its own, as another server's turn would."""
    ident = identity_from_config(config, default_tenant="local")
    async with await psycopg.AsyncConnection.connect(
        resources.storage.urls.database_url, autocommit=True
    ) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (lock_key(ident),))
        yield


async def test_a_turn_waits_for_another_processes_turn_of_its_thread(client, resources):
    config = new_config()
    async with another_process_turn(resources, config):
        waiting = asyncio.create_task(
            client.post("/agent/invoke", json=turn_body("Are you there?", config))
        )
        await asyncio.sleep(1.0)
        assert not waiting.done()
        assert await transcript(client, config) == []
    response = await waiting
    assert response.status_code == 200, response.text
    assert [m["type"] for m in await transcript(client, config)] == ["human", "ai"]


async def test_a_turn_that_waited_too_long_gets_409_and_stores_nothing(resources):
    config = new_config()
    async with asgi_client(api_app(resources, memoria_turn_wait_s=0.3)) as impatient:
        # A stream lets go of its thread when it ends: the next turn does not wait.
        streamed = await impatient.post("/agent/stream", json=turn_body("Hi.", config))
        assert "event: end" in streamed.text, streamed.text
        assert (await impatient.post("/agent/invoke", json=turn_body("Hi!", config))).is_success
        config = new_config()
        async with another_process_turn(resources, config):
            for path in ("/agent/invoke", "/agent/stream"):
                response = await impatient.post(path, json=turn_body("Hello?", config))
                assert response.status_code == 409, response.text
                assert response.headers["retry-after"] == "1"
                assert response.headers["content-type"] == "application/problem+json"
                assert "still running" in response.json()["detail"]
            batch = {"inputs": [{"messages": [said("Hi")]}] * 2,
                     "config": [new_config(), config]}  # fmt: skip
            assert (await impatient.post("/agent/batch", json=batch)).status_code == 409
            assert await transcript(impatient, config) == []
            assert await transcript(impatient, batch["config"][0]) == []
        # Free again: the same request goes through.
        response = await impatient.post("/agent/invoke", json=turn_body("Hello?", config))
        assert response.status_code == 200, response.text


async def test_cancelled_turns_leave_no_lock_behind(resources):
    ident = identity_from_config(new_config(), default_tenant="local")
    connect = partial(psycopg.AsyncConnection.connect, resources.storage.urls.database_url,
                      autocommit=True)  # fmt: skip
    turns = TurnLocks(connect, wait_s=30)
    try:
        holding = asyncio.Event()

        async def turn() -> None:
            async with turns.hold([ident]):
                holding.set()
                await asyncio.sleep(60)

        first = asyncio.create_task(turn())
        await holding.wait()
        waiter = asyncio.create_task(turn())
        await asyncio.sleep(0.2)
        for task in (waiter, first):  # a client gone while waiting, then while running
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        async with await connect() as other:  # another process gets the thread at once
            locked = await other.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(ident),))
            assert (await locked.fetchone())[0] is True
            await other.execute("SELECT pg_advisory_unlock(%s)", (lock_key(ident),))
        async with asyncio.timeout(5), turns.hold([ident]):
            pass
    finally:
        await turns.aclose()
