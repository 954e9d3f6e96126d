"""Rate limits per user and per API key, over the HTTP API; open when Redis is down."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from access.ratelimit import Limit, RateLimiter
from graph.resources import Resources
from storage.services import EmbeddedServices
from tests.support import api_app, asgi_client, new_config, resources_like, turn_body

pytestmark = pytest.mark.integration

# Hour windows: a window boundary inside a test is all but impossible.
LIMITED = {"memoria_rate_limit_per_user": "5/hour"}


async def invoke(client: httpx.AsyncClient, config: dict) -> httpx.Response:
    return await client.post("/agent/invoke", json=turn_body("hello", config))


@pytest.fixture
async def limited(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(api_app(resources, **LIMITED)) as client:
        yield client


@pytest.fixture
async def limited_on_own_redis(
    resources: Resources, own_redis: EmbeddedServices
) -> AsyncIterator[httpx.AsyncClient]:
    """The same API on a Redis of the test's own, which the test may stop."""
    async with (
        resources_like(resources, redis_url=own_redis.redis_url) as res,
        asgi_client(api_app(res, **LIMITED)) as client,
    ):
        yield client


async def test_sixth_turn_of_a_user_within_a_limit_of_5_gets_429_with_retry_after(limited):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    statuses = [(await invoke(limited, new_config(tenant, user))).status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = await invoke(limited, new_config(tenant, user))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert "5/hour" in refused.json()["detail"]
    # Another user of the same tenant, and the same user id in another tenant, are not held up.
    assert (await invoke(limited, new_config(tenant))).status_code == 200
    assert (await invoke(limited, new_config(user=user))).status_code == 200


@pytest.mark.process
async def test_redis_down_means_no_limit_rather_than_no_service(limited_on_own_redis, own_redis):
    client = limited_on_own_redis
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    own_redis.stop_redis()
    statuses = [(await invoke(client, new_config(tenant, user))).status_code for _ in range(7)]
    assert statuses == [200] * 7
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "degraded" and ready["postgres"] == "ok"


async def test_key_counters_are_per_key_and_per_tenant(resources):
    limit = Limit(3, 3600)
    tenant, other = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    limiter = RateLimiter(resources.storage.speed)
    waits = [await limiter.retry_after(tenant, "key:k1", limit) for _ in range(4)]
    assert waits[:3] == [None, None, None] and 1 <= waits[3] <= 3600
    assert await limiter.retry_after(tenant, "key:k2", limit) is None
    assert await limiter.retry_after(other, "key:k1", limit) is None
