"""Measuring commands: `eval` (retrieval quality) and `bench` (speed); see BENCHMARKS.md."""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from pathlib import Path
from typing import Any

from cli.bench import bench_seed, bench_suite, bench_thread, bench_turns, bench_write
from configs.settings import get_settings


def register(sub: Any) -> None:
    """Add `eval` and `bench`."""
    ev = sub.add_parser("eval", help="measure retrieval on a benchmark")
    ev_sub = ev.add_subparsers(dest="benchmark", required=True)
    loc = ev_sub.add_parser(
        "locomo",
        help="LoCoMo turn-level evidence retrieval (recall@k, MRR, latency)",
        description="Ingest each conversation as one user of a fresh eval tenant through the "
        "write path, rank each question's turns (memoria: router -> retrieve -> rerank; or a "
        "BM25 / dense baseline over the same indexed texts), write one JSON line per query, "
        "print recall@k, hit@k and MRR as the benchmark's score.py defines them, then delete "
        "the tenant. Adversarial questions (category 5) are skipped.",
    )
    loc.add_argument("--turns", type=Path, help="turns.jsonl (with --queries)")
    loc.add_argument("--queries", type=Path, help="queries.jsonl (with --turns)")
    loc.add_argument("--locomo", type=Path, help="official locomo10.json instead of the jsonl pair")
    loc.add_argument("--out", type=Path, required=True, help="results.jsonl to write")
    loc.add_argument("--method", choices=["memoria", "bm25", "dense"], default="memoria")
    loc.add_argument("--limit-queries", type=int, default=None, metavar="N", help="first N only")
    loc.add_argument("--keep", action="store_true", help="keep the eval tenant's rows")
    loc.add_argument(
        "--set",
        action="append",
        default=[],
        type=knob,
        metavar="KNOB=VALUE",
        help="override a run knob of the read path, e.g. --set rerank=false --set fusion=rrf",
    )

    loc.add_argument(
        "--cv",
        action="store_true",
        help="also cross-validate by conversation (leave one out): the hand-tuned constants "
        "over a grid and the learned reranker, reported next to the in-sample figures",
    )
    loc.add_argument(
        "--model-out",
        type=Path,
        default=None,
        metavar="PATH",
        help="with --cv: write the reranker fitted on every conversation here "
        "(the shipped one is retrievers/models/rerank-v1.json)",
    )
    loc.set_defaults(run=lambda args: asyncio.run(eval_locomo(args)), check=_check_locomo)
    from evals.chat.run import build_parser
    from evals.chat.run import run as run_chat_eval

    chat = ev_sub.add_parser(
        "chat",
        parents=[build_parser(add_help=False)],
        help="does it remember its users? personas tell facts, then ask in new threads",
        description="Drive the API (a running server, or the app in this process) with the "
        "scenario set in evals/chat: personas tell facts across threads, change one, then ask "
        "about them in new threads; knowledge-base questions too, across languages. Prints, "
        "per language, how often the fact reached the answer's context and its first "
        "citation, stale facts cited, abstention on never-told facts, and turn latency.",
    )
    chat.set_defaults(run=run_chat_eval)

    bench = sub.add_parser("bench", help="measure the product's speed (see BENCHMARKS.md)")
    bench_sub = bench.add_subparsers(dest="benchmark", required=True)
    bw = bench_sub.add_parser(
        "write",
        help="write acknowledgement and outbox lag",
        description="Store turns at a fixed rate across many users and threads as persist does; "
        "report percentiles of the acknowledgement (one durable commit) and of the outbox lag "
        "(until the message is indexed and recallable). Uses a fresh tenant, deleted after.",
    )
    bw.add_argument("--turns", type=positive, default=1000, help="measured turns (default 1000)")
    bw.add_argument("--users", type=positive, default=20, help="users (default 20)")
    bw.add_argument("--threads", type=positive, default=5, help="threads per user (default 5)")
    bw.add_argument(
        "--rate", type=float, default=20.0, help="turns per second offered; 0 = unthrottled"
    )
    bw.add_argument(
        "--worker",
        choices=["inprocess", "process", "off"],
        default="inprocess",
        help="outbox worker in this process (default, as `memoria serve` runs it), in a "
        "`memoria worker` child process (scale-out), or off (acknowledgement alone)",
    )
    bw.add_argument(
        "--turn-lock",
        action="store_true",
        help="hold each thread's turn lock around its append, as the HTTP API does per turn",
    )
    bw.add_argument("--out", type=Path, default=None, help="also write the report as JSON here")
    bw.set_defaults(run=lambda args: asyncio.run(bench_write(args)))
    bs = bench_sub.add_parser(
        "suite",
        help="seeded read path, HTTP turns, 1/8/32 clients, growth and ingestion",
        description="Grow one fresh tenant to each size (stored messages across users and "
        "threads, through the write path and the outbox worker; a knowledge base of 1 chunk "
        "per 5 messages, through ingestion). At each size time the read path for new "
        "questions, whole turns over HTTP (a server process on loopback, offline responder), "
        "and closed-loop concurrent clients. Then ingest the same pages into a second tenant "
        "to measure the embedding cache. Prints markdown tables; the tenant is deleted after. "
        "Seeding 100k messages takes ~15 min on 2 cores.",
    )
    bs.add_argument(
        "--sizes",
        type=lambda text: [positive(v) for v in text.split(",")],
        default=[10_000, 100_000],
        help="stored-message counts, comma-separated (default 10000,100000)",
    )
    bs.add_argument(
        "--with-1m",
        action="store_true",
        help="also grow to 1,000,000 messages (seeds every size in bulk: implies --bulk-seed)",
    )
    bs.add_argument(
        "--bulk-seed",
        action="store_true",
        help="seed with `bench seed`'s bulk loader (COPY, word-sum vectors, no facts) instead "
        "of the write path; ingestion is then not measured",
    )
    bs.add_argument(
        "--tenant",
        default=None,
        help="grow and keep this tenant (eval-bench-...) instead of a new one: a tenant "
        "seeded before, e.g. by `bench seed`, is measured without seeding it again",
    )
    bs.add_argument("--users", type=positive, default=100, help="users (default 100)")
    bs.add_argument(
        "--read-queries", type=positive, default=300, help="read-path questions per size"
    )
    bs.add_argument("--turns", type=positive, default=200, help="single-client HTTP turns per size")
    _add_load_args(bs)
    bs.add_argument("--keep", action="store_true", help="keep the benchmark tenant's rows")
    bs.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    bs.set_defaults(run=lambda args: asyncio.run(bench_suite(args)))
    bd = bench_sub.add_parser(
        "seed",
        help="bulk-load messages and knowledge-base chunks into a benchmark tenant",
        description="Add messages (human/AI turns of the synthetic corpus, round-robin over "
        "users' threads) and knowledge-base pages to a benchmark tenant with COPY: the "
        "transcript, thread and message-index rows the write path writes (no facts), chunks "
        "with their catalogue rows and term statistics. Vectors are the normalised sums of "
        "the model's vectors of each text's words. Grows the tenant from what it holds; "
        "`bench suite --tenant` then measures it. 1M messages + 100k chunks: see BENCHMARKS.md.",
    )
    bd.add_argument("--tenant", default="eval-bench-seed", help="tenant (default eval-bench-seed)")
    bd.add_argument("--messages", type=positive, required=True, help="messages it should hold")
    bd.add_argument("--chunks", type=int, default=0, help="knowledge-base chunks (~12 a page)")
    bd.add_argument("--users", type=positive, default=100, help="users (default 100)")
    bd.set_defaults(run=lambda args: asyncio.run(bench_seed(args)))
    bt = bench_sub.add_parser(
        "turns",
        help="server CPU and statements per turn; turns/s for 1..N server processes",
        description="Seed a small tenant (messages through the write path, a few knowledge-base "
        "pages), start N server processes on loopback (offline responder) and time one-client "
        "turns: CPU of the servers and of Postgres per turn (psutil), transactions and "
        "checkpoint scans per turn (Postgres's counters), Redis commands per turn; then "
        "closed-loop clients spread over the servers. The tenant is deleted after.",
    )
    bt.add_argument("--turns", type=positive, default=300, help="measured turns (default 300)")
    bt.add_argument("--servers", type=positive, default=1, help="server processes (default 1)")
    bt.add_argument(
        "--worker",
        choices=["inprocess", "process"],
        default="inprocess",
        help="outbox worker inside each server (default), or one `memoria worker` process",
    )
    bt.add_argument(
        "--calls",
        action="store_true",
        help="also count the SQL statements and Redis round trips each measured turn sends, "
        "by caller (benchmarks/calls.py)",
    )
    _add_load_args(bt)
    bt.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    bt.set_defaults(run=lambda args: asyncio.run(bench_turns(args)))
    bl = bench_sub.add_parser(
        "thread",
        help="one long thread: turn time, CPU, checkpoint and summary bytes as it grows",
        description="Drive the graph in-process (offline responder and summariser) on one "
        "thread of a fresh tenant and report, at each milestone, turn time and CPU over the "
        "turns before it, the checkpoint the next turn reads, the bytes written to the "
        "checkpoint tables per turn, and the thread's summary rows. The tenant is deleted after.",
    )
    bl.add_argument(
        "--milestones",
        type=lambda text: [positive(v) for v in text.split(",")],
        default=[200, 1000, 3000],
        help="thread lengths in turns to report at (default 200,1000,3000)",
    )
    bl.add_argument("--window", type=positive, default=50, help="turns per figure (default 50)")
    bl.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    bl.set_defaults(run=lambda args: asyncio.run(bench_thread(args)))


