"""The messages dense leg at scale: a user's nearest rows in exact order, nobody else's ever."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import pytest
from psycopg import sql

from evals.locomo import delete_tenant
from graph.resources import Resources
from memory import message_index, threads
from memory.message_index import IndexEntry
from storage.identity import Identity
from storage.search import vector_literal
from storage.tenancy import tenant_connection, user_connection, user_scope

pytestmark = pytest.mark.integration


def _entries(n: int, role: str = "human") -> list[IndexEntry]:
    now = datetime.now(UTC)
    return [
        IndexEntry(str(uuid.uuid4()), f"m{i}", f"message {i}", f"message {i}", role, now, i, {})
        for i in range(n)
    ]


async def _store(res: Resources, ident: Identity, entries: list[IndexEntry], vectors) -> None:
    with user_scope(ident.tenant_id, ident.user_id):
        async with tenant_connection(res.pool, ident.tenant_id) as conn, conn.transaction():
            await conn.execute(threads.CLAIM, threads.claim_params(ident))
            await message_index.insert(conn, ident, entries, vectors.tolist())


async def _question(res: Resources, seed: int) -> tuple[np.random.Generator, np.ndarray]:
    """Return a random generator and a random unit vector of the model's size drawn from it."""
    dims = len(await res.embeddings.aembed_query("dimensions"))
    rng = np.random.default_rng(seed)
    query = rng.standard_normal(dims).astype(np.float32)
    return rng, query / np.linalg.norm(query)


async def test_small_users_rows_come_in_exact_order_and_only_theirs(resources: Resources):
    rng, query = await _question(resources, 17)
    dims = len(query)
    tenant, other_tenant = (f"eval-dense-{uuid.uuid4().hex[:8]}" for _ in range(2))
    me = Identity(tenant, "small-user", "t-me")
    try:
        # Everyone else's rows are nearer the question than any of mine: a leak, or an
        # approximate search that fills its k from them and filters after, would show.
        def near(n: int):
            return query + 0.05 * rng.standard_normal((n, dims)).astype(np.float32)

        for k in range(6):
            await _store(
                resources, Identity(tenant, f"big-{k}", f"t-{k}"), _entries(150), near(150)
            )
        await _store(resources, Identity(other_tenant, me.user_id, "t-x"), _entries(50), near(50))
        mine = rng.standard_normal((40, dims)).astype(np.float32)
        entries = _entries(40)
        await _store(resources, me, entries, mine)
        # My assistant's replies are not what "my messages" are searched for by default.
        await _store(resources, me, _entries(10, role="ai"), near(10))

        unit = mine / np.linalg.norm(mine, axis=1, keepdims=True)
        exact = [entries[i].id for i in np.argsort(-(unit @ query), kind="stable")[:10]]
        with user_scope(tenant, me.user_id):
            found = await message_index.dense(resources.pool, me, query.tolist(), 10)
            # Past the exact path's bound, HNSW still returns only mine.
            approx = await message_index.dense(
                resources.pool, me, query.tolist(), 10, exact_up_to=10
            )
        assert [r["id"] for r in found] == exact
        assert len(approx) == 10 and {r["id"] for r in approx} <= {e.id for e in entries}
    finally:
        for t in (tenant, other_tenant):
            await delete_tenant(resources, t)


async def test_a_users_nearest_come_from_their_half_vectors_until_forgotten(
    resources: Resources,
):
    rng, query = await _question(resources, 23)
    dims = len(query)
    tenant, other_tenant = (f"eval-half-{uuid.uuid4().hex[:8]}" for _ in range(2))
    me = Identity(tenant, "some-user", "t-me")
    try:
        near = query + 0.05 * rng.standard_normal((100, dims)).astype(np.float32) / np.sqrt(dims)
        await _store(resources, Identity(tenant, "big-0", "t-0"), _entries(100), near)
        await _store(resources, Identity(other_tenant, me.user_id, "t-x"), _entries(100), near)
        # Most of my rows are unrelated to the question; ten lie at growing distances from it
        # (cosine 1 / sqrt(1 + s^2)) and must come first, nearest first.
        noise = rng.standard_normal((10, dims)).astype(np.float32)
        noise -= np.outer(noise @ query, query)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        planted = query + np.linspace(0.3, 2.5, 10, dtype=np.float32)[:, None] * noise
        mine = np.vstack([rng.standard_normal((290, dims)).astype(np.float32), planted])
        entries = _entries(len(mine))
        await _store(resources, me, entries, mine)

        with user_scope(tenant, me.user_id):
            found = await message_index.dense(resources.pool, me, query.tolist(), 10)
        assert [r["id"] for r in found] == [e.id for e in entries[290:]]
        unit = planted / np.linalg.norm(planted, axis=1, keepdims=True)
        assert [r["distance"] for r in found] == pytest.approx(1 - unit @ query, abs=1e-3)
        # As the app, acting for the user, the rows are read from the half vectors' index.
        params = {
            "tenant_id": tenant,
            "user_id": me.user_id,
            "vector": vector_literal(query.tolist()),
            "limit": 10,
            "role": ["human"],
            "exact_up_to": message_index.EXACT_UP_TO,
        }
        async with user_connection(resources.pool, tenant, me.user_id) as conn:
            await conn.execute("SET enable_seqscan = off")
            cur = await conn.execute(sql.SQL("EXPLAIN ") + message_index.DENSE, params)
            plan = "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())
        scored = plan.split("CTE scored")[1].split("\n  CTE ")[0]
        assert "using memory_message_half_vectors_user_idx" in scored, plan

        await resources.forgetter.forget_user(tenant, me.user_id)
        async with tenant_connection(resources.pool, tenant) as conn:
            cur = await conn.execute(
                "SELECT count(*) AS n FROM memory_message_half_vectors WHERE user_id = %s",
                (me.user_id,),
            )
            assert (await cur.fetchone())["n"] == 0
        with user_scope(tenant, me.user_id):
            assert await message_index.dense(resources.pool, me, query.tolist(), 10) == []
    finally:
        for t in (tenant, other_tenant):
            await delete_tenant(resources, t)
