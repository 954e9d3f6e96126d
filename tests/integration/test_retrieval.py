"""Retrieval over real Postgres: lexical and dense legs, fusion, and scoping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from langchain_core.messages import HumanMessage

from graph.resources import Resources
from graph.routing import decision
from knowledge.chunks import KB_STATS
from knowledge.documents import DocumentLibrary
from knowledge.ingest import document_id, ingest_paths
from retrievers.registry import DEFAULT, Entry
from retrievers.search import Retriever
from storage.identity import Identity
from storage.tenancy import tenant_connection
from tests.support import drain

pytestmark = pytest.mark.integration

FILLER = [
    "I went hiking on Saturday and the weather was lovely.",
    "My sister is visiting next month from Coimbra.",
    "We should try the new ramen place downtown.",
    "The quarterly report is due on Friday.",
    "I started learning the guitar last spring.",
    "Our cat knocked over the plant again this morning.",
]


async def remember_turns(res: Resources, ident: Identity, texts: list[str]) -> None:
    messages = [HumanMessage(t, id=str(uuid.uuid4())) for t in texts]
    await res.conversation.append(ident, messages)
    await drain(res)


def fresh_identity(tenant: str | None = None, user: str | None = None) -> Identity:
    return Identity(
        tenant_id=tenant or f"t-{uuid.uuid4().hex[:8]}",
        user_id=user or f"u-{uuid.uuid4().hex[:8]}",
        thread_id=str(uuid.uuid4()),
    )


async def search(res: Resources, ident: Identity, query: str, strategy: str) -> list[dict]:
    return await res.retriever.retrieve(ident, query, decision(strategy, "test", {}), fetch_k=20)


async def test_keyword_only_fact_is_found_by_its_identifier(resources: Resources):
    ident = fresh_identity()
    await remember_turns(
        resources, ident, [*FILLER, "Order #A-1042 was the blue kettle I returned."]
    )
    found = await search(
        resources, fresh_identity(ident.tenant_id, ident.user_id), "A-1042", "hybrid"
    )
    top = found[0]
    assert "A-1042" in top["content"]
    assert top["ranks"]["lexical"] == 1 and top["scores"]["lexical"] > 0


async def test_paraphrase_only_fact_is_found_by_meaning(resources: Resources):
    ident = fresh_identity()
    await remember_turns(
        resources, ident, [*FILLER, "I'm allergic to peanuts, they make me very ill."]
    )
    found = await search(
        resources,
        fresh_identity(ident.tenant_id, ident.user_id),
        "Which nut gives me a bad reaction?",
        "hybrid",
    )
    assert "peanuts" in found[0]["content"]
    assert found[0]["ranks"]["vector"] == 1


async def test_rare_terms_outweigh_common_ones_in_the_lexical_leg(resources: Resources):
    ident = fresh_identity()
    await remember_turns(
        resources,
        ident,
        [f"I bought coffee at the market, visit {i}." for i in range(8)]
        + ["The saxophone lesson moved to the market square."],
    )
    found = await search(resources, ident, "saxophone market", "cross_conversation")
    lexical = sorted(
        (c for c in found if "lexical" in c["ranks"]), key=lambda c: c["ranks"]["lexical"]
    )
    assert "saxophone" in lexical[0]["content"]


@pytest.mark.parametrize(
    "strategy", ["semantic_search", "hybrid", "cross_conversation", "recent_history"]
)
async def test_no_strategy_returns_another_users_or_tenants_messages(
    resources: Resources, strategy
):
    owner = fresh_identity()
    secret = f"flamingo{uuid.uuid4().hex[:6]}"
    await remember_turns(resources, owner, [f"The vault password is {secret} flamingo."])
    intruders = [
        fresh_identity(owner.tenant_id),  # same tenant, other user
        fresh_identity(None, owner.user_id),  # same user id, other tenant
        Identity(owner.tenant_id, f"u-{uuid.uuid4().hex[:6]}", owner.thread_id),  # guessed thread
    ]
    for intruder in intruders:
        found = await search(resources, intruder, f"vault password {secret} flamingo", strategy)
        assert all(secret not in c["content"] for c in found), (strategy, intruder)


async def test_the_turn_after_a_topic_is_lifted_without_burying_the_topic(resources: Resources):
    ident = fresh_identity()
    await remember_turns(
        resources,
        ident,
        [
            *FILLER[:3],
            "Did you end up choosing a venue for the wedding reception?",
            "Yes, the old lighthouse in Sagres, booked for June.",
            *FILLER[3:],
        ],
    )
    query = "What venue did we pick for the wedding reception?"
    route = decision("cross_conversation", "test", {})
    on = await resources.retriever.retrieve(ident, query, route, fetch_k=20, neighbour_weight=0.5)
    off = await resources.retriever.retrieve(ident, query, route, fetch_k=20, neighbour_weight=0.0)

    def position(found: list[dict], needle: str) -> int:
        return next(i for i, c in enumerate(found) if needle in c["content"])

    # The answer is lifted to the top two and the turn naming the topic stays there too.
    assert {position(on, "wedding reception"), position(on, "lighthouse")} == {0, 1}
    assert position(on, "lighthouse") <= position(off, "lighthouse")


async def test_a_question_about_last_week_ranks_last_weeks_turn_first(resources: Resources):
    ident = fresh_identity()
    now = datetime.now(UTC)
    dated = [
        ("The dentist said my filling looks fine.", now - timedelta(days=90)),
        ("The dentist wants to pull my wisdom tooth next month.", now - timedelta(days=5)),
        ("I changed dentist because the old one moved away.", now - timedelta(days=200)),
    ]
    messages = [
        HumanMessage(text, id=str(uuid.uuid4()), additional_kwargs={"created_at": when.isoformat()})
        for text, when in dated
    ]
    await resources.conversation.append(ident, messages)
    await drain(resources)
    found = await search(
        resources, ident, "What did the dentist tell me last week?", "cross_conversation"
    )
    assert "wisdom tooth" in found[0]["content"]
    assert found[0]["scores"]["time"] == 1.0
    assert found[0]["metadata"]["created_at"][:10] == dated[1][1].date().isoformat()


async def test_dense_legs_run_with_iterative_hnsw_scans(resources: Resources):
    from sqlalchemy import text

    # The legs search through the pool; the knowledge base's vector store through SQLAlchemy.
    async with resources.pool.connection() as conn:
        scan = await (await conn.execute("SHOW hnsw.iterative_scan")).fetchone()
        ef = await (await conn.execute("SHOW hnsw.ef_search")).fetchone()
    assert (scan["hnsw.iterative_scan"], ef["hnsw.ef_search"]) == ("relaxed_order", "100")
    async with resources.storage.engine.connect() as conn:
        scan = (await conn.execute(text("SHOW hnsw.iterative_scan"))).scalar()
        ef = (await conn.execute(text("SHOW hnsw.ef_search"))).scalar()
    assert (scan, ef) == ("relaxed_order", "100")


async def test_kb_bm25_statistics_kept_per_document_match_the_chunks(
    resources: Resources, kb_tenant: str, tmp_path
):
    # The lexical leg reads the knowledge base's size and mean length from per-document sums;
    # after ingesting, re-ingesting a changed file and deleting one, they equal the chunks'.
    kb = await resources.knowledge_base()
    page = tmp_path / "changing.md"
    page.write_text("# Shipping\n\n" + "Parcels ship from Porto every weekday morning. " * 40)
    await ingest_paths(pool=resources.pool, kb=kb, tenant_id=kb_tenant, paths=[page])
    page.write_text("# Shipping\n\n" + "Parcels now ship from Braga on Mondays. " * 90)
    await ingest_paths(pool=resources.pool, kb=kb, tenant_id=kb_tenant, paths=[page])
    async with tenant_connection(resources.pool, kb_tenant) as conn:
        kept = await (await conn.execute(KB_STATS, {"tenant_id": kb_tenant})).fetchone()
        cur = await conn.execute(
            "SELECT count(*)::float8 AS n, avg(length(content_tsv))::float8 AS avgdl"
            " FROM kb_chunks WHERE tenant_id = %s",
            (kb_tenant,),
        )
        counted = await cur.fetchone()
    assert kept["n"] == counted["n"] > 0
    assert kept["avgdl"] == pytest.approx(counted["avgdl"])
    await DocumentLibrary(pool=resources.pool, kb=kb).delete(
        kb_tenant, document_id(str(page.resolve()))
    )
    async with tenant_connection(resources.pool, kb_tenant) as conn:
        after = await (await conn.execute(KB_STATS, {"tenant_id": kb_tenant})).fetchone()
    assert after["n"] < kept["n"]


class PinnedNotice:
    """A toy leg: the tenant's pinned notice, whatever the question (a one-file leg)."""

    name = "pinned_notice"
    source = "knowledge_base"
    signal = "pinned"
    needs_vector = False
    version = "kb"

    def __init__(self, stores) -> None:
        self.searched = 0

    async def search(self, q):
        return [
            {
                "id": "kb:pinned-notice",
                "source": "knowledge_base",
                "content": "Maintenance window: Sunday 02:00-04:00 UTC.",
                "metadata": {"title": "Notice", "source": "pinned"},
                "scores": {"pinned": 1.0},
                "ranks": {},
            }
        ]

    @classmethod
    def label(cls, cand, language="en"):
        return "pinned notice"  # knowledge-base passages are labelled by its first leg


