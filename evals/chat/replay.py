"""Replay the offline responder on a chat-eval report's recorded passages (no server, no store).

    python -m evals.chat.replay REPORT.json [REPORT.json ...] [--sweep] [--cv] [--superseding]

Each persona question of a report (`--out` of `memoria eval chat`) keeps the passages handed
to the answer; this re-answers them with `graph.extractive.extractive_answer`, with and
without the semantic attribute layer, and scores them as the eval does. Retrieval is not
re-run, so only the answer gate moves: what it measures is the gate's trade-off between
first citations and abstentions. `--sweep` tries the threshold grid (`SWEPT`); `--cv` picks
them by leave-one-persona-group-out (6 folds by persona, maximising the sum of the three
rates) and reports the out-of-fold figures. `--superseding` sweeps or cross-validates the
label floor of "the newest statement" (`graph.semantic_evidence.SUPERSEDING`) instead.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from evals.chat.scoring import abstention, fact_scores, kb_scores
from graph.extractive import extractive_answer
from graph.semantic_evidence import read_evidence
from memory.fact_semantics import AttributeClassifier, load
from retrievers.embedders import EMBEDDERS
from retrievers.registry import DEFAULT


class _Memo:
    """An embedder with a dictionary in front: every threshold pair reuses the vectors."""

    def __init__(self, inner: Any) -> None:  # noqa: ANN401
        self.inner = inner
        self.q: dict[str, list[float]] = {}
        self.p: dict[str, list[float]] = {}

    async def aembed_query(self, text: str) -> list[float]:
        if text not in self.q:
            self.q[text] = self.inner.embed_query(text)
        return self.q[text]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        todo = [t for t in dict.fromkeys(texts) if t not in self.p]
        for text, vector in zip(
            todo, self.inner.embed_documents(todo) if todo else [], strict=True
        ):
            self.p[text] = vector
        return [self.p[t] for t in texts]


def _candidates(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": p["id"],
            "source": p["source"],
            "content": p["content"],
            "metadata": p.get("metadata") or {},
            "scores": p.get("scores") or {},
        }
        for p in record.get("passages") or []
    ]


async def answer(
    record: dict[str, Any],
    classifier: AttributeClassifier | None,
    memo: _Memo | None,
    superseding: float | None = None,
) -> dict[str, Any]:
    """Re-answer one record; return the output dict the eval's scoring reads.

    `superseding`: the label floor of "the newest statement" instead of the shipped one.
    """
    context = _candidates(record)
    semantics = None
    if classifier is not None and memo is not None:
        semantics = await read_evidence(classifier, memo, record["ask"], context)
        if superseding is not None:
            semantics = replace(semantics, superseding=superseding)
    message, citations = extractive_answer(
        record["ask"],
        context,
        record.get("route"),
        DEFAULT.label,
        EMBEDDERS["use"].calibration,
        record.get("conversation_language") or None,
        semantics=semantics,
    )
    return {
        "messages": [{"type": "ai", "content": message.content}],
        "citations": citations,
        "context": context,
    }


def score(record: dict[str, Any], output: dict[str, Any]) -> tuple[str, bool, bool]:
    """Return the record's kind, whether it passes, and whether a stale value came first."""
    if record["kind"] == "abstain":
        return "abstain", abstention(output)["abstained"], False
    if record["kind"] == "kb":
        return "kb", kb_scores(output, record["doc"], record["expect"][0])["first_right"], False
    scores = fact_scores(output, record["expect"], record.get("stale") or ())
    stale = bool(scores.get("stale_first", False))
    return record["kind"], scores["first_cited"] and not stale, stale


async def tally(
    records: Sequence[dict[str, Any]],
    classifier: AttributeClassifier | None,
    memo: _Memo | None,
    superseding: float | None = None,
) -> dict[str, list[int]]:
    """Return {"facts"|"abstain"|"kb"|"fresh": [passed, n]} over `records`.

    "fresh": questions after a change whose old value was not cited first.
    """
    out = {"facts": [0, 0], "abstain": [0, 0], "kb": [0, 0], "fresh": [0, 0]}
    for record in records:
        kind, passed, stale = score(record, await answer(record, classifier, memo, superseding))
        slot = out[kind if kind in out else "facts"]
        slot[0] += int(passed)
        slot[1] += 1
        if kind == "change":
            out["fresh"][0] += int(not stale)
            out["fresh"][1] += 1
    return out


