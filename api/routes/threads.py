"""`/threads`: a user's threads, a thread's transcript and summary, deleting a thread."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from langchain_core.messages import message_to_dict
from langgraph.graph.state import CompiledStateGraph

from api.deps import ApiDep, CallerDep, TenantHeader, ThreadId, UserHeader, thread_ident, user_ident
from graph.turn import RESENT_TURN_LOOKBACK, http_config
from memory import summaries, threads
from memory.conversation import ThreadOwnershipError
from storage.identity import Identity
from text.language import detect

router = APIRouter(prefix="/threads", tags=["memory"])
TITLE_CHARS = 80


@router.get("")
async def list_threads(
    api: ApiDep,
    caller: CallerDep,
    x_user_id: UserHeader = None,
    x_tenant_id: TenantHeader = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """List the user's threads, most recently used first; `title` is each one's first question."""
    ident = user_ident(caller, x_tenant_id, x_user_id)
    found = await threads.list_threads(api.resources.pool, ident.tenant_id, ident.user_id, limit)
    idents = [Identity(ident.tenant_id, ident.user_id, t["thread_id"]) for t in found]
    titles = await api.resources.conversation.first_questions(idents)
    for thread in found:
        thread["title"] = _title(titles.get(thread["thread_id"]))
    return {"threads": found}


async def _citations(graph: CompiledStateGraph, ident: Identity) -> dict[str, list[Any]]:
    """Return the sources each answer cited, by the answer's message id.

    The transcript keeps the words; what an answer cited is in the checkpoint its turn left
    (the HTTP API writes one per turn), as far back as `RESENT_TURN_LOOKBACK` of them.
    """
    cited: dict[str, list[Any]] = {}
    history = graph.aget_state_history(http_config(ident), limit=RESENT_TURN_LOOKBACK)
    async for snapshot in history:
        messages, citations = snapshot.values.get("messages"), snapshot.values.get("citations")
        if messages and messages[-1].type == "ai" and citations:
            cited.setdefault(messages[-1].id, citations)
    return cited


def _title(question: str | None) -> str | None:
    """Return a thread's title: its first question, on one line, cut at `TITLE_CHARS`."""
    if not question:
        return None
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


@router.get("/{thread_id}")
async def get_thread(
    thread_id: ThreadId,
    api: ApiDep,
    caller: CallerDep,
    x_user_id: UserHeader = None,
    x_tenant_id: TenantHeader = None,
) -> dict[str, Any]:
    """Return a thread's transcript, its running summary, each answer's sources (404 if not yours).

    `citations` maps an answer's message id to the sources it cited; `language` is the one
    the user wrote in last (`en` when unclear).
    """
    ident = thread_ident(caller, x_tenant_id, x_user_id, thread_id)
    res = api.resources
    if not await threads.owns(res.pool, ident):
        raise ThreadOwnershipError(thread_id)
    transcript = await res.conversation.transcript(ident)
    said = [m.text for m in transcript if m.type == "human"]
    return {
        "thread_id": thread_id,
        "messages": [message_to_dict(m) for m in transcript],
        "summary": await summaries.latest(res.pool, ident),
        "citations": await _citations(api.graph, ident),
        # What the page labels itself in: the language of the user's last message.
        "language": (detect(said[-1]) if said else None) or "en",
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
