"""Fixed-window rate limits in Redis, per API key and per user; open when Redis is down.

A limit reads "N/second", "N/minute" or "N/hour" ("off" or empty: no limit). Each window is
one Redis counter, `INCR` + `EXPIRE` in one round trip, keyed by tenant so tenants never share
a counter. If Redis is unreachable the request is allowed: a limiter must never turn a cache
outage into an API outage (the speed layer logs it and counts the fallback).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from storage.identity import redis_key
from storage.speed import SpeedLayer

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")
_WINDOWS = {"second": 1, "minute": 60, "hour": 3600}


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `window_s` seconds."""

    count: int
    window_s: int

    def __str__(self) -> str:
        """Return the limit as it is written in settings, e.g. "5/minute"."""
        unit = {v: k for k, v in _WINDOWS.items()}[self.window_s]
        return f"{self.count}/{unit}"


def parse_limit(text: str | None) -> Limit | None:
    """Parse "N/second|minute|hour"; None for "off", "" or None.

    Raises:
        ValueError: anything else, saying what is expected.
    """
    if text is None or text.strip().lower() in ("", "off"):
        return None
    match = _LIMIT.match(text.lower())
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"rate limit {text!r}: expected N/second, N/minute, N/hour or off")
    return Limit(int(match.group(1)), _WINDOWS[match.group(2)])


class RateLimiter:
    """Counts requests per scope in Redis fixed windows."""

    def __init__(self, speed: SpeedLayer) -> None:
        """Count in the Redis behind `speed`."""
        self._speed = speed

    async def retry_after(self, tenant_id: str, scope: str, limit: Limit) -> int | None:
        """Count one request of `scope`; return seconds to wait if over `limit`, else None."""
        now = time.time()
        window = int(now // limit.window_s)
        key = redis_key(tenant_id, "ratelimit", scope, str(limit.window_s), str(window))

        async def count(redis: Redis) -> int:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, limit.window_s + 1)
                n, _ = await pipe.execute()
            return int(n)

        n = await self._speed.run("ratelimit", count, 0)
        if n <= limit.count:
            return None
        return max(1, math.ceil((window + 1) * limit.window_s - now))
