"""`/tokens`: user tokens, minted and revoked with a tenant key (access/user_tokens.py).

A tenant key acts for any user of its tenant; the token it mints here acts for one user
only, for a while: what a page in that user's hands should hold instead of the key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ID_PARAM, ApiDep, Caller, CallerDep, TenantHeader, UserId, validated

router = APIRouter(tags=["tokens"])

TokenId = Annotated[
    str,
    PathParam(pattern=r"^[0-9a-f]{32}$", description="A token's id, as POST /tokens returns it."),
]


class TokenRequest(BaseModel):
    """Whom a token acts for, and for how long."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(description="The one user the token acts for.", json_schema_extra=ID_PARAM)
    ttl_s: int | None = Field(
        default=None,
        ge=60,
        description="Seconds until it expires; MEMORIA_TOKEN_TTL_S when left out, at most "
        "MEMORIA_TOKEN_MAX_TTL_S.",
    )


def _tenant_key(caller: Caller, what: str, tenant: str | None) -> str:
    """Return the tenant of a tenant-key caller; refuse user tokens and local mode."""
    caller.require_tenant_key(what)
    if caller.key_id is None:
        raise HTTPException(
            status_code=403,
            detail=f"{what} needs a tenant API key, and this server runs in local mode "
            "(no keys): create one with `memoria keys create --tenant TENANT`",
        )
    return caller.tenant(tenant)


@router.post("/tokens", status_code=201)
async def mint_token(
    body: TokenRequest, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """Mint a user token for one user of the key's tenant; it is shown only now.

    Send it as `Authorization: Bearer <token>`: it acts for that user alone, until it
    expires or is revoked (or the key that minted it is).
    """
    tenant = _tenant_key(caller, "minting a user token", x_tenant_id)
    user = validated("user_id", body.user_id)
    ttl_s = body.ttl_s or api.settings.memoria_token_ttl_s
    if ttl_s > api.settings.memoria_token_max_ttl_s:
        raise HTTPException(
            status_code=422,
            detail=f"ttl_s is {ttl_s}; a token lives at most "
            f"{api.settings.memoria_token_max_ttl_s} s (MEMORIA_TOKEN_MAX_TTL_S)",
        )
    assert caller.key_id is not None
    minted = await api.key_gate.tokens.mint(tenant, caller.key_id, user, ttl_s)
    return {
        "token": minted.token,
        "token_id": minted.token_id,
        "token_type": "Bearer",
        "tenant_id": minted.tenant_id,
        "user_id": minted.user_id,
        "expires_at": minted.expires_at.isoformat(),
    }


@router.delete("/tokens/{token_id}")
async def revoke_token(
    token_id: TokenId, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """Revoke one user token of the key's tenant; it is refused from now on."""
    tenant = _tenant_key(caller, "revoking a user token", x_tenant_id)
    if not await api.key_gate.tokens.revoke(tenant, token_id):
        raise HTTPException(status_code=404, detail=f"no active user token {token_id}")
    return {"token_id": token_id, "revoked": True}


@router.delete("/users/{user_id}/tokens")
async def revoke_user_tokens(
    user_id: UserId, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """Revoke every user token of one user (a lost device, a leaked token)."""
    tenant = _tenant_key(caller, "revoking user tokens", x_tenant_id)
    user = validated("user_id", user_id)
    revoked = await api.key_gate.tokens.revoke_user(tenant, user)
    return {"user_id": user, "tokens_revoked": revoked}
