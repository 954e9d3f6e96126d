"""A benchmark suite run as markdown tables (`memoria bench suite`, BENCHMARKS.md)."""

from __future__ import annotations

from typing import Any


def format_suite_report(data: dict[str, Any]) -> str:
    """Return markdown tables of a suite run."""

    def pcts(s: dict[str, Any]) -> str:
        return f"{s.get('p50')} | {s.get('p95')} | {s.get('p99')}"

    lines = [
        f"benchmark suite, tenant {data['tenant']}; machine {data['machine']}",
        "",
        "| messages | KB chunks | read p50 | read p95 | read p99 "
        "| turn p50 | turn p95 | turn p99 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in data["sizes"]:
        lines.append(
            f"| {e['messages']} | {e['kb_chunks']} | {pcts(e['read']['read_ms'])} | "
            f"{pcts(e['turn']['turn_ms'])} |"
        )
    lines += [
        "",
        "| messages | clients | turns/s | error rate | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in data["sizes"]:
        for c in e["concurrency"]:
            lines.append(
                f"| {e['messages']} | {c['clients']} | {c['turns_per_s']} | {c['error_rate']} | "
                f"{pcts(c['turn_ms'])} |"
            )
    lines += [
        "",
        "| ingestion | chunks | chunks/s | embedding cache hit rate |",
        "|---|---|---|---|",
    ]
    for e in data["sizes"]:
        if not (kb := e["kb_ingest"]):
            continue
        lines.append(
            f"| to {e['messages']} messages | {kb['chunks']} | {kb['chunks_per_s']} | "
            f"{kb['embedding_cache_hit_rate']} |"
        )
    if rep := data.get("kb_repeat_ingest"):
        lines.append(
            f"| same pages, new tenant | {rep['chunks']} | {rep['chunks_per_s']} | "
            f"{rep['embedding_cache_hit_rate']} |"
        )
    return "\n".join(lines)
