"""Consent (`memory_consent`): whether memoria may remember a user beyond the thread at hand.

A user's own choice wins; without one, their tenant's default (`MEMORIA_PRIVACY`) holds. With
memory off a turn is answered but keeps nothing beyond what its thread needs to go on (its
LangGraph checkpoint and the thread's ownership row): no transcript, message index, outbox job,
facts, summaries, strategy log, hot window or cache entry, and no recall from other threads.
An incognito thread (the run's `incognito` knob) behaves the same whatever the consent.

The consent is read in the round trip that opens a turn (`READ_CONSENT` beside the thread check),
so honouring it costs no extra query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool

from storage.tenancy import tenant_connection

# Column `consent` (true, false, or NULL when the user never chose) for %(tenant_id)s and
# %(user_id)s, to select beside another statement's results.
READ_CONSENT = """
    (SELECT memory FROM memory_consent
     WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s) AS consent
"""
GET = f"SELECT {READ_CONSENT}"
SET = """
    INSERT INTO memory_consent (tenant_id, user_id, memory)
    VALUES (%(tenant_id)s, %(user_id)s, %(memory)s)
    ON CONFLICT (tenant_id, user_id) DO UPDATE SET memory = EXCLUDED.memory, updated_at = now()
    RETURNING updated_at
"""
EXPORT = """
    SELECT memory, updated_at FROM memory_consent WHERE tenant_id = %s AND user_id = %s
"""


@dataclass(frozen=True)
class Consent:
    """Whether a user's memory is on, and whose choice that is."""

    memory: bool
    """True: turns are stored, indexed and recalled across threads."""
    source: str
    """"user" (their own choice) or "tenant" (the tenant's default, no choice made)."""

    def as_dict(self) -> dict[str, Any]:
        """Return the consent as JSON-ready data."""
        return {"memory": self.memory, "source": self.source}


def resolve(choice: bool | None, tenant_default: bool) -> Consent:
    """Return the consent in force: the user's `choice`, else the tenant's default."""
    if choice is None:
        return Consent(tenant_default, "tenant")
    return Consent(choice, "user")


async def read(pool: AsyncConnectionPool, tenant_id: str, user_id: str) -> bool | None:
    """Return the user's own choice (None: they made none)."""
    async with tenant_connection(pool, tenant_id) as conn:
        cur = await conn.execute(GET, {"tenant_id": tenant_id, "user_id": user_id})
        row = await cur.fetchone()
    return None if row is None else row["consent"]


async def record(pool: AsyncConnectionPool, tenant_id: str, user_id: str, memory: bool) -> None:
    """Record the user's choice: memory on or off from their next turn."""
    params = {"tenant_id": tenant_id, "user_id": user_id, "memory": memory}
    async with tenant_connection(pool, tenant_id) as conn:
        await conn.execute(SET, params)


async def in_force(
    pool: AsyncConnectionPool, tenant_id: str, user_id: str, tenant_default: bool
) -> Consent:
    """Return the user's consent in force: their own choice, else `tenant_default`."""
    return resolve(await read(pool, tenant_id, user_id), tenant_default)
