"""What a turn sends: searches starting together share a round trip, the hot window no MULTI.

Counted with the benchmark's own counters (`benchmarks.calls`, `memoria bench turns
--calls`), installed in this process for one test; upper bounds, never timings.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from benchmarks.calls import CallCounter
from graph.resources import Resources
from graph.routing import decision
from retrievers.legs.base import Search, batched
from storage import batch
from storage.identity import Identity
from tests.support import drain

pytestmark = pytest.mark.integration

TOLD = [
    "I work as a physiotherapist at the Coimbra sports clinic.",
    "My sister is visiting next month from Porto.",
    "I started learning the cello last spring.",
]
QUESTION = "What do I do for work, and how do I reset my password?"
# Postgres round trips statements and pipelines cost (executemany is one too).
TRIPS = ("sql", "sql many", "sql pipeline")


async def told(res: Resources, tenant: str) -> Identity:
    ident = Identity(tenant, f"u-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()))
    await res.conversation.append(ident, [HumanMessage(t, id=str(uuid.uuid4())) for t in TOLD])
    await drain(res)
    return Identity(tenant, ident.user_id, str(uuid.uuid4()))


def counted(monkeypatch: pytest.MonkeyPatch) -> CallCounter:
    counter = CallCounter()
    counter.install(monkeypatch.setattr)
    return counter


async def test_a_retrievals_searches_reach_postgres_in_one_round_trip(
    resources: Resources, kb_tenant: str, monkeypatch: pytest.MonkeyPatch
):
    ident = await told(resources, kb_tenant)
    route = decision("hybrid", "test", {})
    retriever = resources.retriever
    searching = [n for n in retriever.registry.weights("hybrid") if batched(retriever.legs[n])]
    assert len(searching) >= 4  # both sources, by meaning and by words
    counter = counted(monkeypatch)
    found = await retriever.retrieve(ident, QUESTION, route, fetch_k=20)
    assert {c["source"] for c in found} >= {"knowledge_base", "conversation"}
    sent = counter.counts
    # The batched legs' statements went in two pipelines (the legs by words, then those by
    # meaning); what else a retrieval sends (the facts in LangGraph's store, the neighbours
    # of the hits, a session's scope) is not a leg's search. Five legs alone sent five.
    assert sum(n for (kind, _), n in sent.items() if kind == "sql pipeline") == 2
    assert sum(n for (kind, _), n in sent.items() if kind == "sql pipelined") >= 4
    assert sum(n for (kind, _), n in sent.items() if kind in TRIPS) <= 5, sent


async def test_searches_sent_together_find_what_each_finds_alone(
    resources: Resources, kb_tenant: str
):
    ident = await told(resources, kb_tenant)
    retriever = resources.retriever
    vector = await resources.embeddings.aembed_query(QUESTION)
    legs = [leg for leg in retriever.legs.values() if batched(leg)]
    q = Search(ident, QUESTION, vector, 20, "en")
    alone = [await leg.search(q) for leg in legs]
    together = batch.Batch(resources.pool)
    with together.active():
        tasks = [asyncio.create_task(leg.search(q)) for leg in legs]
    for task in tasks:
        together.join(task)
    assert [await task for task in tasks] == alone
    assert any(alone)


async def test_a_failing_search_fails_its_batch_and_nothing_waits_forever(
    resources: Resources, kb_tenant: str
):
    together = batch.Batch(resources.pool)

    async def broken() -> list:
        return await batch.rows(resources.pool, kb_tenant, "SELECT 1/0 AS x", {})

    async def fine() -> list:
        return await batch.rows(resources.pool, kb_tenant, "SELECT 1 AS x", {})

    async def silent() -> list:
        return []

    with together.active():
        tasks = [asyncio.create_task(c()) for c in (broken, fine, silent)]
    for task in tasks:
        together.join(task)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    assert isinstance(results[0], Exception) and results[2] == []


async def test_the_hot_window_is_written_without_a_transaction(resources: Resources):
    redis = resources.storage.redis
    ident = Identity(f"t-{uuid.uuid4().hex[:8]}", "u", str(uuid.uuid4()))
    window = resources.settings.memoria_hot_window_messages
    before = (await redis.info("commandstats")).get("cmdstat_multi", {}).get("calls", 0)
    sent = []
    for turn in range(window // 2 + 2):
        pair = [HumanMessage(f"question {turn}", id=str(uuid.uuid4()))]
        pair.append(AIMessage(f"answer {turn}", id=str(uuid.uuid4())))
        await resources.conversation.append(ident, pair)
        sent += pair
    after = (await redis.info("commandstats")).get("cmdstat_multi", {}).get("calls", 0)
    assert after == before
    recent = await resources.conversation.recent(ident, window)
    assert [m.content for m in recent] == [m.content for m in sent[-window:]]
    assert await redis.llen(resources.conversation.window_key(ident)) == window
