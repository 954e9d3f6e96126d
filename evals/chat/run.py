"""Run the "does it remember its users" eval end to end against memoria's HTTP API.

For each persona of the scenario set (a fresh user of a fresh `evalchat-<8 hex>` tenant):
two threads telling facts, a wait until the server has indexed them, a third thread changing
one fact, another wait, then every question in its own new thread. Knowledge-base questions
follow, each from a fresh user, once `data/sample_kb/` is uploaded into the tenant. Answers are
scored by `evals.chat.report` and summed up per language.

    python -m evals.chat.run --url http://127.0.0.1:8080 [--verbose] [--out results.json]
    python -m evals.chat.run --in-process --language pt --limit-personas 3

Importing this module starts nothing; `main` is the CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from evals.chat.driver import Driver, TurnResult
from evals.chat.report import aggregate, format_report, kb_record, persona_record
from evals.chat.scenarios import (
    DEFAULT_KB_DIR,
    DEFAULT_SCENARIOS,
    LANGUAGES,
    Persona,
    ScenarioSet,
    check_scenarios,
    load_scenarios,
)

TENANT_PREFIX = "evalchat-"
HTTP_TIMEOUT_S = 120.0
Progress = Callable[[str], None]


def fresh_run_id() -> str:
    """Return 8 hex characters that make this run's tenant, user and thread ids unique."""
    return uuid.uuid4().hex[:8]


class _Run:
    """One eval run's state: the driver, ids, records, latencies and waits."""

    def __init__(self, driver: Driver, run_id: str, index_timeout_s: float, isolate: bool) -> None:
        self.driver = driver
        self.isolate = isolate
        self.run_id = run_id
        self.index_timeout_s = index_timeout_s
        self.records: list[dict[str, Any]] = []
        self.latencies: list[tuple[str, float]] = []
        self.waits: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []

    async def say(self, language: str, user: str, thread: str, text: str, phase: str) -> TurnResult:
        turn = await self.driver.turn(user, thread, text)
        self.latencies.append((language, turn.latency_ms))
        if not turn.ok:
            self.errors.append(
                {
                    "user": user,
                    "thread": thread,
                    "phase": phase,
                    "message": text[:120],
                    "error": turn.error,
                }
            )
        return turn

    async def wait(self, who: str, after: str) -> None:
        waited = await self.driver.wait_indexed(timeout_s=self.index_timeout_s)
        self.waits.append({"persona": who, "after": after, **waited})

    async def persona(self, p: Persona) -> None:
        user = f"u-{p.id}-{self.run_id}"
        for i, thread in enumerate(p.tell, start=1):
            for text in thread:
                await self.say(p.language, user, f"{user}-tell{i}", text, f"tell{i}")
        await self.wait(p.id, "tell")
        for text in p.change.thread:
            await self.say(p.language, user, f"{user}-change", text, "change")
        await self.wait(p.id, "change")
        for j, q in enumerate(p.questions, start=1):
            thread = f"{user}-q{j:02d}"
            turn = await self.say(p.language, user, thread, q.ask, "question")
            self.records.append(persona_record(p, q, turn))
            if self.isolate and turn.ok:
                await self.forget_question(p.id, user, thread)

    async def forget_question(self, who: str, user: str, thread: str) -> None:
        # Indexed first: a delete racing the outbox worker could leave the question indexed.
        await self.driver.wait_indexed(timeout_s=self.index_timeout_s)
        if error := await self.driver.delete_thread(user, thread):
            self.errors.append(
                {"user": user, "thread": thread, "phase": "forget", "message": "", "error": error}
            )


