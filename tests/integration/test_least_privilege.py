"""Least privilege: what a database session of the app could do if someone else drove it.

Row-level security (test_row_level_security.py) catches our own forgotten filters; these
tests check what stays locked when a session runs SQL it was never meant to: `RESET ROLE`,
queries on the tables LangGraph owns, inserting API keys.
"""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from psycopg.errors import InsufficientPrivilege

from access.api_keys import ApiKeys, digest
from graph.resources import Resources
from memory.facts import facts_namespace
from storage.tenancy import CHECKPOINT_TABLES, tenant_connection, tenant_scope
from tests.integration.test_long_term_memory import ident_of
from tests.support import mint_key, new_config

pytestmark = pytest.mark.integration


async def _a_thread(resources: Resources):
    ident = ident_of(new_config())
    turn = [
        HumanMessage(f"My code word is {uuid.uuid4().hex[:8]}.", id=str(uuid.uuid4())),
        AIMessage("Noted.", id=str(uuid.uuid4())),
    ]
    await resources.conversation.append(ident, turn)
    return ident


def _values(row) -> tuple:
    """Return a row's values, from the dict rows of the main pool or the history pool's tuples."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


async def test_reset_role_leaves_an_app_session_unprivileged(resources: Resources):
    a, b = await _a_thread(resources), await _a_thread(resources)
    for pool in (resources.pool, resources.storage.history_pool):
        async with tenant_connection(pool, a.tenant_id) as conn:
            # RESET goes back to the role the session started with; NONE to the login itself.
            for undo in ("RESET ROLE", "SET ROLE NONE", "RESET SESSION AUTHORIZATION"):
                await conn.execute(undo)
                cur = await conn.execute(
                    "SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole,"
                    " (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) AS roles"
                    " FROM pg_roles r WHERE r.rolname IN (current_user, session_user)"
                )
                assert {_values(row) for row in await cur.fetchall()} == {(False, False, False, 0)}
            cur = await conn.execute("SELECT DISTINCT tenant_id FROM threads")
            assert {_values(row)[0] for row in await cur.fetchall()} == {a.tenant_id}
            cur = await conn.execute(
                "SELECT count(*) FROM threads WHERE tenant_id = %s", (b.tenant_id,)
            )
            assert _values(await cur.fetchone()) == (0,)
            with pytest.raises(InsufficientPrivilege):
                await conn.execute("SET ROLE postgres")
            if not conn.autocommit:
                await conn.rollback()


async def test_a_tenant_session_sees_and_mints_no_other_tenants_api_keys(resources: Resources):
    a, b = (f"t-{uuid.uuid4().hex[:8]}" for _ in range(2))
    b_id, b_key = await mint_key(resources.pool, b)
    async with tenant_connection(resources.pool, a) as conn:
        cur = await conn.execute("SELECT id FROM api_keys")  # no filter at all
        assert b_id not in {row["id"] for row in await cur.fetchall()}
        with pytest.raises(InsufficientPrivilege):
            await conn.execute(
                "INSERT INTO api_keys (id, tenant_id, key_hash) VALUES (%s, %s, %s)",
                (uuid.uuid4().hex[:8], b, digest(f"mk_x_{uuid.uuid4()}")),
            )
        cur = await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE id = %s", (b_id,))
        assert cur.rowcount == 0
    # Authentication, bound to no tenant yet, still finds the key by its digest alone.
    assert await ApiKeys(resources.pool).authenticate(b_key) == (b_id, b)


async def test_a_tenant_session_sees_and_writes_no_other_tenants_facts(resources: Resources):
    a, b = ident_of(new_config()), ident_of(new_config())
    with tenant_scope(b.tenant_id):
        await resources.facts.store.aput(facts_namespace(b), "k", {"text": "B's secret"})
    prefix_b = ".".join(facts_namespace(b))
    async with tenant_connection(resources.pool, a.tenant_id) as conn:
        for table in ("store", "store_vectors"):
            cur = await conn.execute(f"SELECT DISTINCT prefix FROM {table}")  # noqa: S608
            assert prefix_b not in {row["prefix"] for row in await cur.fetchall()}, table
        with pytest.raises(InsufficientPrivilege):
            await conn.execute(
                "INSERT INTO store (prefix, key, value) VALUES (%s, 'planted', '{}')", (prefix_b,)
            )
    async with tenant_connection(resources.pool, b.tenant_id) as conn:
        cur = await conn.execute("SELECT count(*) AS n FROM store WHERE prefix = %s", (prefix_b,))
        assert (await cur.fetchone())["n"] == 1


async def test_a_tenant_session_sees_and_writes_no_other_tenants_checkpoints(
    resources: Resources, agent
):
    a, b = new_config(), new_config()
    # Unbound, as a script invoking the graph is: the saver binds the config's tenant.
    await agent.ainvoke({"messages": [("human", "hello")]}, b)
    thread_b = b["configurable"]["thread_id"]
    async with tenant_connection(resources.pool, a["configurable"]["tenant_id"]) as conn:
        for table in CHECKPOINT_TABLES:
            cur = await conn.execute(
                f"SELECT count(*) AS n FROM {table} WHERE thread_id = %s",  # noqa: S608
                (thread_b,),
            )
            assert (await cur.fetchone())["n"] == 0, table
        with pytest.raises(InsufficientPrivilege):
            await conn.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, checkpoint,"
                " metadata, tenant_id) VALUES (%s, '', %s, '{}', '{}', %s)",
                (thread_b, str(uuid.uuid4()), b["configurable"]["tenant_id"]),
            )
    # Its own tenant reads it back through LangGraph.
    assert (await agent.aget_state(b)).values["messages"][-1].type == "ai"


async def test_the_page_and_every_answer_carry_the_security_headers(client):
    for method, path in [("GET", "/"), ("GET", "/web/app.js"), ("GET", "/healthz"),
                         ("GET", "/threads"), ("POST", "/agent/invoke")]:  # fmt: skip
        answer = await client.request(method, path)  # the last two: 422, no user or body
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "no-referrer", path
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy, path
