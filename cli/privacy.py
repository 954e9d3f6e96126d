"""Privacy commands: a user's consent to memory and the export of what is stored about them."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from configs.settings import Settings, get_settings


def register(sub: Any) -> None:
    """Add `consent` and `export`."""
    cns = sub.add_parser(
        "consent",
        help="show or change whether memoria remembers a user",
        description="on: turns are stored and recalled across threads. off: turns are "
        "answered but nothing is kept beyond each thread's own state; --erase also deletes "
        "what was stored (as `memoria forget`). Without on/off, print the consent in force.",
    )
    cns.add_argument("memory", nargs="?", choices=("on", "off"), help="the user's choice")
    user_arguments(cns)
    cns.add_argument("--erase", action="store_true", help="with off: delete what was stored")
    cns.set_defaults(run=lambda args: asyncio.run(consent(args)), check=_check_consent)

    exp = sub.add_parser(
        "export",
        help="write everything stored about a user (right of access), with a schema version",
        description="Transcripts, thread states, summaries, message index, strategy log, "
        "pending jobs and facts with their history, read store by store (the stores "
        "`memoria forget` deletes from).",
    )
    user_arguments(exp)
    exp.add_argument("--format", choices=("jsonl", "json"), default="jsonl")
    exp.add_argument("--out", default="-", help="file to write (default: standard output)")
    exp.set_defaults(run=lambda args: asyncio.run(export(args)))


def user_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--user` and `--tenant`: whose data a command is about."""
    parser.add_argument("--user", required=True, help="user id")
    parser.add_argument(
        "--tenant", default=None, help="tenant id (default: MEMORIA_DEFAULT_TENANT)"
    )


def tenant_and_user(args: argparse.Namespace, settings: Settings) -> tuple[str, str]:
    """Return the validated `--tenant` (or the default tenant) and `--user`."""
    from storage.identity import validate_id

    tenant = validate_id("tenant_id", args.tenant or settings.memoria_default_tenant)
    return tenant, validate_id("user_id", args.user)


def _check_consent(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.erase and args.memory != "off":
        parser.error("--erase goes with off: turn memory off to erase what was stored")


async def consent(args: argparse.Namespace) -> int:
    """Print, or record and print, a user's consent (with the erasure receipt if asked)."""
    from memory import consent as consents
    from storage.database import Storage

    s = get_settings()
    tenant, user = tenant_and_user(args, s)
    async with Storage(s) as storage:
        if args.memory is not None:
            await consents.record(storage.pool, tenant, user, args.memory == "on")
        said = await consents.in_force(storage.pool, tenant, user, s.privacy(tenant).memory)
    body = said.as_dict()
    if args.erase:
        async with forgetter(s) as erasure:
            body["erased"] = (await erasure.forget_user(tenant, user)).as_dict()
    sys.stdout.write(json.dumps(body, indent=2) + "\n")
    return 0


async def export(args: argparse.Namespace) -> int:
    """Write a user's export to `--out` (or standard output)."""
    from memory import consent as consents
    from memory import export as exports
    from storage.database import Storage

    s = get_settings()
    tenant, user = tenant_and_user(args, s)
    render = exports.json_lines if args.format == "jsonl" else exports.json_document
    async with Storage(s) as storage:
        said = await consents.in_force(storage.pool, tenant, user, s.privacy(tenant).memory)
        head = exports.header(tenant, user, said.as_dict())
        exporter = exports.Exporter(pool=storage.pool, checkpointer=storage.checkpointer)
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
        try:
            async for piece in render(head, exporter.sections(tenant, user)):
                out.write(piece)
        finally:
            if out is not sys.stdout:
                out.close()
    return 0


@asynccontextmanager
async def forgetter(settings: Settings) -> AsyncIterator[Any]:
    """Yield a Forgetter over storage alone: its caches are addressed without a model."""
    from memory.conversation import ConversationMemory
    from memory.forget import Forgetter
    from retrievers.cache import RetrievalCache
    from retrievers.embeddings import CachedEmbeddings, build_embedder
    from storage.database import Storage

    async with Storage(settings) as storage:
        model = build_embedder(settings)  # addresses its cached vectors; never loaded here
        question_vectors = CachedEmbeddings(model, speed=storage.speed, model_id=model.model_id)
        yield Forgetter(
            pool=storage.pool,
            conversation=ConversationMemory.from_storage(storage, settings),
            caches=[RetrievalCache(storage.speed), question_vectors],
        )
