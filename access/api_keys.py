"""API keys: each maps a caller to one tenant. Only SHA-256 digests are stored.

A key reads `mk_<id>_<secret>`: the id names it in listings and revocations, the secret is 32
random bytes. Authentication hashes the presented key and looks the digest up, so a key is
shown once, when it is created, and never again.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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
# How long `auto` mode trusts "no key exists" before asking Postgres again.
KEYS_RECHECK_S = 5.0
UNKNOWN_KEY = "the API key is unknown or revoked"
KEY_REQUIRED = (
    "this server requires an API key: send 'Authorization: Bearer <key>' "
    "(an operator creates one with `memoria keys create --tenant TENANT`)"
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
    """A request that may not pass: its key is unknown or revoked, or keys are required."""


class KeyGate:
    """Decide who a request is: its key's tenant, or local mode while keys are not required.

    One per process, shared by memoria's HTTP server and the LangGraph server's auth handler.
    """

    def __init__(self, keys: ApiKeys, mode: Literal["auto", "api_key", "off"]) -> None:
        """Check keys with `keys` under `mode` (the `memoria_auth` setting)."""
        self._keys = keys
        self._mode = mode
        self._required = False
        self._checked_at = -KEYS_RECHECK_S

    async def keys_required(self) -> bool:
        """Whether a request without a key is refused."""
        if self._mode != "auto":
            return self._mode == "api_key"
        # Sticky: once a key exists this process keeps requiring keys, even if all are revoked.
        if self._required:
            return True
        if time.monotonic() - self._checked_at >= KEYS_RECHECK_S:
            self._required = await self._keys.any_active()
            self._checked_at = time.monotonic()
        return self._required

    async def check(self, key: str | None) -> tuple[str, str] | None:
        """Return (key id, tenant) of the presented `key`, or None for local mode.

        Raises:
            KeyRefused: The key is unknown or revoked, or there is none and keys are required;
                the message says what to send.
        """
        if self._mode != "off" and key is not None:
            found = await self._keys.authenticate(key)
            if found is None:
                raise KeyRefused(UNKNOWN_KEY)
            return found
        if await self.keys_required():
            raise KeyRefused(KEY_REQUIRED)
        return None
