"""Long-term memory on real Postgres and Redis: outbox, facts with history, summaries, forget."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, message_to_dict
from prometheus_client import REGISTRY
from psycopg.types.json import Jsonb

from configs.settings import REPO_ROOT
from graph.builder import build_graph, build_retrieval_graph
from graph.context import Context
from graph.resources import Resources
from memory import outbox_jobs
from memory.conversation import ThreadOwnershipError
from memory.fact_extractors import LLM, RULES, llm_extractor, offline_extractor
from memory.messages import message_uuid_of
from memory.outbox import OutboxWorker
from storage.identity import Identity, identity_from_config
from storage.metrics import REDIS_FALLBACKS
from storage.services import EmbeddedServices, ServiceURLs
from storage.tenancy import ALL_TENANTS, tenant_connection
from tests.fakes import RuleChatModel, ScriptedChatModel
from tests.support import ServerProcess, drain, new_config

pytestmark = pytest.mark.integration


async def ask(agent, config: dict, text: str, **knobs: object) -> dict:
    return await agent.ainvoke({"messages": [HumanMessage(text)]}, config, context=Context(**knobs))


def ident_of(config: dict) -> Identity:
    return identity_from_config(config, default_tenant="local")


async def scalar(res: Resources, query: str, *params: object) -> int:
    async with tenant_connection(res.pool, ALL_TENANTS) as conn:
        row = await (await conn.execute(query, params)).fetchone()
    return int(next(iter(row.values())))


async def test_moving_city_closes_the_old_fact_and_answers_with_the_new_one(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    await ask(agent, new_config(tenant, user), "I live in Porto.")
    await drain(resources)
    await ask(agent, new_config(tenant, user), "Big news: I moved to Lisbon last month.")
    await drain(resources)

    history = await resources.facts.history(Identity(tenant, user, "-"), attribute="home")
    assert [f.value["value"] for f in history] == ["Porto", "Lisbon"]
    porto, lisbon = history
    assert not porto.value["current"] and porto.value["valid_to"] == lisbon.value["valid_from"]
    assert porto.value["superseded_by"] == lisbon.key
    assert lisbon.value["current"] and lisbon.value["valid_to"] is None
    assert lisbon.value["supersedes"] == porto.key

    out = await ask(agent, new_config(tenant, user), "Where do I live?")
    assert "Lisbon" in out["citations"][0]["snippet"]
    facts = [c for c in out["context"] if c["source"] == "facts"]
    assert facts and all("Porto" not in c["content"] for c in facts)
    # The old statement stays findable, marked as replaced (the learned reranker may put the
    # move above it and leave it out of a short context: look deeper).
    deep = await ask(agent, new_config(tenant, user), "Where do I live?",
                     k=10, rerank_threshold=0.0, rerank_min_keep=10)  # fmt: skip
    shown = [c for c in deep["context"] if c["source"] == "conversation"]
    texts = [c["content"] for c in shown]
    assert "I live in Porto." in texts, texts
    assert shown[texts.index("I live in Porto.")]["scores"]["superseded"] == 1.0


async def test_saying_the_same_thing_again_keeps_one_current_fact(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    for text in ("My name is Inês.", "Olá! O meu nome é Inês."):
        await ask(agent, new_config(tenant, user), text)
    await drain(resources)
    history = await resources.facts.history(Identity(tenant, user, "-"), attribute="name")
    assert [(f.value["value"], f.value["current"]) for f in history] == [("Inês", True)]


def _orphans(messages: list[BaseMessage]) -> set[str]:
    calls = {c["id"] for m in messages if m.type == "ai" for c in m.tool_calls}
    results = {m.tool_call_id for m in messages if m.type == "tool"}
    return calls ^ results


async def test_tool_calling_thread_summarised_many_times_keeps_pairs_and_facts(resources):
    summary_calls = []

    def rule(messages: list[BaseMessage], tools_bound: bool) -> AIMessage:
        prompt = messages[0].text
        if prompt.startswith("Update the running summary"):
            summary_calls.append(prompt)
            if len(summary_calls) == 2:
                raise RuntimeError("summariser unavailable")
            # An honest stand-in: the previous summary plus what the user said.
            previous = prompt.split("Current summary:\n", 1)[1].split("\n\nNew messages:", 1)[0]
            new = prompt.split("New messages:\n", 1)[1].split("\n\nUpdated summary:", 1)[0]
            lines = [] if previous == "(none)" else previous.splitlines()
            return AIMessage(
                "\n".join([*lines, *(x for x in new.splitlines() if x[:6] == "human:")])
            )
        if prompt.startswith("Extract durable facts"):
            return AIMessage("[]")
        if tools_bound and messages[-1].type == "human":
            return AIMessage("", tool_calls=[{"name": "current_time", "args": {}, "id": "x"}])
        return AIMessage("Noted.")

    model = RuleChatModel(rule=rule)
    knobs = Context(summary_max_messages=8, summary_keep_messages=4, strategy="session_only")
    texts = [
        "My sister Ana lives in Coimbra.",
        *(f"Reminder {i}: water the ferns." for i in range(9)),
    ]
    graph = build_graph(resources, chat_model=model, checkpointer=resources.storage.checkpointer)
    config = new_config()
    summaries = []
    for text in texts:
        calls_before = len(summary_calls)
        await graph.ainvoke({"messages": [HumanMessage(text)]}, config, context=knobs)
        state = (await graph.aget_state(config)).values
        assert not _orphans(state["messages"]) and state["messages"][0].type == "human"
        summaries.append(state.get("summary", ""))
        if len(summary_calls) == 2 and calls_before == 1:
            # The failed round trimmed nothing: the window is over budget, summary as before.
            assert len(state["messages"]) > 8 and summaries[-1] == summaries[-2]

    transcript = await resources.conversation.transcript(ident_of(config))
    async with tenant_connection(resources.pool, ALL_TENANTS) as conn:
        cur = await conn.execute(
            "SELECT covers, covered, covered_through FROM memory_summaries"
            " WHERE thread_id = %s ORDER BY id",
            (config["configurable"]["thread_id"],),
        )
        rows = await cur.fetchall()

    assert len(summary_calls) >= 4 and len(rows) == len(summary_calls) - 1
    assert "Coimbra" in state["summary"]
    assert len(transcript) == 4 * len(texts)  # human, tool call, tool result, answer
    assert transcript[0].text == texts[0]
    ids = [m.id for m in transcript]
    # Each summary covers a growing prefix of the thread, told by its length and its last
    # message (no id lists); the last one plus the window is all.
    covered = [row["covered"] for row in rows]
    assert covered == sorted(set(covered)) and all(row["covers"] is None for row in rows)
    assert [row["covered_through"] for row in rows] == [ids[n - 1] for n in covered]
    assert state["summarised_count"] == covered[-1]
    assert state["summarised_through"] == rows[-1]["covered_through"]
    assert ids[: covered[-1]] + [m.id for m in state["messages"]] == ids


async def test_forget_user_leaves_nothing_in_any_store_or_cache(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    secret = f"kiwi{uuid.uuid4().hex[:6]}"
    configs = [new_config(tenant, user) for _ in range(4)]
    told = f"Hi there! My name is Zed, and my locker word is {secret}."
    await ask(agent, configs[0], told)
    await ask(agent, configs[1], "I live in Porto.")
    neighbour = new_config(tenant)
    await ask(agent, neighbour, f"My locker word is also {secret}.")
    await drain(resources)

    question = f"What is my locker word {secret}?"
    seen = await ask(agent, configs[2], question)
    assert any(secret in c["content"] for c in seen["context"])
    again = configs[3]
    await ask(agent, again, question)
    assert (await agent.aget_state(again)).values["retrieval_cache"] == "hit"
    assert await resources.storage.redis.exists(
        resources.embeddings.key(question, tenant_id=tenant)
    )
    # The worker labelled what the told statement states (memory/statement_labels.py).
    labels = "SELECT count(*) FROM memory_statement_labels WHERE tenant_id = %s AND user_id = %s"
    assert await scalar(resources, labels, tenant, user) > 0
    # ...and wrote the told messages' postings for the words leg (memory/message_terms.py).
    postings = "SELECT count(*) FROM memory_message_terms WHERE tenant_id = %s AND user_id = %s"
    assert await scalar(resources, postings, tenant, user) > 0

    receipt = await resources.forgetter.forget_user(tenant, user)
    counts = receipt.counts
    assert counts["threads"] == 4 and counts["chat_history"] == 8
    assert counts["checkpoints"] > 0 and counts["hot_window"] == 4
    assert counts["message_index"] == 2 and counts["outbox"] == 2  # questions not indexed yet
    assert counts["facts"] == 2 and counts["strategy_log"] >= 2
    assert counts["retrieval_cache"] >= 2 and counts["embedding_cache"] >= 1

    await drain(resources)  # nothing queued may bring anything back
    for table in (
        "threads",
        "memory_messages",
        "memory_statement_labels",
        "memory_message_terms",
        "memory_outbox",
        "memory_summaries",
        "strategy_log",
    ):
        query = f"SELECT count(*) FROM {table} WHERE tenant_id = %s AND user_id = %s"
        assert await scalar(resources, query, tenant, user) == 0, table
    facts = "SELECT count(*) FROM store WHERE prefix LIKE %s"
    assert await scalar(resources, facts, f"facts.{tenant}.{user}%") == 0
    for config in configs:
        assert (await agent.aget_state(config)).values == {}
    keys = [k async for k in resources.storage.redis.scan_iter(match=f"memoria:{tenant}:*")]
    assert not [k for k in keys if user.encode() in k]
    assert not await resources.storage.redis.exists(
        resources.embeddings.key(question, tenant_id=tenant)
    )

    after = new_config(tenant, user)
    out = await ask(agent, after, question)
    assert all(secret not in c["content"] for c in out["context"])
    assert (await agent.aget_state(after)).values["retrieval_cache"] == "miss"
    assert await resources.facts.history(Identity(tenant, user, "-")) == []
    # The neighbour in the same tenant keeps everything.
    kept = await ask(agent, new_config(tenant, neighbour["configurable"]["user_id"]), question)
    assert any(secret in c["content"] for c in kept["context"])


async def test_a_process_indexing_its_own_turns_caches_no_retrieval_it_could_not_read(
    settings, resources
):
    # Its worker indexes each stored turn at once, which retires the memory version an entry
    # would be keyed by: the entry could never be read back, so it is neither looked up nor
    # written. Recall is unchanged, and the read path alone (it stores nothing) still caches.
    local = settings.model_copy(update={"memoria_worker": "inprocess"})
    own = Resources(local, embeddings=resources.embeddings.inner, worker=offline_extractor)
    async with own as res:
        graph = build_graph(res, checkpointer=res.storage.checkpointer)
        tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
        secret = f"kiwi{uuid.uuid4().hex[:6]}"
        await ask(graph, new_config(tenant, user), f"My locker word is {secret}.")
        await drain(res)
        question = "What is my locker word?"
        configs = [new_config(tenant, user) for _ in range(2)]
        outs = [await ask(graph, config, question) for config in configs]
        await res.storage.speed.settle()
        states = [(await graph.aget_state(config)).values for config in configs]
        assert [state["retrieval_cache"] for state in states] == ["off", "off"]
        assert all(any(secret in c["content"] for c in out["context"]) for out in outs)
        prefix = res.retrieval_cache.user_prefix(tenant, user)
        assert not [k async for k in res.storage.redis.scan_iter(match=f"{prefix}*")]

        await drain(res)
        reader = build_retrieval_graph(res)
        read = [await ask(reader, new_config(tenant, user), question) for _ in range(2)]
        assert [out["retrieval_cache"] for out in read] == ["miss", "hit"]
        assert read[1]["context"] == read[0]["context"]


async def test_a_thread_can_only_be_deleted_by_its_owner(agent, resources):
    config = new_config()
    await ask(agent, config, "Please remember my bike is blue.")
    owner = ident_of(config)
    intruder = Identity(owner.tenant_id, "someone-else", owner.thread_id)
    with pytest.raises(ThreadOwnershipError):
        await resources.forgetter.delete_thread(intruder)
    receipt = await resources.forgetter.delete_thread(owner)
    assert receipt.counts["threads"] == 1 and receipt.counts["chat_history"] == 2
    assert await resources.conversation.transcript(owner) == []


@pytest.mark.process
async def test_redis_stopped_mid_conversation_costs_nothing_and_caches_warm_again(
    settings, own_redis: EmbeddedServices
):
    fallbacks_before = REDIS_FALLBACKS.labels("hot_window.read")._value.get()
    local = settings.model_copy(update={"redis_url": own_redis.redis_url})
    async with Resources(local) as res:
        graph = build_graph(res, checkpointer=res.storage.checkpointer)
        tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
        thread = new_config(tenant, user)
        await ask(graph, thread, "The meeting moved to Thursday at 15:00.")
        await drain(res)

        own_redis.stop_redis()
        out = await ask(graph, thread, "What did I just say?")  # hot window -> Postgres
        assert (
            out["route"]["strategy"] == "recent_history" and "Thursday" in out["messages"][-1].text
        )
        out = await ask(graph, new_config(tenant, user), "When is the meeting?")
        assert any("Thursday" in c["content"] for c in out["context"])
        await drain(res)
        assert not res.storage.speed.available
        assert REDIS_FALLBACKS.labels("hot_window.read")._value.get() > fallbacks_before

        own_redis.ensure_redis()
        time.sleep(2.1)  # the speed layer's pause before it probes Redis again
        first, second = new_config(tenant, user), new_config(tenant, user)
        await ask(graph, first, "When is the meeting?")
        await ask(graph, second, "When is the meeting?")
        assert (await graph.aget_state(first)).values["retrieval_cache"] == "miss"
        assert (await graph.aget_state(second)).values["retrieval_cache"] == "hit"
        assert res.storage.speed.available
        assert await res.storage.redis.exists(res.conversation.window_key(ident_of(second)))


def _turn(text: str) -> list[BaseMessage]:
    return [HumanMessage(text, id=str(uuid.uuid4())), AIMessage("Noted.", id=str(uuid.uuid4()))]


async def drain_concurrently(res: Resources, *, workers: int, batch_size: int) -> list[int]:
    """Drain the outbox with `workers` workers at once; return how many jobs each processed."""
    outbox_workers = [
        OutboxWorker(
            pool=res.pool,
            embeddings=res.embeddings,
            facts=res.facts,
            extractor=offline_extractor,
            batch_size=batch_size,
        )
        for _ in range(workers)
    ]
    return list(await asyncio.gather(*(w.drain() for w in outbox_workers)))


async def test_concurrent_workers_process_each_job_exactly_once(resources):
    await drain(resources)  # start from an empty outbox
    config = new_config()
    ident = ident_of(config)
    for i in range(12):
        await resources.conversation.append(ident, _turn(f"Fact number {i}: I own {i} bikes."))
    processed = await drain_concurrently(resources, workers=3, batch_size=2)
    # SKIP LOCKED: every job claimed by exactly one worker, and all of them done.
    assert sum(processed) == 12
    assert await _pending_jobs(resources, ident) == 0
    rows = "SELECT count(*) FROM memory_messages WHERE tenant_id = %s AND user_id = %s"
    assert await scalar(resources, rows, ident.tenant_id, ident.user_id) == 24


async def test_workers_sharing_users_never_deadlock_on_their_locks(resources):
    # Each worker locks a job's user until its batch commits. Two batches holding the same
    # users in opposite orders used to deadlock (Postgres aborts one, its jobs are retried).
    await drain(resources)
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    users = [ident_of(new_config(tenant)) for _ in range(4)]
    retried = REGISTRY.get_sample_value("memoria_outbox_jobs_total", {"outcome": "retry"}) or 0
    for rounds in range(4):
        for n, ident in enumerate(users if rounds % 2 == 0 else reversed(users)):
            await resources.conversation.append(ident, _turn(f"Round {rounds}: I own {n} kites."))
    assert sum(await drain_concurrently(resources, workers=4, batch_size=4)) == 16
    now = REGISTRY.get_sample_value("memoria_outbox_jobs_total", {"outcome": "retry"}) or 0
    assert now == retried


async def test_a_job_postgres_refuses_is_retried_alone_and_the_batch_commits(resources):
    # A job Postgres refuses is rolled back to its savepoint and marked for a retry with
    # backoff; the batch's other jobs commit.
    await drain(resources)
    # Jobs run in tenant order: the refused one after another tenant's, whose tenant its
    # retry mark was written under (row-level security hid the row: attempts stayed 0).
    bad = ident_of(new_config(f"t-zz-{uuid.uuid4().hex[:8]}"))
    good = ident_of(new_config(f"t-aa-{uuid.uuid4().hex[:8]}"))
    now = datetime.now(UTC)
    refused = [message_to_dict(HumanMessage("I own 3 kites.", id="m1"))]
    async with tenant_connection(resources.pool, bad.tenant_id) as conn:
        # Its index row's position overflows the bigint column: Postgres refuses the row.
        payload = {**outbox_jobs.job_payload(refused, now), "base_seq": 2**63}
        await conn.execute(outbox_jobs.ENQUEUE, outbox_jobs.enqueue_params(bad, payload, RULES))
    await resources.conversation.append(good, _turn("I own 4 kites."))
    worker = resources.outbox_worker(offline_extractor)
    assert await worker.run_once() == 2
    assert await _pending_jobs(resources, good) == 0
    rows = "SELECT count(*) FROM memory_messages WHERE tenant_id = %s AND thread_id = %s"
    assert await scalar(resources, rows, good.tenant_id, good.thread_id) == 2
    assert await scalar(resources, rows, bad.tenant_id, bad.thread_id) == 0
    tried = "SELECT attempts FROM memory_outbox WHERE tenant_id = %s AND thread_id = %s"
    assert await scalar(resources, tried, bad.tenant_id, bad.thread_id) == 1
    async with tenant_connection(resources.pool, bad.tenant_id) as conn:
        await conn.execute("DELETE FROM memory_outbox WHERE thread_id = %s", (bad.thread_id,))


async def test_a_worker_elsewhere_is_woken_by_the_commit_not_by_polling(
    service_urls: ServiceURLs, resources: Resources
):
    await drain(resources)
    listener = OutboxWorker(
        pool=resources.pool,
        embeddings=resources.embeddings,
        facts=resources.facts,
        extractor=offline_extractor,
        poll_s=120,  # polling alone would not get there within this test
        listen_conninfo=service_urls.database_url,
    )
    task = asyncio.create_task(listener.run_forever())
    try:
        ident = ident_of(new_config())
        turn = _turn("I keep bees on my roof.")
        await asyncio.sleep(1)  # let it finish its startup pass and wait
        await resources.conversation.append(ident, turn)  # no notify(): another process's write
        one = "SELECT count(*) FROM memory_messages WHERE langchain_id = %s"
        deadline = time.monotonic() + 30
        while not await scalar(resources, one, message_uuid_of(turn[0].id)):
            assert time.monotonic() < deadline, "the listening worker never picked the job up"
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.process
async def test_a_worker_without_the_turns_llm_leaves_its_job_to_one_that_has_it(
    resources, service_urls: ServiceURLs
):
    # A turn served with an LLM asks for LLM fact extraction. A `memoria worker` process with
    # no LLM configured (e.g. next to `langgraph dev`) must not extract it with rules and lose
    # what the LLM would find: it leaves the job to a worker with an LLM, which records that
    # it extracted the facts.
    await drain(resources)
    ident = ident_of(new_config())
    await resources.conversation.append(
        ident, _turn("Work has been hectic at Lumen Labs lately."), extractor=LLM
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COHERE_"))}
    env.update(DATABASE_URL=service_urls.database_url, REDIS_URL=service_urls.redis_url)
    offline = subprocess.run(
        [sys.executable, "-c", "import sys, cli; sys.exit(cli.main(['worker', '--drain']))"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert offline.returncode == 0, offline.stderr
    assert "outbox drained: 0 jobs processed" in offline.stdout
    assert await _pending_jobs(resources, ident) == 1

    fact = '[{"attribute": "workplace", "value": "Lumen Labs", '
    fact += '"text": "The user works at Lumen Labs.", "single_valued": true}]'
    model = ScriptedChatModel(script=[AIMessage(fact)])
    assert await resources.outbox_worker(llm_extractor(model)).drain() >= 1
    assert await _pending_jobs(resources, ident) == 0
    [item] = await resources.facts.history(ident, attribute="workplace")
    assert item.value["value"] == "Lumen Labs"
    assert item.value["extractor"] == "llm:ScriptedChatModel"


async def _pending_jobs(res: Resources, ident: Identity) -> int:
    async with tenant_connection(res.pool, ident.tenant_id) as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM memory_outbox WHERE tenant_id = %s AND thread_id = %s",
            (ident.tenant_id, ident.thread_id),
        )
        return (await cur.fetchone())["n"]


# --- The server process and its worker ------------------------------------------------------
#
# Last in the module: from the first of these on, the module's server (`server`) runs, and its
# worker indexes every turn stored, which would upset the tests above that count jobs.


@pytest.mark.process
async def test_acknowledged_turn_survives_kill_9_before_the_worker_and_is_indexed_once(
    service_urls: ServiceURLs, resources: Resources, request: pytest.FixtureRequest
):
    server = ServerProcess(service_urls, MEMORIA_WORKER="off")
    server.start()
    config = new_config()
    text = f"My locker combination is {uuid.uuid4().hex[:6]}."
    try:
        acked = server.invoke(text, config)
        assert acked.status_code == 200, acked.text
        tenant, user = config["configurable"]["tenant_id"], config["configurable"]["user_id"]
        jobs = "SELECT count(*) FROM memory_outbox WHERE tenant_id = %s AND user_id = %s"
        rows = "SELECT count(*) FROM memory_messages WHERE tenant_id = %s AND user_id = %s"
        assert await scalar(resources, jobs, tenant, user) == 1
        assert await scalar(resources, rows, tenant, user) == 0  # acknowledged, not indexed
        async with tenant_connection(resources.pool, ALL_TENANTS) as conn:
            pending = await (
                await conn.execute(
                    "SELECT thread_id, payload FROM memory_outbox WHERE tenant_id = %s", (tenant,)
                )
            ).fetchone()
    finally:
        server.kill()

    # Restarted with the in-process worker (the module's server, started only now: running
    # before, its worker would have indexed the job): it finds the job and indexes it.
    server = request.getfixturevalue("server")
    deadline = time.monotonic() + 30
    while await scalar(resources, jobs, tenant, user) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert await scalar(resources, jobs, tenant, user) == 0
    transcript = await resources.conversation.transcript(ident_of(config))
    assert transcript[0].text == text
    human_id = message_uuid_of(transcript[0].id)
    assert await scalar(resources, rows, tenant, user) == 1
    one = "SELECT count(*) FROM memory_messages WHERE langchain_id = %s"
    assert await scalar(resources, one, human_id) == 1

    # A job replayed after it was done (e.g. a worker that crashed after commit but
    # before it could tell anyone) changes nothing.
    async with tenant_connection(resources.pool, ALL_TENANTS) as conn:
        await conn.execute(
            "INSERT INTO memory_outbox (tenant_id, user_id, thread_id, payload) "
            "VALUES (%s, %s, %s, %s)",
            (tenant, user, pending["thread_id"], Jsonb(pending["payload"])),
        )
    await drain(resources)
    assert await scalar(resources, one, human_id) == 1
    assert await scalar(resources, rows, tenant, user) == 1


@pytest.mark.process
def test_server_worker_indexes_without_being_asked(server: ServerProcess):
    """The default server runs the worker in-process: recall across threads just works."""
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    assert server.invoke("My cat is called Miso.", new_config(tenant, user)).status_code == 200
    deadline, found = time.monotonic() + 20, False
    while not found and time.monotonic() < deadline:
        out = server.invoke("What is my cat called?", new_config(tenant, user)).json()
        found = any("Miso" in c["content"] for c in out["output"].get("context", []))
    assert found


async def test_a_message_still_holding_another_fact_is_not_marked_replaced(agent, resources):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    await ask(agent, new_config(tenant, user), "Moro em Braga e sou alérgica a amendoim.")
    await ask(agent, new_config(tenant, user), "I live in Faro.")
    await drain(resources)
    await ask(agent, new_config(tenant, user), "Mudei-me para Coimbra no verão.")
    await drain(resources)

    deep = await ask(agent, new_config(tenant, user), "Where do I live?",
                     k=10, rerank_threshold=0.0, rerank_min_keep=10)  # fmt: skip
    shown = {c["content"]: c["scores"] for c in deep["context"] if c["source"] == "conversation"}
    # The allergy still holds: its message is not ranked as replaced by the move...
    assert shown["Moro em Braga e sou alérgica a amendoim."].get("superseded", 0.0) == 0.0
    # ...while a message that only stated the old home is.
    assert shown["I live in Faro."]["superseded"] == 1.0