def _line(name: str, t: dict[str, list[int]]) -> str:
    f, a, k, s = t["facts"], t["abstain"], t["kb"], t["fresh"]
    return (
        f"{name}: first cited {f[0]}/{f[1]} ({f[0] / max(f[1], 1):.1%}), "
        f"abstained {a[0]}/{a[1]}, KB first right {k[0]}/{k[1]}, "
        f"stale cited first {s[1] - s[0]}/{s[1]}"
    )


# The thresholds tried, by name (`memory.fact_semantics.Thresholds`); the others are the
# weights file's. `question` .5, `personal` .5 and `demote` .1 were every fold's choice in
# session 4 and stay fixed to keep the grid small.
SWEPT = {
    "statement": (0.15, 0.2),
    "product": (1.1, 0.6, 0.7),
    "margin": (0.0, 0.6, 0.8, 1.0),
}
GRID = [dict(zip(SWEPT, values, strict=True)) for values in itertools.product(*SWEPT.values())]
# `--superseding`: the grid is the newest statement's label floor instead, at the weights
# file's thresholds (`graph.semantic_evidence.SUPERSEDING`).
SUPERSEDING = [{"superseding": v} for v in (0.15, 0.3, 0.4, 0.5)]


async def main_async(args: argparse.Namespace) -> int:
    """Replay, sweep or cross-validate."""
    records = []
    for path in args.reports:
        for r in json.loads(open(path).read())["records"]:
            if (
                r.get("kind") in ("fact", "change", "abstain", "kb")
                and r.get("passages") is not None
            ):
                r["set"] = path
                records.append(r)
    base = load(args.model)
    if base is None:
        _say(f"no classifier for {args.model}")
        return 2
    memo = _Memo(EMBEDDERS[args.model]())
    _say(_line("rules only", await tally(records, None, None)))
    _say(_line(f"with semantics {base.thresholds}", await tally(records, base, memo)))

    def at(point: dict[str, float]) -> AttributeClassifier:
        c = AttributeClassifier.__new__(AttributeClassifier)
        c.__dict__.update(base.__dict__)
        c.thresholds = replace(base.thresholds, **point)
        return c

    grid = SUPERSEDING if args.superseding else GRID

    async def run(on: Sequence[dict[str, Any]], point: dict[str, float]) -> dict[str, list[int]]:
        if args.superseding:
            return await tally(on, base, memo, point["superseding"])
        return await tally(on, at(point), memo)

    if args.sweep:
        for point in grid:
            _say(_line(_name(point), await run(records, point)))
    if args.cv:
        personas = sorted({r.get("persona") or r["id"] for r in records})
        folds = [personas[i::6] for i in range(6)]
        total = {"facts": [0, 0], "abstain": [0, 0], "kb": [0, 0], "fresh": [0, 0]}
        for held in folds:
            train = [r for r in records if (r.get("persona") or r["id"]) not in held]
            test = [r for r in records if (r.get("persona") or r["id"]) in held]
            best, best_gain = None, None
            for point in grid:
                gain = _rates(await run(train, point))
                if best_gain is None or gain > best_gain:
                    best, best_gain = point, gain
            assert best is not None
            t = await run(test, best)
            _say(f"fold {held[:2]}...: chose {_name(best)}; " + _line("held", t))
            for k in total:
                total[k][0] += t[k][0]
                total[k][1] += t[k][1]
        _say(_line("out of fold", total))
    return 0


def _rates(t: dict[str, list[int]]) -> float:
    """Return the sum of the four goals' rates (facts, never-told, KB, no stale value first).

    Each goal is a rate, and never-told and change questions are few: one right abstention
    weighs as much as six first citations, one stale value first as much as ten. A stale
    value first is a goal of its own ("none after a change"), not one fact question among
    hundreds.
    """
    return sum(passed / max(n, 1) for passed, n in t.values())


def _name(point: dict[str, float]) -> str:
    return " ".join(f"{k}={v}" for k, v in point.items())


def _say(line: str) -> None:
    sys.stdout.write(f"{line}\n")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m evals.chat.replay")
    parser.add_argument("reports", nargs="+")
    parser.add_argument("--model", default="use", choices=sorted(EMBEDDERS))
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--cv", action="store_true")
    parser.add_argument(
        "--superseding",
        action="store_true",
        help="sweep or cross-validate the newest statement's label floor instead",
    )
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
