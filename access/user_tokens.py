"""User tokens: expiring, signed credentials for one user of one tenant, minted by a tenant key.

A tenant API key acts for any user of its tenant: right for a backend that names the user
itself, wrong for a page in one user's hands. A user token is a JWT (HS256, PyJWT) naming its
tenant (`tenant_id`), its user (`sub`), the key that minted it (`key_id`) and itself (`jti`),
with an expiry (`exp`). Each minted token is recorded in `user_tokens`, so one token, or all
of a user's, can be revoked, and revoking the minting key revokes what it minted.

The signing secret is MEMORIA_TOKEN_SECRET or, unset, one generated once and kept in Postgres
(`token_secret`). Every memoria process on that database (servers, workers, `langgraph dev`,
on any host or container) then verifies what any of them minted, and restarts change nothing;
a file under the data dir would be one host's alone, and the database is what every memoria
process already shares. Whoever reads that table can forge tokens, as whoever reads the
database can read everything the tokens guard; set the setting to keep the secret elsewhere.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from psycopg_pool import AsyncConnectionPool

from access.api_keys import KeyRefused
from storage.identity import validate_id
from storage.tenancy import tenant_connection

ALGORITHM = "HS256"
ISSUER = "memoria"
# Clock skew tolerated between the process that minted a token and the one that checks it.
LEEWAY_S = 10
CLAIMS = ["exp", "iat", "iss", "sub", "jti", "tenant_id", "key_id"]

READ_SECRET = "SELECT secret FROM token_secret"
# Concurrent first starts race here: the first insert wins and every process reads it.
INSERT_SECRET = "INSERT INTO token_secret (secret) VALUES (%s) ON CONFLICT DO NOTHING"
INSERT_TOKEN = """
    INSERT INTO user_tokens (jti, tenant_id, user_id, key_id, issued_at, expires_at)
    VALUES (%(jti)s, %(tenant_id)s, %(user_id)s, %(key_id)s, %(issued_at)s, %(expires_at)s)
"""
# Rows of tokens expired for a day are of no use to anyone: dropped as the tenant mints.
DROP_EXPIRED = (
    "DELETE FROM user_tokens WHERE tenant_id = %s AND expires_at < now() - interval '1 day'"
)
TOKEN_STATE = """
    SELECT t.revoked_at IS NOT NULL AS revoked,
           k.id IS NULL OR k.revoked_at IS NOT NULL OR k.tenant_id <> t.tenant_id AS key_revoked
    FROM user_tokens t LEFT JOIN api_keys k ON k.id = t.key_id
    WHERE t.jti = %(jti)s AND t.tenant_id = %(tenant_id)s AND t.user_id = %(user_id)s
      AND t.key_id = %(key_id)s
"""
REVOKE_TOKEN = """
    UPDATE user_tokens SET revoked_at = now()
    WHERE jti = %s AND tenant_id = %s AND revoked_at IS NULL RETURNING user_id
"""
REVOKE_USER = """
    UPDATE user_tokens SET revoked_at = now()
    WHERE tenant_id = %s AND user_id = %s AND revoked_at IS NULL AND expires_at > now()
