"""The knowledge base's lexical leg over real Postgres: bounded reads, kept term statistics."""

from __future__ import annotations

import uuid

import pytest

from graph.resources import Resources
from knowledge import chunks, terms
from knowledge.documents import DocumentLibrary
from knowledge.ingest import document_id
from storage.tenancy import tenant_connection
from tests.support import index_texts as index

pytestmark = pytest.mark.integration

# Counts kept in kb_terms, and the same counted from the tenant's chunks.
KEPT = "SELECT lexeme, chunks FROM kb_terms WHERE tenant_id = %s"
COUNTED = """
    SELECT u.lexeme, count(*) AS chunks FROM kb_chunks c, unnest(c.content_tsv) u
    WHERE c.tenant_id = %s GROUP BY u.lexeme
"""
TOTALS_COUNTED = """
    SELECT count(*)::float8 AS n, coalesce(avg(length(content_tsv)), 1)::float8 AS avgdl
    FROM kb_chunks WHERE tenant_id = %s
"""


async def lexical(res: Resources, tenant: str, words: str, per_term: int) -> list[str]:
    rows = await chunks.lexical(
        res.pool, tenant, words, 5, configs=["english", "simple"], k1=1.2, b=0.75,
        per_term=per_term,
    )  # fmt: skip
    return [r["content"] for r in rows]


async def kept_and_counted(res: Resources, tenant: str) -> tuple[dict, dict]:
    """Return the tenant's statistics as kept and as counted from its chunks."""
    async with tenant_connection(res.pool, tenant) as conn:
        kept = await (await conn.execute(KEPT, (tenant,))).fetchall()
        counted = await (await conn.execute(COUNTED, (tenant,))).fetchall()
        totals = await (await conn.execute(terms.TOTALS, {"tenant_id": tenant})).fetchone()
        cur = await conn.execute(TOTALS_COUNTED, (tenant,))
        totals_counted = await cur.fetchone()
    return (
        {**{r["lexeme"]: r["chunks"] for r in kept}, "": totals},
        {**{r["lexeme"]: r["chunks"] for r in counted}, "": totals_counted},
    )


async def test_rare_and_combined_words_rank_first_though_only_a_few_chunks_per_word_are_read(
    resources: Resources,
):
    tenant = f"kb-{uuid.uuid4().hex[:8]}"
    common = [f"Parcels leave the depot on weekday {i} mornings." for i in range(30)]
    common += [f"Shipping labels are printed at counter {i}." for i in range(30)]
    # Written last, so a cap that took each word's first chunks in table order would miss them.
    both = "Parcels waiting for shipping labels are kept at the back door."
    rare = "Zirconium parcels need a hazard form."
    await index(resources, tenant, "manual", [*common, both, rare])

    # Five chunks read per common word: the rare word's chunk is still read, and first.
    assert (await lexical(resources, tenant, "zirconium parcels", per_term=5))[0] == rare
    # No rare word: the chunk holding both common words is found through their conjunction.
    assert (await lexical(resources, tenant, "parcel shipping labels", per_term=5))[0] == both
    # One common word and nothing rarer: its chunks are still read (a bounded number).
    assert len(await lexical(resources, tenant, "parcels", per_term=5)) == 5
    # Unbounded, the same answers: the cap changes what is read, not the ranking's top.
    assert (await lexical(resources, tenant, "parcel shipping labels", per_term=10**6))[0] == both


async def test_term_statistics_follow_ingest_reingest_and_delete_within_the_tenant(
    resources: Resources,
):
    tenant, other = (f"kb-{uuid.uuid4().hex[:8]}" for _ in range(2))
    await index(resources, tenant, "faq", ["Refunds take five days.", "Refunds need a receipt."])
    await index(resources, tenant, "guide", ["Receipts are emailed after checkout."])
    await index(resources, other, "faq", ["Refunds are instant here."])
    kept, counted = await kept_and_counted(resources, tenant)
    assert kept == counted and kept["refund"] == 2 and kept["receipt"] == 2

    # A new version replaces the document's share; deleting takes it out; the other tenant,
    # holding a document of the same name, keeps its own counts throughout.
    await index(resources, tenant, "faq", ["Refunds take ten days."])
    kept, counted = await kept_and_counted(resources, tenant)
    assert kept == counted and kept["refund"] == 1 and kept["receipt"] == 1
    kb = await resources.knowledge_base()
    await DocumentLibrary(pool=resources.pool, kb=kb).delete(tenant, document_id("faq"))
    kept, counted = await kept_and_counted(resources, tenant)
    assert kept == counted and "refund" not in kept and kept["receipt"] == 1
    assert kept[""]["n"] == 1
    assert (await kept_and_counted(resources, other))[0]["refund"] == 1

    # The app's role sees another tenant's statistics through no query.
    async with tenant_connection(resources.pool, tenant) as conn:
        for table in ("kb_terms", "kb_stats"):
            cur = await conn.execute(f"SELECT DISTINCT tenant_id FROM {table}")
            assert {r["tenant_id"] for r in await cur.fetchall()} == {tenant}, table
