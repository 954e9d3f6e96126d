"""User tokens over HTTP: minted by a tenant key, acting for one user only, expiring, revocable.

On a database of this module's own (its keys switch `auto` auth on), with the real services.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from fastapi import FastAPI
from psycopg.errors import InsufficientPrivilege

from access.user_tokens import UserTokens
from graph.resources import Resources
from storage.services import ServiceURLs
from storage.tenancy import tenant_connection
from tests.support import (
    api_app,
    mint_key,
    own_database,
    resources_like,
    revoke_key,
    served_api,
    turn_body,
)

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def token_resources(
    service_urls: ServiceURLs, resources: Resources
) -> AsyncIterator[Resources]:
    """Resources on a database of this module's own (its keys and tokens)."""
    own = own_database(service_urls, "tokens")
    async with resources_like(resources, database_url=own.database_url) as res:
        yield res


@pytest.fixture(scope="module")
async def app(token_resources: Resources) -> AsyncIterator[FastAPI]:
    """The HTTP API requiring keys on the module's database (`client` calls it)."""
    async with served_api(token_resources, memoria_auth="api_key") as served:
        yield served


async def call(
    client: httpx.AsyncClient, method: str, path: str, credential: str | None = None, **kwargs
) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if credential:
        headers["authorization"] = f"Bearer {credential}"
    return await client.request(method, path, headers=headers, **kwargs)


