"""What every route shares: the process's services, who is calling, ids from paths and headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from fastapi import Path as PathParam
from langgraph.graph.state import CompiledStateGraph

from access.api_keys import KeyRefused, presented_key
from access.gate import KeyGate, Principal
from access.ratelimit import Limit, RateLimiter
from api.problems import unprocessable
from configs.settings import Settings
from graph.resources import Resources
from knowledge.documents import DocumentLibrary
from memory.fact_extractors import Extractor
from memory.turns import TurnLocks
from storage.identity import ID_PATTERN, Identity, validate_id
from storage.tenancy import bind_tenant, bind_user

# Ids as the OpenAPI spec describes them; `validate_id` checks them, with a 422 naming the field.
ID_PARAM = {"pattern": ID_PATTERN.pattern}
ID_SCHEMA = {"type": "string", **ID_PARAM}


@dataclass
class Api:
    """The services one HTTP API process holds, opened in the app's lifespan."""

    settings: Settings
    resources: Resources
    graph: CompiledStateGraph
    key_gate: KeyGate
    rate_limiter: RateLimiter
    key_limit: Limit | None
    user_limit: Limit | None
    documents: DocumentLibrary
    turns: TurnLocks
    extractor: Extractor
    """Finds facts in what the memory API is told (the graph's own: the chat model's, or rules)."""


async def get_api(request: Request) -> Api:
    """Return the process's services, opened in the lifespan.

    A coroutine function, though it awaits nothing: FastAPI runs a plain function
    dependency in its thread pool, a hand-off to another thread on every request.
    """
    return request.app.state.api


ApiDep = Annotated[Api, Depends(get_api)]


class Caller:
    """Who is calling: a tenant key, a user token (one user of a tenant), or local mode.

    A tenant key acts for any user of its tenant, named by the request. A user token acts
    for its own user alone: a request naming another is refused, never silently redirected.
    """

    def __init__(self, default_tenant: str, principal: Principal | None = None) -> None:
        """`principal` None is local mode: the request's tenant, else `default_tenant`."""
        self.default_tenant = default_tenant
        self.principal = principal
        self.tenant_id = principal.tenant_id if principal else None
        self.key_id = principal.key_id if principal else None
        self.user_id = principal.user_id if principal else None

    def tenant(self, requested: Any) -> str:
        """Return the tenant a request acts in; a key's tenant cannot be swapped for another.

        The request is bound to it: its database sessions see that tenant's rows only.
        """
        if self.tenant_id is None:
            tenant = validated("tenant_id", requested or self.default_tenant)
        elif requested not in (None, "", self.tenant_id):
            raise HTTPException(
                status_code=403,
                detail="tenant_id does not match your API key's tenant; leave it out",
            )
        else:
            tenant = self.tenant_id
        bind_tenant(tenant)
        return tenant

    def user(self, requested: Any, field: str) -> Any:
        """Return the user a request acts for: the token's, else the one it names in `field`.

        Raises:
            HTTPException: 403 when a user token's request names another user; 422 when a
                key's (or local) request names none.
        """
        if self.user_id is not None:
            if requested not in (None, "", self.user_id):
                raise HTTPException(
                    status_code=403,
                    detail=f"{field} names another user than your user token's; a user token "
                    "acts only for its own user: leave it out or send your own",
                )
            return self.user_id
        if requested in (None, ""):
            raise unprocessable(f"{field} is required")
        return requested

    def require_tenant_key(self, what: str) -> None:
        """Refuse a user token what only a tenant key (or local mode) may do."""
        if self.user_id is not None:
            raise HTTPException(
                status_code=403,
                detail=f"{what} needs the tenant's API key; a user token acts only as its "
                "user, in that user's threads and memory",
            )


async def get_caller(request: Request, api: ApiDep) -> Caller:
    """Authenticate the request: `Authorization: Bearer <key or user token>` or `X-API-Key`."""
    default_tenant = api.settings.memoria_default_tenant
    try:
        principal = await api.key_gate.check(presented_key(request.headers))
    except KeyRefused as exc:
        raise HTTPException(
            status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from exc
    if principal is None:
        return Caller(default_tenant)
    if api.key_limit:
        if principal.user_id is None:
            scope, who = f"key:{principal.key_id}", "this API key"
        else:
            # Each token holder has the allowance of a key, so one user cannot use up
            # the key that minted the tokens of all the others.
            scope, who = f"user-token:{principal.user_id}", "this user's tokens"
        await throttle(api, principal.tenant_id, scope, api.key_limit, who)
    return Caller(default_tenant, principal)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def throttle(api: Api, tenant_id: str, scope: str, limit: Limit, who: str) -> None:
    """Count a request against `limit`; over it, raise 429 with Retry-After."""
    wait_s = await api.rate_limiter.retry_after(tenant_id, scope, limit)
    if wait_s is not None:
        raise HTTPException(
            status_code=429,
            detail=f"rate limit of {limit} for {who} reached; retry in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )


TenantHeader = Annotated[
    str | None,
    Header(
        description="Tenant id; the configured default tenant when omitted.",
        json_schema_extra=ID_PARAM,
    ),
]
UserHeader = Annotated[
    str | None,
    Header(
        description="Id of the user whose data this is; required with a tenant key, "
        "optional with a user token (which names its user).",
        json_schema_extra=ID_PARAM,
    ),
]
UserId = Annotated[str, PathParam(json_schema_extra=ID_PARAM)]
ThreadId = Annotated[str, PathParam(json_schema_extra=ID_PARAM)]


def validated(field: str, value: str | None) -> str:
    """Return a well-formed id, or raise a 422 naming `field`."""
    try:
        return validate_id(field, value)
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc


def thread_ident(
    caller: Caller, tenant: str | None, user_id: str | None, thread_id: str
) -> Identity:
    """Return the caller's view of a thread: tenant from the key (or request), validated ids.

    The user is the token's, or the X-User-Id header's with a key.
    """
    user = validated("user_id", caller.user(user_id, "X-User-Id"))
    ident = Identity(caller.tenant(tenant), user, validated("thread_id", thread_id))
    bind_user(ident.tenant_id, ident.user_id)  # its sessions see this user's content only
    return ident


def user_ident(
    caller: Caller, tenant: str | None, user_id: str | None, field: str = "X-User-Id"
) -> Identity:
    """Return the caller's view of a user: tenant from the key (or request), no thread."""
    ident = Identity(caller.tenant(tenant), validated("user_id", caller.user(user_id, field)), "-")
    bind_user(ident.tenant_id, ident.user_id)  # its sessions see this user's content only
    return ident
