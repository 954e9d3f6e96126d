"""memoria's API keys on LangGraph's own server (`langgraph dev`, LangGraph Platform).

langgraph.json names `auth`. While keys are required (`MEMORIA_AUTH`, as for memoria's HTTP
server) every request presents a key (`Authorization: Bearer <key>` or `X-API-Key`), which
names the tenant, and `X-User-Id`, the user acting in it. A thread is stamped with its owner
(tenant and user) when created, and every read, search, update and run of threads is filtered
by that stamp; crons, LangGraph's store and assistant edits are refused. The graph takes tenant
and user from the authenticated user, never from the run's config
(`storage.identity.identity_from_config`). In local mode every request passes as before.

A user token (minted with a tenant key, access/user_tokens.py) names its user itself:
X-User-Id may be left out, and naming another user is refused (403). Runs may send webhooks
only to the hosts MEMORIA_WEBHOOK_HOSTS lists, in every mode: LangGraph's server would
otherwise post to any address it can reach, private networks included.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from langgraph_sdk import Auth
from starlette.datastructures import Headers

from access.api_keys import KeyRefused, presented_key
from configs.settings import get_settings
from memoria.models import MAX_TEXT_CHARS
from storage.identity import validate_id
from studio.runtime import key_gate
from studio.store import NAMESPACE, label

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
    """Return the key's tenant and the X-User-Id user, the token's user, or the local user."""
    request_headers = Headers(raw=list(headers.items()))
    gate = await key_gate()
    try:
        principal = await gate.check(presented_key(request_headers))
    except KeyRefused as exc:
        raise Auth.exceptions.HTTPException(status_code=401, detail=str(exc)) from exc
    if principal is None:
        # No identity, as LangGraph's server gives when it has no auth: it fills a run's
        # user_id from the identity, and local runs keep the config's user or MEMORIA_DEV_USER.
        return {"identity": "", "permissions": [LOCAL_MODE]}
    named = request_headers.get(USER_HEADER)
    if principal.user_id is not None:
        if named not in (None, "", principal.user_id):
            raise Auth.exceptions.HTTPException(
                status_code=403,
                detail="X-User-Id names another user than your user token's; a user token "
                "acts only for its own user: leave the header out or send your own",
            )
        user_id = principal.user_id
    elif not named:
        raise Auth.exceptions.HTTPException(
            status_code=401,
            detail="send 'X-User-Id: <user id>' with your API key: the key names the tenant, "
            "the header the user whose threads these are",
        )
    else:
        user_id = named
        try:
            validate_id("X-User-Id", user_id)
        except ValueError as exc:
            raise Auth.exceptions.HTTPException(status_code=401, detail=str(exc)) from exc
    return {
        "identity": owner_of(principal.tenant_id, user_id),
        "permissions": [],
        # Read by the graph (storage.identity.authenticated_scope) in place of the config's.
        "tenant_id": principal.tenant_id,
        "user_id": user_id,
        "key_id": principal.key_id,
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
    if ctx.action == "create_run":
        refuse_webhooks(value)
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


@auth.on.store
async def own_memories(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """Let a caller reach their own facts only: the namespace ("memories", <their user id>).

    The namespace is rewritten to name the caller's tenant too, which the store scopes by
    (studio/store.py); anything else is 403, and a put must carry a fact (422 otherwise).
    """
    if ctx.action == "put":
        check_fact(value)
    owner = _owner(ctx)
    if owner is None:
        return True
    user_id, tenant_id = ctx.user["user_id"], ctx.user["tenant_id"]
    namespace = tuple(value.get("namespace") or ())
    if namespace not in ((NAMESPACE,), (NAMESPACE, user_id)) or (
        len(namespace) == 1 and ctx.action != "search"
    ):
        raise Auth.exceptions.HTTPException(
            status_code=403,
            detail=f"the store holds only your own memories: use the namespace "
            f"['{NAMESPACE}', '{user_id}']",
        )
    value["namespace"] = (NAMESPACE, label(tenant_id), user_id)
    return True


def check_fact(value: Any) -> None:
    """Refuse (422) a put whose key or value is not a fact memoria can keep."""
    item = value.get("value")
    if item is None:
        return  # a delete
    try:
        validate_id("key", value.get("key"))
    except ValueError as exc:
        raise Auth.exceptions.HTTPException(status_code=422, detail=str(exc)) from exc
    if not isinstance(item, dict) or "text" not in item:
        raise Auth.exceptions.HTTPException(
            status_code=422, detail='value must be an object: {"text": "the fact as a sentence"}'
        )
    for name in ("text", "attribute", "value"):
        text = item.get(name, "-")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
            problem = f"value.{name} must be text of 1-{MAX_TEXT_CHARS} characters"
        elif "\x00" in text or not _encodable(text):
            problem = f"value.{name} must be UTF-8 text without NUL characters"
        else:
            continue
        raise Auth.exceptions.HTTPException(status_code=422, detail=problem)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def refuse_webhooks(value: Any) -> None:
    """Refuse a run whose webhook's host MEMORIA_WEBHOOK_HOSTS does not list.

    LangGraph's server posts a run's result to its webhook from inside the deployment, where
    private addresses (10.x, 192.168.x, cloud metadata) are in reach: an open webhook lets
    any caller make the server send requests there.
    """
    kwargs = value.get("kwargs") if isinstance(value, dict) else None
    webhook = kwargs.get("webhook") if isinstance(kwargs, dict) else None
    if not webhook:
        return
    allowed = get_settings().webhook_hosts
    host = (urlsplit(str(webhook)).hostname or "").lower()
    if host and host in allowed:
        return
    # The allowed hosts are not listed: they may name internal services.
    raise Auth.exceptions.HTTPException(
        status_code=403,
        detail=f"webhook host {host or str(webhook)[:100]!r} is not allowed on this server; "
        "leave webhook out, or have the operator add the host to MEMORIA_WEBHOOK_HOSTS",
    )
