"""`memoria bench seed`: bulk-loaded rows are the write path's, scoped, and found by retrieval."""

from __future__ import annotations

import uuid

import pytest

from benchmarks.corpus import message_text
from benchmarks.seed import SeedPlan, seed, user_id
from benchmarks.suite import TENANT_PREFIX, delete_kb
from evals.locomo import delete_tenant, tenant_row_counts
from graph.resources import Resources
from graph.routing import decision
from storage.identity import Identity
from storage.tenancy import tenant_connection

pytestmark = pytest.mark.integration

COUNTS = """
    SELECT (SELECT count(*) FROM kb_chunks WHERE tenant_id = %(t)s) AS chunks,
           (SELECT sum(chunks) FROM kb_documents WHERE tenant_id = %(t)s) AS catalogued,
           (SELECT count(*) FROM kb_terms WHERE tenant_id = %(t)s) AS terms,
           (SELECT count(DISTINCT u.lexeme) FROM kb_chunks c, unnest(c.content_tsv) u
            WHERE c.tenant_id = %(t)s) AS lexemes,
           (SELECT count(DISTINCT user_id) FROM memory_messages WHERE tenant_id = %(t)s) AS users,
           (SELECT count(*) FROM memory_message_terms
            WHERE tenant_id = %(t)s AND lexeme = '') AS postings_of,
           (SELECT count(*) FROM memory_message_half_vectors WHERE tenant_id = %(t)s) AS halves
"""


async def test_seeded_messages_and_pages_are_counted_scoped_and_retrievable(
    resources: Resources,
):
    tenant = f"{TENANT_PREFIX}{uuid.uuid4().hex[:8]}"
    plan = SeedPlan(tenant=tenant, messages=(0, 1000), pages=(0, 4), users=5, threads_per_user=2)
    try:
        report = await seed(resources, plan)
        assert report["messages"] == 1000 and report["chunks"] > 40

        rows = await tenant_row_counts(resources, tenant)
        assert rows["memory_messages"] == rows["chat_history"] == 1000
        assert rows["threads"] == 10
        async with tenant_connection(resources.pool, tenant) as conn:
            counts = await (await conn.execute(COUNTS, {"t": tenant})).fetchone()
        assert counts["chunks"] == counts["catalogued"] == report["chunks"]
        assert counts["terms"] == counts["lexemes"] > 0 and counts["users"] == 5
        assert counts["postings_of"] == 1000  # every message's postings, for the words leg
        assert counts["halves"] == 1000  # and its half vector, for the meaning leg

        # Message 404 is user 1's (turn 202, threads round-robin, two per user): the read
        # path finds it for them by its words and meaning, and never for another user.
        said = message_text(404)
        owner = Identity(tenant, user_id(1), f"ask-{uuid.uuid4()}")
        route = decision("hybrid", "test", {})
        found = await resources.retriever.retrieve(owner, said, route, fetch_k=10)
        assert said in [c["content"] for c in found[:3]]
        other = Identity(tenant, user_id(2), f"ask-{uuid.uuid4()}")
        found = await resources.retriever.retrieve(other, said, route, fetch_k=10)
        assert said not in [c["content"] for c in found]
        assert any(c["source"] == "knowledge_base" for c in found)
    finally:
        await delete_kb(resources, tenant)
        await delete_tenant(resources, tenant)
    assert not any((await tenant_row_counts(resources, tenant)).values())