"""

NOT_VALID = (
    "the user token is not valid (malformed, altered, or signed by another server); "
    "get a new one: POST /tokens with the tenant API key"
)
EXPIRED = "the user token has expired; get a new one: POST /tokens with the tenant API key"
REVOKED = "the user token was revoked; get a new one: POST /tokens with the tenant API key"
KEY_REVOKED = (
    "the API key that minted this user token was revoked, and its tokens with it; "
    "get a new one with an active tenant key"
)


@dataclass(frozen=True)
class UserToken:
    """A minted token and what it names; `token` is shown to its holder, never stored."""

    token: str
    token_id: str
    tenant_id: str
    user_id: str
    key_id: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    """Who a verified token acts for."""

    token_id: str
    tenant_id: str
    user_id: str
    key_id: str


def looks_like_token(credential: str) -> bool:
    """Whether `credential` has a JWT's shape (three dot-separated parts), not a key's."""
    return credential.count(".") == 2 and len(credential) <= 4096


class UserTokens:
    """Mints, verifies and revokes user tokens (table `user_tokens`)."""

    def __init__(self, pool: AsyncConnectionPool, secret: str | None = None) -> None:
        """Use `pool` (autocommit, dict rows); sign with `secret`, else the database's."""
        self._pool = pool
        self._secret = secret.encode("utf-8") if secret else None

    async def _signing_secret(self) -> bytes:
        if self._secret is None:
            async with self._pool.connection() as conn:
                await conn.execute(INSERT_SECRET, (secrets.token_bytes(32),))
                row = await (await conn.execute(READ_SECRET)).fetchone()
            assert row is not None
            self._secret = bytes(row["secret"])
        return self._secret

    async def mint(self, tenant_id: str, key_id: str, user_id: str, ttl_s: int) -> UserToken:
        """Mint a token for `user_id` of `tenant_id`, valid `ttl_s` seconds, on behalf of `key_id`.

        The caller has checked that `key_id` is an active key of `tenant_id`.
        """
        validate_id("user_id", user_id)
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user_id,
            "tenant_id": tenant_id,
            "key_id": key_id,
            "jti": secrets.token_hex(16),
            "iat": now,
            "exp": now + ttl_s,
        }
        row = {
            "jti": claims["jti"],
            "tenant_id": tenant_id,
            "user_id": user_id,
            "key_id": key_id,
            "issued_at": datetime.fromtimestamp(now, UTC),
            "expires_at": datetime.fromtimestamp(now + ttl_s, UTC),
        }
        token = jwt.encode(claims, await self._signing_secret(), algorithm=ALGORITHM)
        async with tenant_connection(self._pool, tenant_id) as conn:
            await conn.execute(DROP_EXPIRED, (tenant_id,))
            await conn.execute(INSERT_TOKEN, row)
        return UserToken(token, row["jti"], tenant_id, user_id, key_id, row["expires_at"])

    async def verify(self, token: str) -> TokenClaims:
        """Return whom `token` acts for.

        Raises:
            KeyRefused: It is malformed, altered, signed with another secret or algorithm,
                expired, revoked, or its minting key was revoked; the message says which.
        """
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                await self._signing_secret(),
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                leeway=LEEWAY_S,
                options={"require": CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise KeyRefused(EXPIRED) from exc
        except jwt.InvalidTokenError as exc:
            raise KeyRefused(NOT_VALID) from exc
        try:
            found = TokenClaims(
                token_id=str(claims["jti"]),
                tenant_id=validate_id("tenant_id", claims["tenant_id"]),
                user_id=validate_id("user_id", claims["sub"]),
                key_id=str(claims["key_id"]),
            )
        except (TypeError, ValueError) as exc:
            raise KeyRefused(NOT_VALID) from exc
        params = {
            "jti": found.token_id,
            "tenant_id": found.tenant_id,
            "user_id": found.user_id,
            "key_id": found.key_id,
        }
        async with tenant_connection(self._pool, found.tenant_id) as conn:
            state = await (await conn.execute(TOKEN_STATE, params)).fetchone()
        if state is None:
            # Signed with our secret yet never minted: the secret has leaked, or the row
            # was dropped long after expiry. Either way, not a token to honour.
            raise KeyRefused(NOT_VALID)
        if state["revoked"]:
            raise KeyRefused(REVOKED)
        if state["key_revoked"]:
            raise KeyRefused(KEY_REVOKED)
        return found

    async def revoke(self, tenant_id: str, token_id: str) -> bool:
        """Revoke one token of `tenant_id`; return False if it has no such active token."""
        async with tenant_connection(self._pool, tenant_id) as conn:
            row = await (await conn.execute(REVOKE_TOKEN, (token_id, tenant_id))).fetchone()
        return row is not None

    async def revoke_user(self, tenant_id: str, user_id: str) -> int:
        """Revoke every unexpired token of a user; return how many were active."""
        async with tenant_connection(self._pool, tenant_id) as conn:
            cur = await conn.execute(REVOKE_USER, (tenant_id, user_id))
            return cur.rowcount