def _add_load_args(parser: argparse.ArgumentParser) -> None:
    """Add how many concurrent clients to run, and for how long each."""
    parser.add_argument(
        "--clients",
        type=lambda text: [positive(v) for v in text.split(",")],
        default=[1, 8, 32],
        help="concurrent client counts (default 1,8,32)",
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="seconds per concurrency level (default 20)"
    )


def _check_locomo(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.locomo and (args.turns or args.queries):
        parser.error("eval locomo: give --locomo or --turns/--queries, not both")
    if not args.locomo and not (args.turns and args.queries):
        parser.error("eval locomo: give --turns and --queries (or --locomo)")
    if args.limit_queries is not None and args.limit_queries < 1:
        parser.error("eval locomo: --limit-queries must be at least 1")
    if args.model_out and not args.cv:
        parser.error("eval locomo: --model-out needs --cv (the model is trained by it)")
    if args.cv and args.method != "memoria":
        parser.error("eval locomo: --cv cross-validates the memoria read path, not a baseline")


async def eval_locomo(args: argparse.Namespace) -> int:
    """Run the LoCoMo retrieval eval and print its report."""
    from evals.locomo import format_report, load_jsonl_benchmark, load_locomo10, run_eval
    from evals.locomo.cv import cross_validate, format_cv
    from graph.resources import Resources

    try:
        if args.locomo:
            turns, queries = load_locomo10(args.locomo)
        else:
            turns, queries = load_jsonl_benchmark(args.turns, args.queries)
    except OSError as exc:
        raise ValueError(str(exc)) from exc
    # run_eval checks the data before opening anything, so bad input fails in milliseconds.
    res = Resources(get_settings())
    try:
        report = await run_eval(
            res,
            turns,
            queries,
            out_path=args.out,
            method=args.method,
            limit_queries=args.limit_queries,
            keep=args.keep,
            knobs=dict(args.set),
            analyse=functools.partial(cross_validate, model_out=args.model_out)
            if args.cv
            else None,
        )
    finally:
        await res.aclose()
    sys.stdout.write(format_report(report) + "\n")
    if report.analysis is not None:
        sys.stdout.write(format_cv(report.analysis) + "\n")
    return 0


def positive(text: str) -> int:
    """Parse a whole number of at least 1 (argparse type)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def knob(text: str) -> tuple[str, object]:
    """Parse KNOB=VALUE into a Context field and a value of that field's type."""
    from dataclasses import fields

    from graph.context import Context

    name, sep, raw = text.partition("=")
    kinds = {f.name: f.default for f in fields(Context)}
    if not sep or name not in kinds:
        raise argparse.ArgumentTypeError(f"expected KNOB=VALUE with KNOB one of {sorted(kinds)}")
    default = kinds[name]
    if isinstance(default, bool):
        if raw.lower() not in ("true", "false"):
            raise argparse.ArgumentTypeError(f"{name} takes true or false")
        return name, raw.lower() == "true"
    if isinstance(default, int | float):
        try:
            return name, type(default)(raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{name} takes a number") from exc
    return name, raw