async def run_chat_eval(
    client: httpx.AsyncClient,
    scenarios: ScenarioSet | str | Path | None = None,
    *,
    tenant: str | None,
    kb_dir: str | Path = DEFAULT_KB_DIR,
    languages: Sequence[str] = LANGUAGES,
    limit_personas: int | None = None,
    concurrency: int = 1,
    index_timeout_s: float = 30.0,
    isolate_questions: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Drive the API with the scenario set and return the JSON-able report.

    Args:
        client: Client for the server: a base URL, or `httpx.ASGITransport` to an app whose
            lifespan is running (see `in_process_client`).
        scenarios: A loaded set, a path to one, or None for `scenarios.yaml`.
        tenant: Tenant to act in; None makes a fresh `evalchat-<8 hex>` one. The knowledge
            base is uploaded into it (same file names replace that tenant's documents).
        kb_dir: The knowledge-base files the KB questions are about.
        languages: Which personas and KB questions to run, by language.
        limit_personas: At most this many personas per language (None: all).
        concurrency: Personas run at once. 1 (default) keeps latencies free of the eval's
            own load; more finishes sooner.
        index_timeout_s: Longest wait for indexing after each persona's telling and change.
        isolate_questions: Delete each question's thread once answered (and indexed), so
            no question or answer becomes memory that a later question finds: every
            question sees the telling and change threads only, whatever the order. False
            keeps them, as a real user's history would (order then matters).
        progress: Called with one line per step (the CLI writes them to stderr).

    Returns:
        `{"run": {...}, "languages": {"en"|"pt"|"all": figures}, "records": [...],
        "waits": [...], "errors": [...]}`; see `evals/chat/README.md`.
    """
    if not isinstance(scenarios, ScenarioSet):
        scenarios = load_scenarios(scenarios or DEFAULT_SCENARIOS)
    selected = scenarios.select(languages, limit_personas)
    run_id = fresh_run_id()
    tenant = tenant or f"{TENANT_PREFIX}{run_id}"
    say = progress or (lambda _line: None)
    run = _Run(Driver(client, tenant), run_id, index_timeout_s, isolate_questions)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()

    kb_upload: dict[str, Any] = {}
    if selected.kb_questions:
        say(f"uploading {kb_dir} into tenant {tenant}")
        kb_upload = await run.driver.upload_kb(Path(kb_dir))
        say(f"{kb_upload['documents']} documents indexed in {kb_upload['ms'] / 1000:.1f} s")
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(p: Persona) -> None:
        nonlocal done
        async with gate:
            await run.persona(p)
            done += 1
            say(f"persona {p.id} done ({done}/{len(selected.personas)})")

    await asyncio.gather(*(one(p) for p in selected.personas))
    for i, q in enumerate(selected.kb_questions, start=1):
        user = f"u-kb{i:02d}-{run_id}"
        turn = await run.say(q.language, user, f"{user}-q", q.ask, "kb")
        run.records.append(kb_record(q, turn))
    say(f"{len(selected.kb_questions)} KB questions done")

    personas_by_language = {
        lang: sum(p.language == lang for p in selected.personas) for lang in LANGUAGES
    }
    return {
        "run": {
            "tenant": tenant,
            "run_id": run_id,
            "started_at": started_at,
            "duration_s": round(time.perf_counter() - started, 1),
            "scenarios": selected.source,
            "personas": len(selected.personas),
            "personas_by_language": personas_by_language,
            "memory_questions": sum(r["kind"] != "kb" for r in run.records),
            "kb_questions": len(selected.kb_questions),
            "turns": len(run.latencies),
            "kb_upload_ms": kb_upload.get("ms", 0.0),
            "kb_chunks": kb_upload.get("chunks", 0),
            "concurrency": concurrency,
            "isolate_questions": isolate_questions,
        },
        "languages": aggregate(run.records, run.latencies),
        "records": run.records,
        "waits": run.waits,
        "errors": run.errors,
    }


@contextlib.asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    """Run the app's startup and shutdown around the block (asgi-lifespan when installed)."""
    try:
        from asgi_lifespan import LifespanManager
    except ImportError:
        LifespanManager = None  # noqa: N806 - the optional class, or None
    if LifespanManager is None:
        async with app.router.lifespan_context(app):
            yield
    else:
        async with LifespanManager(app, startup_timeout=180, shutdown_timeout=60):
            yield


@contextlib.asynccontextmanager
async def in_process_client(settings: Any = None) -> AsyncIterator[httpx.AsyncClient]:
    """Yield a client to memoria's app served in this process, its lifespan started.

    The app comes from `server.create_app(settings)`, imported here so that importing this
    module never builds one; with no `DATABASE_URL`/`REDIS_URL` it starts the embedded
    Postgres and Redis itself, as `memoria serve` does.
    """
    from server import create_app

    app = create_app(settings)
    async with _lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://memoria", timeout=HTTP_TIMEOUT_S
        ) as client:
            yield client


def build_parser(add_help: bool = True) -> argparse.ArgumentParser:
    """Return the CLI's argument parser (`memoria eval chat` uses the same flags)."""
    parser = argparse.ArgumentParser(
        add_help=add_help,
        prog="memoria eval chat",
        description="Tell personas' facts over the HTTP API, change one, ask about them in new "
        "threads, and score what the answers cite (per language), plus knowledge-base "
        "questions against data/sample_kb.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="base URL of a running server, e.g. http://127.0.0.1:8080")
    where.add_argument(
        "--in-process",
        action="store_true",
        help="serve the app in this process (starts embedded services)",
    )
    parser.add_argument(
        "--scenarios",
        type=Path,
        default=DEFAULT_SCENARIOS,
        help="scenario set (.yaml or .jsonl; default: %(default)s)",
    )
    parser.add_argument(
        "--kb-dir",
        type=Path,
        default=DEFAULT_KB_DIR,
        help="knowledge-base files to upload (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, help="write the full JSON report here")
    parser.add_argument("--verbose", action="store_true", help="list every failed question")
    parser.add_argument("--language", choices=("en", "pt", "all"), default="all")
    parser.add_argument(
        "--limit-personas", type=int, metavar="N", help="at most N personas per language"
    )
    parser.add_argument("--tenant", help="tenant to act in (default: a fresh evalchat-<hex>)")
    parser.add_argument("--api-key", help="send this API key (then --tenant must be its tenant)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="personas run at once (default 1: cleanest latencies)",
    )
    parser.add_argument(
        "--keep-questions",
        action="store_true",
        help="keep each question's thread, so later questions may find earlier ones in "
        "memory (default: delete it once answered)",
    )
    parser.add_argument(
        "--index-timeout",
        type=float,
        default=30.0,
        help="longest wait for indexing after telling, in seconds",
    )
    return parser


async def _main_async(args: argparse.Namespace, scenarios: ScenarioSet) -> dict[str, Any]:
    languages = LANGUAGES if args.language == "all" else (args.language,)

    def progress(line: str) -> None:
        sys.stderr.write(f"[eval chat] {line}\n")

    kwargs = {
        "tenant": args.tenant,
        "kb_dir": args.kb_dir,
        "languages": languages,
        "limit_personas": args.limit_personas,
        "concurrency": args.concurrency,
        "index_timeout_s": args.index_timeout,
        "isolate_questions": not args.keep_questions,
        "progress": progress,
    }
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    if args.in_process:
        async with in_process_client() as client:
            client.headers.update(headers)
            return await run_chat_eval(client, scenarios, **kwargs)
    async with httpx.AsyncClient(
        base_url=args.url, timeout=HTTP_TIMEOUT_S, headers=headers
    ) as client:
        return await run_chat_eval(client, scenarios, **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the eval from the command line; 0 when every turn was answered, 1 if any failed."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.limit_personas is not None and args.limit_personas < 1:
        parser.error("--limit-personas must be at least 1")
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Run the eval with parsed arguments (see `build_parser`)."""
    try:
        scenarios = load_scenarios(args.scenarios)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"memoria eval chat: {exc}\n")
        return 2
    if problems := check_scenarios(scenarios, args.kb_dir, full_set=False):
        sys.stderr.write("memoria eval chat: the scenario set is unsound:\n")
        sys.stderr.writelines(f"  {p}\n" for p in problems)
        return 2
    try:
        report = asyncio.run(_main_async(args, scenarios))
    except (httpx.HTTPError, RuntimeError) as exc:
        sys.stderr.write(f"memoria eval chat: {type(exc).__name__}: {exc}\n")
        return 1
    sys.stdout.write(format_report(report, verbose=args.verbose))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        sys.stdout.write(f"report written to {args.out}\n")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
