"""`/threads`: a user's threads, a thread's transcript and summary, deleting a thread."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from langchain_core.messages import message_to_dict

from api.deps import ApiDep, CallerDep, TenantHeader, ThreadId, UserHeader, thread_ident, user_ident
from memory import summaries, threads
from memory.conversation import ThreadOwnershipError

router = APIRouter(prefix="/threads", tags=["memory"])


@router.get("")
async def list_threads(
    api: ApiDep,
    caller: CallerDep,
    x_user_id: UserHeader = None,
    x_tenant_id: TenantHeader = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """List the user's threads, most recently used first."""
    ident = user_ident(caller, x_tenant_id, x_user_id)
    pool = api.resources.pool
    return {"threads": await threads.list_threads(pool, ident.tenant_id, ident.user_id, limit)}


@router.get("/{thread_id}")
async def get_thread(
    thread_id: ThreadId,
    api: ApiDep,
    caller: CallerDep,
    x_user_id: UserHeader = None,
    x_tenant_id: TenantHeader = None,
) -> dict[str, Any]:
    """Return a thread's complete transcript and its running summary (404 if not yours)."""
    ident = thread_ident(caller, x_tenant_id, x_user_id, thread_id)
    res = api.resources
    if not await threads.owns(res.pool, ident):
        raise ThreadOwnershipError(thread_id)
    transcript = await res.conversation.transcript(ident)
    return {
        "thread_id": thread_id,
        "messages": [message_to_dict(m) for m in transcript],
        "summary": await summaries.latest(res.pool, ident),
    }


@router.delete("/{thread_id}")
async def delete_thread(
    thread_id: ThreadId,
    api: ApiDep,
    caller: CallerDep,
    x_user_id: UserHeader = None,
    x_tenant_id: TenantHeader = None,
) -> dict[str, Any]:
    """Delete one thread from every store; return a receipt of rows removed per store."""
    ident = thread_ident(caller, x_tenant_id, x_user_id, thread_id)
    return (await api.resources.forgetter.delete_thread(ident)).as_dict()
