"""Rate limits per user and per API key, on a real server; open when Redis is down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from access.ratelimit import Limit, RateLimiter
from storage.services import EmbeddedServices, ServiceURLs
from tests.support import ServerProcess, new_config

pytestmark = pytest.mark.integration


@pytest.fixture
def server(service_urls: ServiceURLs, own_redis: EmbeddedServices) -> Iterator[ServerProcess]:
    # Hour windows: a window boundary inside the test is all but impossible.
    urls = ServiceURLs(service_urls.database_url, own_redis.redis_url)
    with ServerProcess(urls, MEMORIA_RATE_LIMIT_PER_USER="5/hour") as proc:
        yield proc


def test_sixth_turn_of_a_user_within_a_limit_of_5_gets_429_with_retry_after(server):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    statuses = [server.invoke("hello", new_config(tenant, user)).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = server.invoke("hello", new_config(tenant, user))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert "5/hour" in refused.json()["detail"]
    # Another user of the same tenant, and the same user id in another tenant, are not held up.
    assert server.invoke("hello", new_config(tenant)).status_code == 200
    assert server.invoke("hello", new_config(user=user)).status_code == 200


def test_redis_down_means_no_limit_rather_than_no_service(server, own_redis):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    own_redis.stop_redis()
    statuses = [server.invoke("hello", new_config(tenant, user)).status_code for _ in range(7)]
    assert statuses == [200] * 7
    ready = httpx.get(f"{server.url}/readyz", timeout=10).json()
    assert ready["status"] == "degraded" and ready["postgres"] == "ok"


async def test_key_counters_are_per_key_and_per_tenant(resources):
    limit = Limit(3, 3600)
    tenant, other = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    limiter = RateLimiter(resources.storage.speed)
    waits = [await limiter.retry_after(tenant, "key:k1", limit) for _ in range(4)]
    assert waits[:3] == [None, None, None] and 1 <= waits[3] <= 3600
    assert await limiter.retry_after(tenant, "key:k2", limit) is None
    assert await limiter.retry_after(other, "key:k1", limit) is None
