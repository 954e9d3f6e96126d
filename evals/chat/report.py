"""Turn the chat eval's answers into scored records, a JSON-able report and a text summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evals.chat.driver import TurnResult
from evals.chat.scenarios import KbQuestion, Persona, Question
from evals.chat.scoring import (
    abstention,
    answer_text,
    fact_scores,
    first_citation_summary,
    kb_scores,
    percentile,
)

LANGS = ("en", "pt")
_ANSWER_CHARS = 240


def _base(turn: TurnResult, language: str, ask: str) -> dict[str, Any]:
    output = turn.output or {}
    answer = " ".join(answer_text(output).split())
    return {
        "language": language,
        "ask": ask,
        "ok": turn.ok,
        "error": turn.error,
        "latency_ms": round(turn.latency_ms, 1),
        "strategy": (output.get("route") or {}).get("strategy"),
        "first_cited": first_citation_summary(output),
        "citations": len(output.get("citations") or []),
        "context_sources": dict(
            Counter(str(item.get("source")) for item in output.get("context") or [])
        ),
        "answer": answer[:_ANSWER_CHARS] + ("…" if len(answer) > _ANSWER_CHARS else ""),
        # What the answer chose from, for calibrating thresholds: each passage's origin,
        # scores and opening words.
        "context": [
            {
                "source": item.get("source"),
                "scores": item.get("scores") or {},
                "text": str(item.get("content", ""))[:120],
            }
            for item in output.get("context") or []
        ],
        # The same passages whole, as the responder saw them: `memoria eval chat --train`
        # learns when to answer from these.
        "route": output.get("route"),
        "conversation_language": output.get("language"),
        "passages": [
            {
                key: item.get(key)
                for key in ("id", "source", "content", "metadata", "scores", "ranks")
            }
            for item in output.get("context") or []
        ],
    }


def persona_record(persona: Persona, question: Question, turn: TurnResult) -> dict[str, Any]:
    """Score one persona question's answer; `passed` says whether it counts as a success.

    A fact question passes when its first citation holds the expected value and, for the
    changed fact, is not the stale value; a never-told question passes when it abstained.
    """
    record = _base(turn, persona.language, question.ask)
    record["persona"] = persona.id
    output = turn.output or {}
    if question.abstain:
        scores = (
            abstention(output)
            if turn.ok
            else dict.fromkeys(
                ("abstained", "cited_memory", "said_dont_know", "no_citations"), False
            )
        )
        record.update(
            kind="abstain", about=question.about, scores=scores, passed=scores["abstained"]
        )
        return record
    changed = bool(question.stale)
    scores = fact_scores(output, question.expect, question.stale)
    record.update(
        kind="change" if changed else "fact",
        fact=question.fact,
        expect=list(question.expect),
        stale=list(question.stale),
        scores=scores,
        passed=scores["first_cited"] and not scores.get("stale_first", False),
    )
    return record


def kb_record(question: KbQuestion, turn: TurnResult) -> dict[str, Any]:
    """Score one knowledge-base question's answer (passes when the first citation is right)."""
    record = _base(turn, question.language, question.ask)
    scores = kb_scores(turn.output or {}, question.doc, question.expect)
    record.update(
        kind="kb",
        id=question.id,
        doc=question.doc,
        expect=[question.expect],
        cross_lingual=question.cross_lingual,
        scores=scores,
        passed=scores["first_right"],
    )
    return record


def ratio(hits: int, n: int) -> dict[str, Any]:
    """Return `{"hits", "n", "rate"}` (rate None when n is 0)."""
    return {"hits": hits, "n": n, "rate": round(hits / n, 3) if n else None}


def _count(records: Sequence[Mapping[str, Any]], key: str) -> dict[str, Any]:
    return ratio(sum(bool(r["scores"].get(key)) for r in records), len(records))


