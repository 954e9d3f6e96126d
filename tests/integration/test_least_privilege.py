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

from graph.resources import Resources
from storage.tenancy import tenant_connection
from tests.integration.test_long_term_memory import ident_of
from tests.support import new_config

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
