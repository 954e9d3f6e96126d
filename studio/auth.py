"""memoria's API keys on LangGraph's own server (`langgraph dev`, LangGraph Platform).

langgraph.json names `auth`. While keys are required (`MEMORIA_AUTH`, as for memoria's HTTP
server) every request presents a key (`Authorization: Bearer <key>` or `X-API-Key`), which
names the tenant, and `X-User-Id`, the user acting in it. A thread is stamped with its owner
(tenant and user) when created, and every read, search, update and run of threads is filtered
by that stamp; crons, LangGraph's store and assistant edits are refused. The graph takes tenant
and user from the authenticated user, never from the run's config
(`storage.identity.identity_from_config`). In local mode every request passes as before.
"""

from __future__ import annotations

from typing import Any

from langgraph_sdk import Auth
from starlette.datastructures import Headers

from access.api_keys import KeyRefused, presented_key
from storage.identity import validate_id
from studio.runtime import key_gate

auth = Auth()

# Thread metadata naming whose thread it is.
OWNER_KEY = "owner"
# The permission of every request in local mode: nothing is filtered.
LOCAL_MODE = "memoria:local-mode"
THREAD_CREATES = ("create", "create_run")
THREAD_WRITES = (*THREAD_CREATES, "update")
USER_HEADER = "x-user-id"


def owner_of(tenant_id: str, user_id: str) -> str:
    """Return the owner stamp of a tenant's user; ids never contain '/', so it is unambiguous."""
    return f"{tenant_id}/{user_id}"


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes]) -> Auth.types.MinimalUserDict:
    """Return the key's tenant and the X-User-Id user, or the local-mode user."""
    request_headers = Headers(raw=list(headers.items()))
    gate = await key_gate()
    try:
        found = await gate.check(presented_key(request_headers))
    except KeyRefused as exc:
        raise Auth.exceptions.HTTPException(status_code=401, detail=str(exc)) from exc
    if found is None:
        # No identity, as LangGraph's server gives when it has no auth: it fills a run's
        # user_id from the identity, and local runs keep the config's user or MEMORIA_DEV_USER.
        return {"identity": "", "permissions": [LOCAL_MODE]}
    key_id, tenant_id = found
    user_id = request_headers.get(USER_HEADER)
    if not user_id:
        raise Auth.exceptions.HTTPException(
            status_code=401,
            detail="send 'X-User-Id: <user id>' with your API key: the key names the tenant, "
            "the header the user whose threads these are",
        )
    try:
        validate_id("X-User-Id", user_id)
    except ValueError as exc:
        raise Auth.exceptions.HTTPException(status_code=401, detail=str(exc)) from exc
    return {
        "identity": owner_of(tenant_id, user_id),
        "permissions": [],
        # Read by the graph (storage.identity.authenticated_scope) in place of the config's.
        "tenant_id": tenant_id,
        "user_id": user_id,
        "key_id": key_id,
    }


def _owner(ctx: Auth.types.AuthContext) -> str | None:
    """Return the caller's owner stamp; None in local mode; refuse anyone else."""
    if LOCAL_MODE in ctx.permissions:
        return None
    user = ctx.user
    if "tenant_id" not in user or "user_id" not in user:
        # No memoria tenant to scope it to: e.g. a Studio user let in by LangSmith, should
        # langgraph.json stop setting disable_studio_auth.
        raise Auth.exceptions.HTTPException(
            status_code=403, detail="authenticate with a memoria API key"
        )
    return owner_of(user["tenant_id"], user["user_id"])


@auth.on.threads
async def own_threads(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType | bool:
    """Stamp new and updated threads with their owner; show and run only the caller's own."""
    owner = _owner(ctx)
    if owner is None:
        return True
    if ctx.action in THREAD_CREATES and value.get("metadata") is None:
        value["metadata"] = {}
    metadata = value.get("metadata")
    if ctx.action in THREAD_WRITES and isinstance(metadata, dict):
        # Overwrite, never trust, an owner the client sent: it could name someone else.
        metadata[OWNER_KEY] = owner
    return {OWNER_KEY: owner}


@auth.on(resources="assistants", actions=["read", "search"])
async def system_assistants(
    ctx: Auth.types.AuthContext, value: Any
) -> Auth.types.FilterType | bool:
    """Let key holders see and run the assistants langgraph.json defines, no one else's."""
    return True if _owner(ctx) is None else {"created_by": "system"}


@auth.on
async def refuse_the_rest(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """Refuse key holders what memoria does not scope per user: crons, the store, assistant edits.

    A cron's runs have no authenticated user, and memoria keeps its memory in its own tables,
    not in LangGraph's store.
    """
    if _owner(ctx) is None:
        return True
    raise Auth.exceptions.HTTPException(
        status_code=403,
        detail=f"{ctx.resource}.{ctx.action} is not open to API keys; "
        "use threads and runs of the assistants langgraph.json defines",
    )
