"""The messages BM25 leg from per-user postings: the ranking testing every row of the user
gave (`benchmarks.legs.LEXICAL_EVERY_ROW`), only the user's rows, none once forgotten."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import pytest
from psycopg import sql

from benchmarks.legs import LEXICAL_EVERY_ROW
from evals.locomo import delete_tenant
from graph.resources import Resources
from memory import message_index, threads
from memory.message_index import IndexEntry
from storage.identity import Identity
from storage.tenancy import tenant_connection, user_connection, user_scope
from text.language import query_configs, row_language
from text.words import terms

pytestmark = pytest.mark.integration

QUESTION = "which coffee shop near the station did you say, the dog park or the bakery"
MINE = [
    "I walk my dog to the park every morning before coffee",
    "The bakery near the station sells the best croissants",
    "Coffee, coffee and more coffee: my shop opens at seven",
    "My sister's dog hates the park when it rains",
    "We met at the station café last spring",
    "Tomei um café na padaria perto da estação",
    "Nothing about any of that here, just a note on taxes",
    "The dog, the park, the coffee shop and the station, all on one street",
    "A bakery is opening next to the station",
    "OK",
]


def _entries(texts: list[str], role: str = "human") -> list[IndexEntry]:
    now = datetime.now(UTC)
    return [
        IndexEntry(str(uuid.uuid4()), f"m{i}", t, t, role, now, i, {}) for i, t in enumerate(texts)
    ]


async def _store(res: Resources, ident: Identity, entries: list[IndexEntry]) -> None:
    dims = len(await res.embeddings.aembed_query("dimensions"))
    vectors = np.ones((len(entries), dims), np.float32).tolist()
    with user_scope(ident.tenant_id, ident.user_id):
        async with tenant_connection(res.pool, ident.tenant_id) as conn, conn.transaction():
            await conn.execute(threads.CLAIM, threads.claim_params(ident))
            await message_index.insert(conn, ident, entries, vectors)


async def test_postings_rank_as_every_row_did_and_only_the_users(resources: Resources):
    tenant, other_tenant = (f"eval-lex-{uuid.uuid4().hex[:8]}" for _ in range(2))
    me = Identity(tenant, "small-user", "t-me")
    # Others hold many rows with the question's words: any of them in my results is a leak.
    crowd = [f"coffee shop {i} by the station, dog park and bakery" for i in range(120)]
    try:
        for k in range(4):
            await _store(resources, Identity(tenant, f"big-{k}", f"t-{k}"), _entries(crowd))
        await _store(resources, Identity(other_tenant, me.user_id, "t-x"), _entries(crowd))
        entries = _entries(MINE)
        await _store(resources, me, entries)
        await _store(resources, me, _entries(["the coffee shop by the station"] * 3, role="ai"))

        params = {
            "tenant_id": tenant,
            "user_id": me.user_id,
            "query": QUESTION,
            "configs": query_configs(None),
            "limit": 8,
            "k1": 1.2,
            "b": 0.75,
            "role": ["human"],
        }
        with user_scope(tenant, me.user_id):
            found = await message_index.lexical(
                resources.pool, me, QUESTION, 8, configs=params["configs"], k1=1.2, b=0.75
            )
            async with tenant_connection(resources.pool, tenant) as conn:
                every = await (await conn.execute(LEXICAL_EVERY_ROW, params)).fetchall()
        assert [r["id"] for r in found] == [r["id"] for r in every]
        assert [r["lexical"] for r in found] == pytest.approx([r["lexical"] for r in every])
        assert len(found) >= 5 and {r["id"] for r in found} <= {e.id for e in entries}
        # As the app, acting for the user, the question's words are conditions of the
        # postings btree (equality is LEAKPROOF; `@@` was not and lost the GIN index).
        async with user_connection(resources.pool, tenant, me.user_id) as conn:
            await conn.execute("SET enable_seqscan = off")
            cur = await conn.execute(sql.SQL("EXPLAIN ") + message_index.LEXICAL, params)
            plan = "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())
        hits = plan.split("CTE hits")[1].splitlines()
        assert "memory_message_terms_user_idx" in hits[1] and "lexeme = ANY" in hits[2], plan
        # Stemmed in the row's own language: the Portuguese row found by "estação".
        assert row_language(MINE[5]) == "pt"
        words = " ".join(terms("a estação"))
        pt = await message_index.lexical(
            resources.pool, me, words, 8, configs=query_configs("pt"), k1=1.2, b=0.75
        )
        assert [r["content"] for r in pt] == [MINE[5]]

        await resources.forgetter.forget_user(tenant, me.user_id)
        async with tenant_connection(resources.pool, tenant) as conn:
            cur = await conn.execute(
                "SELECT count(*) AS n FROM memory_message_terms WHERE user_id = %s", (me.user_id,)
            )
            assert (await cur.fetchone())["n"] == 0
        assert (
            await message_index.lexical(
                resources.pool, me, QUESTION, 8, configs=params["configs"], k1=1.2, b=0.75
            )
            == []
        )
    finally:
        for t in (tenant, other_tenant):
            await delete_tenant(resources, t)