async def test_a_leg_added_by_one_registry_line_is_fused_and_can_rank_first(
    resources: Resources, kb_tenant: str
):
    registry = DEFAULT.with_leg(Entry(PinnedNotice, {"semantic_search": 5.0}))
    retriever = Retriever(
        stores=resources.retriever.stores, embeddings=resources.embeddings, registry=registry
    )
    ident = Identity(kb_tenant, f"u-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()))
    question = "How long do I have to ask for a refund?"
    found = await retriever.retrieve(
        ident, question, decision("semantic_search", "test", {}, registry), fetch_k=10
    )
    assert found[0]["id"] == "kb:pinned-notice"
    assert found[0]["ranks"]["pinned"] == 1 and found[0]["scores"]["fused"] > 0
    assert any(c["metadata"].get("title") == "Billing" for c in found[1:])
    # Strategies the registry line does not name never run it.
    hybrid = await retriever.retrieve(
        ident, question, decision("hybrid", "test", {}, registry), fetch_k=10
    )
    assert all(c["id"] != "kb:pinned-notice" for c in hybrid)


async def test_a_reply_carries_the_words_of_the_turns_around_it(resources: Resources):
    ident = fresh_identity()
    await remember_turns(
        resources,
        ident,
        [
            *FILLER[:3],
            "I took a short trip last week to clear my mind.",
            "Which city did you visit?",
            "Rome! The food alone was worth it.",
            *FILLER[3:],
        ],
    )
    query = "Which city did I visit on my short trip?"
    found = await search(resources, ident, query, "cross_conversation")
    reply = next(c for c in found if c["content"].startswith("Rome!"))
    # The reply names none of the question's words; the two turns before it name them all.
    assert reply["scores"]["window"] == 1.0
    filler = next(c for c in found if c["content"] == FILLER[0])
    assert filler["scores"]["window"] < 0.5
