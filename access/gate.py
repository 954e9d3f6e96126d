"""Who a request is: a tenant key's tenant, a user token's user, or local mode.

One gate per process, shared by memoria's HTTP server and the LangGraph server's auth handler.
A tenant (service) key acts for any user of its tenant: the caller names the user. A user
token acts for its one user: the caller cannot name another.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from psycopg_pool import AsyncConnectionPool

from access.api_keys import KEY_REQUIRED, PREFIX, UNKNOWN_KEY, ApiKeys, KeyRefused
from access.user_tokens import UserTokens, looks_like_token
from configs.settings import Settings

# How long `auto` mode trusts "no key exists" before asking Postgres again.
KEYS_RECHECK_S = 5.0


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a tenant key, or a user token (then `user_id` is set)."""

    tenant_id: str
    key_id: str
    user_id: str | None = None
    token_id: str | None = None

    @property
    def is_user_token(self) -> bool:
        """Whether the caller holds a user token, bound to `user_id`."""
        return self.user_id is not None


class KeyGate:
    """Decide who a request is: its key's tenant, its token's user, or local mode."""

    def __init__(
        self, keys: ApiKeys, tokens: UserTokens, mode: Literal["auto", "api_key", "off"]
    ) -> None:
        """Check keys with `keys` and tokens with `tokens` under `mode` (`memoria_auth`)."""
        self.keys = keys
        self.tokens = tokens
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
            self._required = await self.keys.any_active()
            self._checked_at = time.monotonic()
        return self._required

    async def check(self, credential: str | None) -> Principal | None:
        """Return who presents `credential` (a key or a user token), or None for local mode.

        Raises:
            KeyRefused: The key or token is not valid (unknown, revoked, expired, altered),
                or there is none and keys are required; the message says what to send.
        """
        if self._mode != "off" and credential is not None:
            if credential.startswith(PREFIX):
                found = await self.keys.authenticate(credential)
                if found is None:
                    raise KeyRefused(UNKNOWN_KEY)
                return Principal(tenant_id=found[1], key_id=found[0])
            if looks_like_token(credential):
                claims = await self.tokens.verify(credential)
                return Principal(
                    tenant_id=claims.tenant_id,
                    key_id=claims.key_id,
                    user_id=claims.user_id,
                    token_id=claims.token_id,
                )
            raise KeyRefused(UNKNOWN_KEY)
        if await self.keys_required():
            raise KeyRefused(KEY_REQUIRED)
        return None


def build_gate(pool: AsyncConnectionPool, settings: Settings) -> KeyGate:
    """Return the gate `settings` ask for, over `pool` (autocommit, dict rows)."""
    secret = settings.memoria_token_secret
    tokens = UserTokens(pool, secret.get_secret_value() if secret else None)
    return KeyGate(ApiKeys(pool), tokens, settings.memoria_auth)
