"""`/users/{user_id}/memories`: a user's memory, called directly as mem0 and Zep users do.

Add (a fact now, or a conversation to learn from), search (facts, past messages, documents,
with scores and provenance), list, get, correct (the old version stays in the history),
delete (with a receipt) and history. A tenant key acts for any user of its tenant, a user
token for its own user only (`403` for another); another user's memory id reads as `404`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi import Path as PathParam
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.store.base import Item

from api.deps import (
    ID_PARAM,
    ApiDep,
    CallerDep,
    TenantHeader,
    UserId,
    user_ident,
    validated,
)
from api.problems import unprocessable
from api.runs import checked_text
from memoria.models import (
    AddMemory,
    AddResult,
    DeleteReceipt,
    Memory,
    MemoryList,
    SearchMemory,
    SearchResult,
    SearchResults,
    UpdateMemory,
)
from retrievers.memory_search import MemoryQuery, item_id, kind_of, search
from retrievers.types import Candidate
from storage.identity import Identity

router = APIRouter(prefix="/users/{user_id}/memories", tags=["memory"])

MemoryId = Annotated[str, PathParam(description="A memory's id.", json_schema_extra=ID_PARAM)]
NOT_FOUND = {404: {"description": "The user has no memory of that id."}}


def as_memory(item: Item) -> Memory:
    """Return a stored fact as the API shows it."""
    return Memory.model_validate({**item.value, "id": item.key})


def as_result(cand: Candidate) -> SearchResult:
    """Return a retrieved candidate as a search result with its provenance."""
    return SearchResult(
        id=item_id(cand),
        kind=kind_of(cand),
        text=cand["content"],
        score=cand["scores"].get("fused", 0.0),
        scores=cand["scores"],
        provenance=cand["metadata"],
    )


async def memory_owner(
    user_id: UserId, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> Identity:
    """Return whose memory the path names, as the caller may reach it (403 otherwise)."""
    return user_ident(caller, x_tenant_id, user_id, "the path's user_id")


Owner = Annotated[Identity, Depends(memory_owner)]


@router.post(
    "",
    status_code=201,
    responses={202: {"model": AddResult, "description": "Messages stored, facts on the way."}},
)
async def add_memory(
    ident: Owner,
    body: AddMemory,
    api: ApiDep,
    response: Response,
) -> AddResult:
    """Remember a fact now (`text`, 201), or store a conversation to learn from (`messages`, 202).

    Messages go into the thread's transcript in one transaction with their indexing job,
    as a chat turn's do; the outbox worker then indexes them and extracts their facts.
    """
    limit = api.settings.memoria_max_message_chars
    if not (await api.resources.consent(ident)).memory:
        raise HTTPException(
            status_code=409,
            detail="memory is off for this user, so nothing was stored; turn it on with PUT "
            f'/users/{ident.user_id}/consent {{"memory": true}}',
        )
    if (body.text is None) == (body.messages is None):
        raise unprocessable("send either text (a fact) or messages (a conversation), not both")
    if body.text is not None:
        if body.thread_id is not None:
            raise unprocessable("thread_id goes with messages; leave it out with text")
        text = checked_text("text", body.text, limit).strip()
        if not text:
            raise unprocessable("text is empty; send the fact as a sentence")
        items = await api.resources.memories.add(ident, text, extractor=api.extractor)
        return AddResult(status="stored", memories=[as_memory(item) for item in items])
    messages = _messages(body, limit)
    thread = Identity(
        ident.tenant_id, ident.user_id, validated("thread_id", body.thread_id or str(uuid.uuid4()))
    )
    async with api.turns.hold([thread]):
        await api.resources.conversation.append(thread, messages, extractor=api.extractor.kind)
    response.status_code = 202
    return AddResult(
        status="queued", thread_id=thread.thread_id, message_ids=[str(m.id) for m in messages]
    )


def _messages(body: AddMemory, limit: int) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for i, message in enumerate(body.messages or []):
        content = checked_text(f"messages.{i}.content", message.content, limit, too_long=413)
        if not content.strip():
            raise unprocessable(f"messages.{i} is empty; send some text")
        kind = HumanMessage if message.role in ("user", "human") else AIMessage
        out.append(kind(content=content, id=str(uuid.uuid4())))
    return out


@router.get("")
async def list_memories(
    ident: Owner,
    api: ApiDep,
    include_history: Annotated[
        bool, Query(description="Also the superseded versions of facts.")
    ] = False,
    attribute: Annotated[
        str | None, Query(max_length=128, description="Only facts about this attribute.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MemoryList:
    """The user's facts, newest first: current ones, or with their history."""
    if attribute is not None:
        attribute = checked_text("attribute", attribute, 128)
    items = await api.resources.memories.list(
        ident, include_history=include_history, attribute=attribute, limit=limit, offset=offset
    )
    return MemoryList(memories=[as_memory(item) for item in items])


@router.post("/search")
async def search_memories(
    ident: Owner,
    body: SearchMemory,
    api: ApiDep,
) -> SearchResults:
    """Search the user's facts and past messages (and the tenant's documents), best first."""
    query = checked_text("query", body.query, api.settings.memoria_max_message_chars)
    if not query.strip():
        raise unprocessable("query is empty; say what to look for")
    if body.thread_id is not None:
        validated("thread_id", body.thread_id)
    found = await search(
        api.resources.retriever,
        ident,
        MemoryQuery(
            query=query,
            k=body.k,
            kinds=tuple(dict.fromkeys(body.kinds)),
            thread_id=body.thread_id,
            after=body.after,
            before=body.before,
        ),
    )
    return SearchResults(results=[as_result(c) for c in found])


@router.get("/{memory_id}", responses=NOT_FOUND)
async def get_memory(
    ident: Owner,
    memory_id: MemoryId,
    api: ApiDep,
) -> Memory:
    """One fact of the user, current or superseded."""
    return as_memory(await api.resources.memories.get(ident, validated("memory_id", memory_id)))


@router.put("/{memory_id}", responses={**NOT_FOUND, 409: {"description": "Superseded already."}})
async def update_memory(
    ident: Owner,
    memory_id: MemoryId,
    body: UpdateMemory,
    api: ApiDep,
) -> Memory:
    """Correct a fact: the new version (returned) supersedes it, which stays in its history."""
    limit = api.settings.memoria_max_message_chars
    text = checked_text("text", body.text, limit).strip()
    value = checked_text("value", body.value, limit).strip() if body.value else None
    if not text or value == "":
        raise unprocessable("text (and value, when sent) must say something")
    key = validated("memory_id", memory_id)
    return as_memory(await api.resources.memories.correct(ident, key, text, value=value))


@router.delete("/{memory_id}", responses=NOT_FOUND)
async def delete_memory(
    ident: Owner,
    memory_id: MemoryId,
    api: ApiDep,
) -> DeleteReceipt:
    """Delete a fact and every version of it; the conversations that stated it stay."""
    receipt = await api.resources.memories.delete(ident, validated("memory_id", memory_id))
    return DeleteReceipt.model_validate(receipt.as_dict())


@router.get("/{memory_id}/history", responses=NOT_FOUND)
async def memory_history(
    ident: Owner,
    memory_id: MemoryId,
    api: ApiDep,
) -> MemoryList:
    """Every version of a fact, oldest first: what it said, and when each stopped holding."""
    chain = await api.resources.memories.history(ident, validated("memory_id", memory_id))
    return MemoryList(memories=[as_memory(item) for item in chain])
