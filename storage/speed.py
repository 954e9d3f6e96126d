"""Redis as a speed layer: every call may fail, and a failure costs speed, never the request.

One `SpeedLayer` per process wraps the Redis client. When Redis errors or times out, the
layer logs once, counts the fallback, and skips Redis for a short pause instead of paying the
timeout on every request; the first call after the pause probes again, so it recovers by
itself when Redis returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, RedisError

from storage.metrics import REDIS_FALLBACKS, REDIS_UP

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Errors that mean "Redis is not there right now", as opposed to a bug in our call.
UNAVAILABLE = (RedisError, OSError, asyncio.TimeoutError)

# A stalled Redis must cost one short timeout, not the request.
SOCKET_TIMEOUT_S = 0.5


def connect_redis(url: str) -> Redis:
    """Return the client a `SpeedLayer` wraps: short timeouts, one immediate retry.

    redis-py's default retries a failed command three times with exponential backoff (up to
    ~14 s of sleeping, each attempt paying the socket timeout again): right for a job that
    must get through, wrong for a cache a request waits on. Here a connection that broke (a
    Redis restart) is retried once at once on a fresh one; a timeout is not retried.
    """
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        retry=Retry(NoBackoff(), 1, (ConnectionError,)),
    )


class SpeedLayer:
    """A Redis client whose calls fall back to a default while Redis is unreachable."""

    def __init__(self, redis: Redis, *, pause_s: float = 2.0) -> None:
        """Wrap `redis`; after a failure, skip Redis for `pause_s` seconds before probing."""
        self.redis = redis
        self._pause_s = pause_s
        self._down_until = 0.0
        self._down = False
        self._writes: set[asyncio.Task[None]] = set()
        REDIS_UP.set(1)

    @property
    def available(self) -> bool:
        """Whether calls currently go to Redis (False during the pause after a failure)."""
        return time.monotonic() >= self._down_until

    async def run(self, operation: str, call: Callable[[Redis], Awaitable[T]], default: T) -> T:
        """Return `await call(redis)`, or `default` when Redis is unreachable.

        Args:
            operation: Short name for logs and the fallback counter, e.g. "hot_window.read".
            call: The Redis work; it must be safe to skip (the data lives in Postgres).
            default: What the caller gets when the work is skipped or fails.
        """
        if not self.available:
            REDIS_FALLBACKS.labels(operation).inc()
            return default
        try:
            result = await call(self.redis)
        except UNAVAILABLE as exc:
            self._mark_down(operation, exc)
            return default
        if self._down:
            self._down = False
            REDIS_UP.set(1)
            logger.warning("Redis is reachable again; speed layer back on")
        return result

    def write_behind(self, operation: str, call: Callable[[Redis], Awaitable[None]]) -> None:
        """Run a cache write in the background, so the request does not wait for Redis.

        For writes whose loss costs only a later cache miss; `settle` waits for them.
        """
        task = asyncio.get_running_loop().create_task(self.run(operation, call, None))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def settle(self) -> None:
        """Wait for background writes in flight (before deleting keys, and at shutdown)."""
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def _mark_down(self, operation: str, exc: BaseException) -> None:
        REDIS_FALLBACKS.labels(operation).inc()
        self._down_until = time.monotonic() + self._pause_s
        if not self._down:
            self._down = True
            REDIS_UP.set(0)
            logger.warning(
                "Redis unavailable (%s: %s); serving from Postgres, retrying in %.0f s",
                operation,
                exc or type(exc).__name__,
                self._pause_s,
            )