def _language_block(
    records: Sequence[Mapping[str, Any]], latencies: Sequence[float]
) -> dict[str, Any]:
    facts = [r for r in records if r["kind"] in ("fact", "change")]
    changes = [r for r in records if r["kind"] == "change"]
    never = [r for r in records if r["kind"] == "abstain"]
    kb = [r for r in records if r["kind"] == "kb"]
    cross = [r for r in kb if r["cross_lingual"]]
    by_fact: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in facts:
        by_fact[r["fact"]].append(r)
    questions = [r for r in records if r["strategy"]]
    return {
        "facts": {
            **{k: _count(facts, k) for k in ("in_context", "first_cited", "any_cited")},
            "first_snippet": _count(facts, "first_snippet"),
            "stored_fact_in_context": ratio(
                sum("facts" in r["context_sources"] for r in facts), len(facts)
            ),
        },
        "changes": {
            "stale_first": _count(changes, "stale_first"),
            "stale_cited": _count(changes, "stale_cited"),
            "new_first": _count(changes, "first_cited"),
            "stale_in_context": _count(changes, "stale_in_context"),
        },
        "abstention": {
            k: _count(never, k)
            for k in ("abstained", "cited_memory", "said_dont_know", "no_citations")
        },
        "kb": {
            "first_right": _count(kb, "first_right"),
            "any_right": _count(kb, "any_right"),
            "in_context": _count(kb, "in_context"),
            "cross_lingual_first_right": _count(cross, "first_right"),
            "cross_lingual_any_right": _count(cross, "any_right"),
        },
        "by_fact": {
            fact: {"first_cited": _count(rs, "first_cited"), "in_context": _count(rs, "in_context")}
            for fact, rs in sorted(by_fact.items())
        },
        "strategies": dict(Counter(r["strategy"] for r in questions).most_common()),
        "latency_ms": {
            "turns": len(latencies),
            "p50": _round(percentile(latencies, 50)),
            "p95": _round(percentile(latencies, 95)),
            "max": _round(max(latencies) if latencies else None),
        },
        "errors": sum(not r["ok"] for r in records),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def aggregate(
    records: Sequence[Mapping[str, Any]], latencies: Iterable[tuple[str, float]]
) -> dict[str, Any]:
    """Return the per-language figures (en, pt, all) from scored records and turn latencies."""
    latencies = list(latencies)
    blocks = {}
    for lang in (*LANGS, "all"):
        mine = [r for r in records if lang == "all" or r["language"] == lang]
        ms = [m for lg, m in latencies if lang == "all" or lg == lang]
        blocks[lang] = _language_block(mine, ms)
    return blocks


def _cell(r: Mapping[str, Any] | None) -> str:
    if not r or not r["n"]:
        return "-"
    return f"{r['hits']}/{r['n']} {100 * r['rate']:5.1f}%"


_ROWS: tuple[tuple[str, str, str], ...] = (
    ("facts: expected value in context", "facts", "in_context"),
    ("facts: first citation holds it", "facts", "first_cited"),
    ("facts: any citation holds it", "facts", "any_cited"),
    ("facts: first snippet shows it", "facts", "first_snippet"),
    ("facts: a stored fact in context", "facts", "stored_fact_in_context"),
    ("change: stale cited first (want 0)", "changes", "stale_first"),
    ("change: stale cited at all", "changes", "stale_cited"),
    ("change: new value cited first", "changes", "new_first"),
    ("never told: abstained", "abstention", "abstained"),
    ("never told: cited memory anyway", "abstention", "cited_memory"),
    ("never told: said it doesn't know", "abstention", "said_dont_know"),
    ("KB: first citation from right doc", "kb", "first_right"),
    ("KB: any citation from right doc", "kb", "any_right"),
    ("KB: answer passage in context", "kb", "in_context"),
    ("KB cross-lingual: first cit. right", "kb", "cross_lingual_first_right"),
)


def format_report(report: Mapping[str, Any], *, verbose: bool = False) -> str:
    """Return the report as text: one row per figure and a column per language.

    Args:
        report: What `run_chat_eval` returned.
        verbose: Also list every failed question with what was cited first.
    """
    run = report["run"]
    blocks = report["languages"]
    ran = [lg for lg in LANGS if lg in blocks and blocks[lg]["latency_ms"]["turns"]]
    langs = [*ran, "all"]
    waits = Counter(w["method"] for w in report.get("waits", []))
    lines = [
        f"memoria chat eval: {run['personas']} personas "
        f"({', '.join(f'{k} {v}' for k, v in run['personas_by_language'].items())}), "
        f"{run['memory_questions']} memory questions, {run['kb_questions']} KB questions",
        f"tenant {run['tenant']}, {run['turns']} turns in {run['duration_s']:.1f} s "
        f"(KB upload {run['kb_upload_ms'] / 1000:.1f} s; indexing waits: "
        f"{', '.join(f'{n} {m}' for m, n in sorted(waits.items())) or 'none'})",
        "",
        f"{'':38}" + "".join(f"{lg:>18}" for lg in langs),
    ]
    for label, group, key in _ROWS:
        lines.append(
            f"{label:38}" + "".join(f"{_cell(blocks[lg][group].get(key)):>18}" for lg in langs)
        )
    lat = "".join(f"{_latency(blocks[lg]['latency_ms']):>18}" for lg in langs)
    lines.append(f"{'turn latency p50 / p95 ms':38}{lat}")
    lines.append(
        f"{'errors (failed turns)':38}" + "".join(f"{blocks[lg]['errors']:>18}" for lg in langs)
    )
    lines += ["", "first citation holds the fact, by fact:"]
    for lg in (lg for lg in langs if lg != "all"):
        parts = [
            f"{fact} {v['first_cited']['hits']}/{v['first_cited']['n']}"
            for fact, v in blocks[lg]["by_fact"].items()
        ]
        lines.append(f"  {lg}: " + ", ".join(parts))
    for lg in (lg for lg in langs if lg != "all"):
        strategies = ", ".join(f"{k} {v}" for k, v in blocks[lg]["strategies"].items())
        lines.append(f"  strategies ({lg}): {strategies}")
    if verbose:
        lines += ["", *failure_lines(report["records"])]
    return "\n".join(lines) + "\n"


def _latency(lat: Mapping[str, Any]) -> str:
    if not lat["turns"]:
        return "-"
    return f"{lat['p50']:.0f} / {lat['p95']:.0f}"


def failure_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return one block per failed question: who, what was asked and expected, what came."""
    failed = [r for r in records if not r["passed"]]
    lines = [f"failures ({len(failed)} of {len(records)} questions):"]
    for r in failed:
        who = r.get("persona") or r.get("id")
        if r["kind"] == "abstain":
            want = f"abstain (never told: {r['about']})"
        elif r["kind"] == "kb":
            want = f"{r['doc']} with {r['expect'][0]!r}"
        else:
            want = " | ".join(r["expect"]) + (
                f" (stale: {' | '.join(r['stale'])})" if r["stale"] else ""
            )
        first = r["first_cited"]
        got = (
            f"{first['source']} [{first['title']}] {first['snippet']!r}"
            if first
            else "nothing cited"
        )
        if r["error"]:
            got = f"ERROR {r['error']}"
        fact = f" {r['fact']}" if r.get("fact") else ""
        lines.append(f"- [{r['language']} {who}] {r['kind']}{fact}: {r['ask']!r}")
        lines.append(f"    expected: {want}; strategy: {r['strategy']}")
        lines.append(f"    first cited: {got}")
        if r["kind"] == "abstain":
            lines.append(f"    answer: {r['answer']!r}")
    return lines
