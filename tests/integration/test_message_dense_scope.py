"""The messages dense leg at scale: a user's rows ranked exactly, nobody else's ever returned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import pytest

from evals.locomo import delete_tenant
from graph.resources import Resources
from memory import message_index
from memory.message_index import IndexEntry
from storage.identity import Identity
from storage.tenancy import tenant_connection, user_scope

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
            await message_index.insert(conn, ident, entries, vectors.tolist())


async def test_small_users_rows_come_in_exact_order_and_only_theirs(resources: Resources):
    dims = len(await resources.embeddings.aembed_query("dimensions"))
    rng = np.random.default_rng(17)
    query = rng.standard_normal(dims).astype(np.float32)
    query /= np.linalg.norm(query)
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
