"""`/users/{user_id}`: what memoria knows of a user (facts, routing); forgetting them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ApiDep, CallerDep, TenantHeader, UserId, user_ident
from memory import strategy_log

router = APIRouter(prefix="/users", tags=["memory"])


@router.get("/{user_id}/facts")
async def user_facts(
    user_id: UserId, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """The user's facts: current ones, and every closed one with when it stopped holding."""
    items = await api.resources.facts.history(
        user_ident(caller, x_tenant_id, user_id, "the path's user_id")
    )
    facts = [{"key": item.key, **item.value} for item in items]
    return {
        "current": [f for f in facts if f.get("current")],
        "history": [f for f in facts if not f.get("current")],
    }


@router.get("/{user_id}/strategy")
async def user_strategy(
    user_id: UserId,
    api: ApiDep,
    caller: CallerDep,
    x_tenant_id: TenantHeader = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    """The user's latest routing decisions: strategy, why, results, latency, cache."""
    ident = user_ident(caller, x_tenant_id, user_id, "the path's user_id")
    pool = api.resources.pool
    return {"decisions": await strategy_log.latest(pool, ident.tenant_id, ident.user_id, limit)}


@router.delete("/{user_id}")
async def forget_user(
    user_id: UserId, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """Delete everything memoria holds about a user; return a receipt per store."""
    ident = user_ident(caller, x_tenant_id, user_id, "the path's user_id")
    return (await api.resources.forgetter.forget_user(ident.tenant_id, ident.user_id)).as_dict()