async def new_tenant(res: Resources) -> tuple[str, str, str]:
    """Create a tenant's key; return (tenant, key id, key)."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    key_id, key = await mint_key(res.pool, tenant, "tokens test")
    return tenant, key_id, key


async def mint(client: httpx.AsyncClient, key: str, user: str, **body) -> dict:
    minted = await call(client, "POST", "/tokens", key, json={"user_id": user, **body})
    assert minted.status_code == 201, minted.text
    return minted.json()


def ask(text: str, **configurable) -> dict:
    return turn_body(text, {"configurable": {"thread_id": str(uuid.uuid4()), **configurable}})


async def test_a_user_token_acts_for_its_user_and_no_other(client, token_resources):
    tenant, _, key = await new_tenant(token_resources)
    secret = f"S3CRET-{uuid.uuid4().hex[:6]}"
    # Bob's thread, written with the tenant key (which acts for any user it names).
    bob_thread = str(uuid.uuid4())
    bob_config = {"configurable": {"user_id": "bob", "thread_id": bob_thread}}
    told = await call(
        client, "POST", "/agent/invoke", key, json=turn_body(f"My code is {secret}.", bob_config)
    )
    assert told.status_code == 200, told.text

    minted = await mint(client, key, "ana")
    assert (minted["tenant_id"], minted["user_id"], minted["token_type"]) == (
        tenant,
        "ana",
        "Bearer",
    )
    token = minted["token"]
    # Ana's own turn: the user comes from the token, the config need not name it.
    own = ask("hello, I am Ana")
    ok = await call(client, "POST", "/agent/invoke", token, json=own)
    assert ok.status_code == 200, ok.text
    listed = await call(client, "GET", "/threads", token)
    assert [t["thread_id"] for t in listed.json()["threads"]] == [
        own["config"]["configurable"]["thread_id"]
    ]
    same_user = await call(client, "GET", "/threads", token, headers={"x-user-id": "ana"})
    assert same_user.status_code == 200
    assert (await call(client, "GET", "/users/ana/facts", token)).status_code == 200

    as_bob = {"x-user-id": "bob"}
    batch = {"inputs": [{"messages": [{"type": "human", "content": "my code?"}]}]}
    attempts = {
        "list bob's threads": await call(client, "GET", "/threads", token, headers=as_bob),
        "read bob's thread": await call(
            client, "GET", f"/threads/{bob_thread}", token, headers=as_bob
        ),
        "delete bob's thread": await call(
            client, "DELETE", f"/threads/{bob_thread}", token, headers=as_bob
        ),
        "bob's facts": await call(client, "GET", "/users/bob/facts", token),
        "bob's strategy": await call(client, "GET", "/users/bob/strategy", token),
        "forget bob": await call(client, "DELETE", "/users/bob", token),
        "invoke as bob": await call(
            client, "POST", "/agent/invoke", token, json=turn_body("my code?", bob_config)
        ),
        "stream as bob": await call(
            client, "POST", "/agent/stream", token, json=turn_body("my code?", bob_config)
        ),
        "batch as bob": await call(
            client, "POST", "/agent/batch", token, json={**batch, "config": bob_config}
        ),
        "another tenant": await call(
            client, "GET", "/threads", token, headers={"x-tenant-id": "someone-else"}
        ),
        # Without naming bob: the thread id is bob's, so it is no thread of ana's.
        "read bob's thread id": await call(client, "GET", f"/threads/{bob_thread}", token),
        "invoke bob's thread id": await call(
            client,
            "POST",
            "/agent/invoke",
            token,
            json=turn_body("my code?", {"configurable": {"thread_id": bob_thread}}),
        ),
    }
    leaks = {name: r.text for name, r in attempts.items() if secret in r.text}
    assert leaks == {}
    codes = {name: r.status_code for name, r in attempts.items()}
    assert codes == {
        **dict.fromkeys(list(attempts)[:-2], 403),
        "read bob's thread id": 404,
        "invoke bob's thread id": 404,
    }
    refused = attempts["list bob's threads"]
    assert refused.headers["content-type"] == PROBLEM
    assert "another user than your user token's" in refused.json()["detail"]
    assert "config.configurable.user_id" in attempts["invoke as bob"].json()["detail"]

    # Bob's thread is whole, as the key sees it.
    after = await call(client, "GET", f"/threads/{bob_thread}", key, headers=as_bob)
    assert after.status_code == 200 and secret in after.text


async def test_a_user_token_cannot_mint_revoke_or_change_the_knowledge_base(
    client, token_resources
):
    _, _, key = await new_tenant(token_resources)
    minted = await mint(client, key, "ana")
    token = minted["token"]
    upload = {"file": ("note.md", b"# Note\n\nThe office opens at nine.", "text/markdown")}
    attempts = {
        "mint": await call(client, "POST", "/tokens", token, json={"user_id": "ana"}),
        "mint for bob": await call(client, "POST", "/tokens", token, json={"user_id": "bob"}),
        "revoke": await call(client, "DELETE", f"/tokens/{minted['token_id']}", token),
        "revoke all": await call(client, "DELETE", "/users/ana/tokens", token),
        "upload": await call(client, "POST", "/documents", token, files=upload),
        "delete document": await call(client, "DELETE", f"/documents/{'0' * 32}", token),
    }
    assert {n: r.status_code for n, r in attempts.items()} == dict.fromkeys(attempts, 403)
    assert "needs the tenant's API key" in attempts["mint"].json()["detail"]
    # Reading the tenant's knowledge base (which answers cite anyway) is open to it.
    assert (await call(client, "GET", "/documents", token)).status_code == 200
    # The key may do all of it.
    assert (await call(client, "POST", "/documents", key, files=upload)).status_code == 202
    too_long = await call(client, "POST", "/tokens", key, json={"user_id": "ana", "ttl_s": 10**9})
    assert too_long.status_code == 422 and "MEMORIA_TOKEN_MAX_TTL_S" in too_long.json()["detail"]


async def test_expired_revoked_and_orphaned_tokens_are_refused_with_what_to_do(
    client, token_resources
):
    tenant, key_id, key = await new_tenant(token_resources)

    async def status(token: str) -> tuple[int, str]:
        got = await call(client, "GET", "/threads", token)
        assert got.headers["content-type"] == PROBLEM
        return got.status_code, got.json()["detail"]

    # Expired: minted by the server's own signer, an hour ago.
    tokens = UserTokens(token_resources.pool)
    expired = await tokens.mint(tenant, key_id, "ana", ttl_s=-3600)
    assert await status(expired.token) == (
        401,
        "the user token has expired; get a new one: POST /tokens with the tenant API key",
    )

    # Revoked alone: only that token stops.
    one, other = await mint(client, key, "ana"), await mint(client, key, "ana")
    revoked = await call(client, "DELETE", f"/tokens/{one['token_id']}", key)
    assert revoked.status_code == 200
    assert (await status(one["token"]))[0] == 401
    assert "revoked" in (await status(one["token"]))[1]
    assert (await call(client, "GET", "/threads", other["token"])).status_code == 200
    again = await call(client, "DELETE", f"/tokens/{one['token_id']}", key)
    assert again.status_code == 404

    # All of a user's: ana's stop, bob's go on.
    bobs = await mint(client, key, "bob")
    all_of_ana = await call(client, "DELETE", "/users/ana/tokens", key)
    assert all_of_ana.json() == {"user_id": "ana", "tokens_revoked": 1}
    assert (await status(other["token"]))[0] == 401
    assert (await call(client, "GET", "/threads", bobs["token"])).status_code == 200

    # Another tenant's key cannot revoke this tenant's token.
    _, _, stranger = await new_tenant(token_resources)
    foreign = await call(client, "DELETE", f"/tokens/{bobs['token_id']}", stranger)
    assert foreign.status_code == 404
    assert (await call(client, "GET", "/threads", bobs["token"])).status_code == 200

    # The minting key revoked: its tokens go with it.
    assert await revoke_key(token_resources.pool, key_id)
    code, detail = await status(bobs["token"])
    assert code == 401 and "API key that minted" in detail


async def test_forged_tokens_are_refused(client, token_resources):
    tenant, key_id, key = await new_tenant(token_resources)
    token = (await mint(client, key, "ana"))["token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    def encode(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    now = int(time.time())
    # The server's own secret, for claims it must refuse even when well signed.
    real = await UserTokens(token_resources.pool)._signing_secret()
    forged = {
        # Ana's signature on a payload naming bob.
        "tampered": f"{header}.{encode({**claims, 'sub': 'bob'})}.{signature}",
        "other secret": jwt.encode(claims, "x" * 32, algorithm="HS256"),
        "alg none": f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}.",
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, real),
        "no tenant": jwt.encode({k: v for k, v in claims.items() if k != "tenant_id"}, real),
        "another algorithm": jwt.encode(claims, real * 2, algorithm="HS512"),
        "garbage": "abc.def.ghi",
        "from the future": jwt.encode({**claims, "iat": now + 3600}, real),
        "never minted": jwt.encode({**claims, "jti": uuid.uuid4().hex}, real),
    }
    for name, credential in forged.items():
        got = await call(client, "GET", "/threads", credential)
        assert got.status_code == 401, name
        assert got.headers["content-type"] == PROBLEM
        assert "the user token is not valid" in got.json()["detail"], name
        assert got.headers["www-authenticate"] == "Bearer"
    # The real one still works.
    assert (await call(client, "GET", "/threads", token)).status_code == 200


async def test_local_mode_mints_nothing_and_works_as_before(token_resources):
    local = api_app(token_resources, memoria_auth="off")
    async with local.router.lifespan_context(local):
        transport = httpx.ASGITransport(app=local)
        async with httpx.AsyncClient(transport=transport, base_url="http://memoria") as http:
            refused = await http.post("/tokens", json={"user_id": "ana"})
            assert refused.status_code == 403 and "local mode" in refused.json()["detail"]
            body = ask("hello", user_id="ana")
            assert (await http.post("/agent/invoke", json=body)).status_code == 200
            missing = await http.get("/threads")
            assert missing.status_code == 422 and "X-User-Id is required" in missing.text


async def test_token_rows_are_under_row_level_security(token_resources):
    a, a_key_id, _ = await new_tenant(token_resources)
    b, _, _ = await new_tenant(token_resources)
    await UserTokens(token_resources.pool).mint(a, a_key_id, "ana", ttl_s=600)

    async def tenants_seen(scope: str) -> set[str]:
        async with tenant_connection(token_resources.pool, scope) as conn:
            rows = await (await conn.execute("SELECT tenant_id FROM user_tokens")).fetchall()
        return {row["tenant_id"] for row in rows}  # no WHERE at all

    assert await tenants_seen(a) == {a}
    assert await tenants_seen(b) == set()
    assert await tenants_seen("") == set()
    async with tenant_connection(token_resources.pool, b) as conn:
        with pytest.raises(InsufficientPrivilege):
            await conn.execute(
                "INSERT INTO user_tokens (jti, tenant_id, user_id, key_id, issued_at, expires_at)"
                " VALUES ('forged', %s, 'ana', %s, now(), now() + interval '1 hour')",
                (a, a_key_id),
            )
