"""Versions of what retrieval can see: one per user's memory and one per tenant's knowledge base.

Any write that changes what a search could return bumps its version in the same transaction;
cached retrievals are keyed by the versions they read, so a stale one is never read again.
Version 0 (no row) means nothing is stored yet, and the router skips that source.
"""

from __future__ import annotations

from psycopg import AsyncConnection

# `memory_versions.scope` of the tenant's knowledge base.
KB_SCOPE = "kb"


def user_scope(user_id: str) -> str:
    """Return the `memory_versions.scope` of `user_id`'s memory."""
    return f"user:{user_id}"


BUMP_VERSION = """
    INSERT INTO memory_versions (tenant_id, scope) VALUES (%(tenant_id)s, %(scope)s)
    ON CONFLICT (tenant_id, scope)
    DO UPDATE SET version = memory_versions.version + 1, updated_at = now()
"""
# Columns `memory_version` and `kb_version` for %(tenant_id)s and %(user_id)s (0 when unset),
# to select beside another statement's results.
READ_VERSIONS = f"""
    coalesce((SELECT version FROM memory_versions
              WHERE tenant_id = %(tenant_id)s AND scope = 'user:' || %(user_id)s), 0)
        AS memory_version,
    coalesce((SELECT version FROM memory_versions
              WHERE tenant_id = %(tenant_id)s AND scope = '{KB_SCOPE}'), 0) AS kb_version
"""


def version_label(memory_version: int, kb_version: int) -> str:
    """Return the version a turn reads, e.g. "12.3": the user's memory, then the knowledge base."""
    return f"{memory_version}.{kb_version}"


async def bump_user(conn: AsyncConnection, tenant_id: str, user_id: str) -> None:
    """Bump the version of one user's memory, in the caller's transaction."""
    await conn.execute(BUMP_VERSION, {"tenant_id": tenant_id, "scope": user_scope(user_id)})


async def bump_kb(conn: AsyncConnection, tenant_id: str) -> None:
    """Bump the version of a tenant's knowledge base, in the caller's transaction."""
    await conn.execute(BUMP_VERSION, {"tenant_id": tenant_id, "scope": KB_SCOPE})
