"""API keys: each maps a caller to one tenant. Only SHA-256 digests are stored.

A key reads `mk_<id>_<secret>`: the id names it in listings and revocations, the secret is 32
random bytes. Authentication hashes the presented key and looks the digest up, so a key is
shown once, when it is created, and never again.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from storage.identity import validate_id
from storage.tenancy import ANY_API_KEY, FIND_API_KEY

PREFIX = "mk_"

INSERT_KEY = """
    INSERT INTO api_keys (id, tenant_id, name, key_hash)
    VALUES (%(id)s, %(tenant_id)s, %(name)s, %(key_hash)s)
"""
# Before its tenant is known, a key is found through the owner's functions, not the table
# (row-level security keeps a session to its tenant's keys: storage/tenancy.py).
FIND_KEY = FIND_API_KEY
ANY_ACTIVE = ANY_API_KEY
LIST_KEYS = """
    SELECT id, tenant_id, name, created_at, revoked_at FROM api_keys
    WHERE %(tenant_id)s::text IS NULL OR tenant_id = %(tenant_id)s
    ORDER BY created_at
"""
REVOKE_KEY = """
    UPDATE api_keys SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL RETURNING id
"""
UNKNOWN_KEY = "the API key is unknown or revoked"
KEY_REQUIRED = (
    "this server requires an API key: send 'Authorization: Bearer <key or user token>' "
    "(an operator creates a key with `memoria keys create --tenant TENANT`; a key mints "
    "user tokens with POST /tokens)"
)


@dataclass(frozen=True)
class KeyInfo:
    """A key as listings show it: never the secret."""

    id: str
    tenant_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


def digest(key: str) -> bytes:
    """Return the stored form of `key`."""
    return hashlib.sha256(key.encode("utf-8")).digest()


class ApiKeys:
    """Creates, lists, revokes and checks API keys (table `api_keys`)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        """Use `pool` (autocommit, dict rows)."""
        self._pool = pool

    async def create(self, tenant_id: str, name: str = "") -> tuple[str, str]:
        """Create a key for `tenant_id`; return (key id, the key itself — shown only now)."""
        validate_id("tenant_id", tenant_id)
        key_id = secrets.token_hex(4)
        key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        params = {"id": key_id, "tenant_id": tenant_id, "name": name, "key_hash": digest(key)}
        async with self._pool.connection() as conn:
            await conn.execute(INSERT_KEY, params)
        return key_id, key

    async def authenticate(self, key: str) -> tuple[str, str] | None:
        """Return (key id, tenant) of an active `key`; None if unknown, malformed or revoked."""
        if not key.startswith(PREFIX) or len(key) > 200:
            return None
        async with self._pool.connection() as conn:
            row = await (await conn.execute(FIND_KEY, (digest(key),))).fetchone()
        return (row["id"], row["tenant_id"]) if row else None

    async def any_active(self) -> bool:
        """Whether at least one key is active (then `auto` auth requires keys)."""
        async with self._pool.connection() as conn:
            row = await (await conn.execute(ANY_ACTIVE)).fetchone()
        return bool(row["any"])

    async def list(self, tenant_id: str | None = None) -> list[KeyInfo]:
        """Return the keys of `tenant_id` (every tenant's when None), oldest first."""
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(LIST_KEYS, {"tenant_id": tenant_id})).fetchall()
        return [KeyInfo(**row) for row in rows]

    async def revoke(self, key_id: str) -> bool:
        """Revoke a key by id; return False if no active key has that id."""
        async with self._pool.connection() as conn:
            row = await (await conn.execute(REVOKE_KEY, (key_id,))).fetchone()
        return row is not None


def presented_key(headers: Mapping[str, str]) -> str | None:
    """Return the key a request presents: `Authorization: Bearer <key>`, else `X-API-Key`.

    Args:
        headers: The request's headers, looked up case-insensitively (Starlette `Headers`).
    """
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key") or None


class KeyRefused(Exception):
    """A request that may not pass: its key or token is not valid, or keys are required."""
