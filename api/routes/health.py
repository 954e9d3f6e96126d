"""Health: liveness, readiness (Postgres required, Redis optional) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ApiDep, CallerDep
from api.problems import RETRY_AFTER_S

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Report that the process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(api: ApiDep) -> JSONResponse:
    """Report whether Postgres (required) and Redis (speed layer, optional) answer."""
    storage = api.resources.storage
    pg_ok = await storage.postgres_reachable()
    redis_ok = await storage.redis_reachable()
    body = {
        "status": ("ok" if redis_ok else "degraded") if pg_ok else "unavailable",
        "postgres": "ok" if pg_ok else "unreachable",
        "redis": "ok" if redis_ok else "unreachable (serving from Postgres)",
    }
    if pg_ok:
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


@router.get("/metrics", response_class=Response)
async def metrics(_: CallerDep) -> Response:
    """Prometheus metrics: strategy use, cache hits, Redis fallbacks, write ack, outbox lag.

    Any tenant's key may read them when keys are required: they count every tenant's
    requests together, and no counter moves on what another tenant sent (the embedding
    cache a hit counts is per tenant).
    """
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
