"""`/users/{user_id}`: what memoria knows of a user (facts, routing), consent; forgetting them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ApiDep, CallerDep, TenantHeader, UserId, user_ident
from api.problems import unprocessable
from memory import consent, strategy_log

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


class ConsentChange(BaseModel):
    """A user's choice of memory on or off."""

    model_config = ConfigDict(extra="forbid")

    memory: bool = Field(
        description="true: turns are stored and recalled across threads; false: turns are "
        "answered but nothing is kept beyond each thread's own state."
    )
    erase: bool = Field(
        default=False,
        description="With memory false: also delete everything stored so far (as DELETE "
        "/users/{user_id} does), with a receipt.",
    )


@router.get("/{user_id}/consent")
async def user_consent(
    user_id: UserId, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """Whether memoria remembers this user, and whether that is their choice or the default."""
    ident = user_ident(caller, x_tenant_id, user_id, "the path's user_id")
    choice = await consent.read(api.resources.pool, ident.tenant_id, ident.user_id)
    default = api.settings.privacy(ident.tenant_id).memory
    return consent.resolve(choice, default).as_dict()


@router.put("/{user_id}/consent")
async def change_consent(
    user_id: UserId,
    change: ConsentChange,
    api: ApiDep,
    caller: CallerDep,
    x_tenant_id: TenantHeader = None,
) -> dict[str, Any]:
    """Turn the user's memory on or off from their next turn; off can erase what was stored."""
    ident = user_ident(caller, x_tenant_id, user_id, "the path's user_id")
    if change.erase and change.memory:
        raise unprocessable("erase is only allowed with memory false: turn memory off to erase")
    # The choice first: a turn racing the erase stores nothing once it commits.
    await consent.record(api.resources.pool, ident.tenant_id, ident.user_id, change.memory)
    body = consent.resolve(change.memory, True).as_dict()
    if change.erase:
        forgetter = api.resources.forgetter
        body["erased"] = (await forgetter.forget_user(ident.tenant_id, ident.user_id)).as_dict()
    return body
