"""A turn's checkouts find a connection already set to its scope (storage/pool.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from psycopg.rows import dict_row

from storage.pool import FailFastPool, configure_connection
from storage.services import ServiceURLs
from storage.tenancy import USER_SETTING, user_scope

SESSION_USER = f"SELECT current_setting('{USER_SETTING}', true) AS user_id"


async def open_pool(
    service_urls: ServiceURLs, size: int, *, autocommit: bool, **options: Any
) -> FailFastPool:
    pool = FailFastPool(
        service_urls.database_url,
        min_size=size,
        max_size=size,
        open=False,
        kwargs={"autocommit": autocommit, "row_factory": dict_row},
        **options,
    )
    await pool.open(wait=True, timeout=30)
    return pool


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "transactions"])
async def test_a_checkout_takes_the_idle_connection_already_set_to_its_user(
    service_urls: ServiceURLs, autocommit: bool
):
    pool = await open_pool(service_urls, 3, autocommit=autocommit)
    try:
        with user_scope("pool-tenant", "alice"):
            async with pool.connection() as conn:
                alices = conn
        with user_scope("pool-tenant", "bob"):
            async with pool.connection() as conn:
                bobs = conn
        assert alices is not bobs
        # Handed out oldest first, alice's next checkouts would each find a connection set
        # to someone else (or nobody) and pay a round trip to set it again.
        for _ in range(3):
            with user_scope("pool-tenant", "alice"):
                async with pool.connection() as conn:
                    assert conn is alices
                    await conn.rollback()  # the scope is the session's: no rollback undoes it
                    row = await (await conn.execute(SESSION_USER)).fetchone()
                    assert row["user_id"] == "alice"
                    assert conn.autocommit is autocommit
        with user_scope("pool-tenant", "bob"):
            async with pool.connection() as conn:
                assert conn is bobs
                row = await (await conn.execute(SESSION_USER)).fetchone()
                assert row["user_id"] == "bob"
        with user_scope("pool-tenant", "carol"):  # nobody's: any connection, set to carol
            async with pool.connection() as conn:
                row = await (await conn.execute(SESSION_USER)).fetchone()
                assert row["user_id"] == "carol"
    finally:
        await pool.close()


async def test_pooled_jsonb_reads_back_exactly_what_json_would(service_urls: ServiceURLs):
    pool = await open_pool(service_urls, 1, autocommit=True, configure=configure_connection)
    value = {"n": 123456789012345678901234, "x": 1.5, "s": "Você", "l": [1, None, True]}
    try:
        with user_scope("pool-tenant", "alice"):
            async with pool.connection() as conn:
                row = await (
                    await conn.execute("SELECT %s::jsonb AS j", (json.dumps(value),))
                ).fetchone()
    finally:
        await pool.close()
    assert row["j"] == value
    assert isinstance(row["j"]["n"], int)  # orjson alone would give a float
