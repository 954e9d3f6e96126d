"""`/users/{user_id}`: what memoria knows of a user (facts, routing), consent; forgetting them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ApiDep, CallerDep, TenantHeader, UserId, user_ident
from api.problems import unprocessable
from memory import consent, export, strategy_log

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
    return (await api.resources.consent(ident)).as_dict()


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


# How an export is sent: its media type and the file name's extension.
EXPORT_FORMATS = {"jsonl": ("application/x-ndjson", "jsonl"), "json": ("application/json", "json")}


@router.get(
    "/{user_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {media: {} for media, _ in EXPORT_FORMATS.values()}}},
)
async def export_user(
    user_id: UserId,
    api: ApiDep,
    caller: CallerDep,
    x_tenant_id: TenantHeader = None,
    format: Annotated[Literal["jsonl", "json"], Query()] = "jsonl",  # noqa: A002 - its name
) -> StreamingResponse:
    """Stream everything memoria holds about the user, store by store, with a schema version.

    `jsonl`: a header line, then one record per line (`store` names its store); `json`: one
    document with the header's fields and `data` holding an array per store.
    """
    ident = user_ident(caller, x_tenant_id, user_id, "the path's user_id")
    res = api.resources
    said = await api.resources.consent(ident)
    head = export.header(ident.tenant_id, ident.user_id, said.as_dict())
    exporter = export.Exporter(pool=res.pool, checkpointer=res.storage.checkpointer)
    render = export.json_lines if format == "jsonl" else export.json_document
    media, extension = EXPORT_FORMATS[format]
    return StreamingResponse(
        render(head, exporter.sections(ident.tenant_id, ident.user_id)),
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="memoria-{ident.user_id}.{extension}"'
        },
    )
