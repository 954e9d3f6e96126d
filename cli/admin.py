"""Admin commands: API keys, forgetting a user, the retention purge. They load no model."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from cli.privacy import forgetter, tenant_and_user, user_arguments
from configs.settings import get_settings


def register(sub: Any) -> None:
    """Add `keys`, `forget` and `purge`."""
    keys = sub.add_parser(
        "keys",
        help="create, list and revoke API keys (each key maps to one tenant)",
        description="With MEMORIA_AUTH=auto (the default) the server requires a key as soon as "
        "one exists. Keys are shown once, at creation; only their SHA-256 is stored.",
    )
    keys_sub = keys.add_subparsers(dest="action", required=True)
    kc = keys_sub.add_parser("create", help="create a key for a tenant and print it once")
    kc.add_argument("--tenant", required=True, help="the tenant the key acts in")
    kc.add_argument("--name", default="", help="a label, e.g. the client application")
    kl = keys_sub.add_parser("list", help="list keys (ids, tenants, state; never secrets)")
    kl.add_argument("--tenant", default=None, help="only this tenant's keys")
    kr = keys_sub.add_parser("revoke", help="revoke a key by its id (and the tokens it minted)")
    kr.add_argument("key_id", help="the id printed by create/list")
    kt = keys_sub.add_parser(
        "token", help="mint a user token with a key: it acts for one user of the key's tenant"
    )
    kt.add_argument("key_id", help="the id of an active key, printed by create/list")
    kt.add_argument("--user", required=True, help="the one user the token acts for")
    kt.add_argument("--ttl", type=int, default=None, help="seconds (default MEMORIA_TOKEN_TTL_S)")
    kv = keys_sub.add_parser("revoke-tokens", help="revoke every user token of a user")
    kv.add_argument("--tenant", required=True, help="the user's tenant")
    kv.add_argument("--user", required=True, help="the user whose tokens stop working")
    keys.set_defaults(run=lambda args: asyncio.run(manage_keys(args)))

    fgt = sub.add_parser(
        "forget",
        help="delete a user's memory (or one thread) from every store, with a receipt",
        description="Delete chat history, checkpoints, message index, outbox jobs, summaries, "
        "strategy log, facts and Redis copies of one user (or one of their threads). Prints a "
        "receipt with the count removed per store.",
    )
    user_arguments(fgt)
    fgt.add_argument("--thread", default=None, help="only this thread of the user")
    fgt.set_defaults(run=lambda args: asyncio.run(forget(args)))

    prg = sub.add_parser(
        "purge",
        help="apply the retention period: delete threads idle for N days",
        description="Delete every thread (in every store) not used for N days, fact history "
        "closed more than N days ago, and older strategy-log rows. Prints a receipt.",
    )
    prg.add_argument("--days", type=int, default=None, help="default: MEMORIA_RETENTION_DAYS")
    prg.add_argument(
        "--policies",
        action="store_true",
        help="apply each tenant's MEMORIA_PRIVACY retention policy now, as the worker does on "
        "its schedule, and print a receipt per tenant",
    )
    prg.set_defaults(run=lambda args: asyncio.run(purge(args)))


async def manage_keys(args: argparse.Namespace) -> int:
    """Manage keys and user tokens of any tenant (an operator's command)."""
    from access.gate import build_gate
    from storage.database import Storage
    from storage.tenancy import ALL_TENANTS, tenant_scope

    settings = get_settings()
    async with Storage(settings) as storage:
        gate = build_gate(storage.pool, settings)
        api_keys, tokens = gate.keys, gate.tokens
        with tenant_scope(ALL_TENANTS):
            if args.action == "token":
                found = {k.id: k for k in await api_keys.list() if k.revoked_at is None}
                if args.key_id not in found:
                    raise ValueError(f"no active key with id {args.key_id!r}")
                ttl = args.ttl or settings.memoria_token_ttl_s
                if not 60 <= ttl <= settings.memoria_token_max_ttl_s:
                    raise ValueError(
                        f"--ttl must be 60..{settings.memoria_token_max_ttl_s} seconds"
                    )
                tenant = found[args.key_id].tenant_id
                minted = await tokens.mint(tenant, args.key_id, args.user, ttl)
                sys.stdout.write(
                    f"token {minted.token_id} for user {minted.user_id} of tenant "
                    f"{minted.tenant_id}, until {minted.expires_at:%Y-%m-%d %H:%M} UTC:\n"
                    f"{minted.token}\n"
                )
            elif args.action == "revoke-tokens":
                count = await tokens.revoke_user(args.tenant, args.user)
                sys.stdout.write(f"{count} token(s) of user {args.user} revoked\n")
            elif args.action == "create":
                key_id, key = await api_keys.create(args.tenant, args.name)
                sys.stdout.write(
                    f"key {key_id} for tenant {args.tenant} (shown once; store it now):\n{key}\n"
                )
            elif args.action == "list":
                for info in await api_keys.list(args.tenant):
                    state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
                    sys.stdout.write(
                        f"{info.id}  {info.tenant_id}  {state}"
                        f"  created {info.created_at:%Y-%m-%d}  {info.name}\n"
                    )
            elif not await api_keys.revoke(args.key_id):
                raise ValueError(f"no active key with id {args.key_id!r}")
            else:
                sys.stdout.write(f"key {args.key_id} revoked\n")
    return 0


async def forget(args: argparse.Namespace) -> int:
    """Delete a user's memory, or one of their threads; print the receipt."""
    from storage.identity import Identity, validate_id

    s = get_settings()
    tenant, user = tenant_and_user(args, s)
    async with forgetter(s) as erasure:
        if args.thread:
            ident = Identity(tenant, user, validate_id("thread_id", args.thread))
            receipt = await erasure.delete_thread(ident)
        else:
            receipt = await erasure.forget_user(tenant, user)
    sys.stdout.write(json.dumps(receipt.as_dict(), indent=2) + "\n")
    return 0


async def purge(args: argparse.Namespace) -> int:
    """Apply the retention period (or every tenant's policy); print the receipt(s)."""
    s = get_settings()
    if args.policies:
        from memory.retention import Retention

        async with forgetter(s) as erasure:
            retention = Retention(pool=erasure.pool, forgetter=erasure, policy=s.privacy)
            receipts = [r.as_dict() for r in await retention.apply()]
        sys.stdout.write(json.dumps(receipts, indent=2) + "\n")
        return 0
    days = args.days or s.memoria_retention_days
    if days is None:
        raise ValueError("no retention period: pass --days N or set MEMORIA_RETENTION_DAYS")
    async with forgetter(s) as erasure:
        receipt = await erasure.purge(days)
    sys.stdout.write(json.dumps(receipt.as_dict(), indent=2) + "\n")
    return 0
