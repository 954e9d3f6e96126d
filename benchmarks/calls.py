"""What a benchmark server sends per turn: SQL statements and Redis round trips, by caller.

CPU per turn moves by several milliseconds between runs on a shared machine; what a turn
sends does not, and each statement or round trip costs the server a send, a wake-up and
Python on both ends. `memoria bench turns --calls` starts its servers through this module
(`python -m benchmarks.calls server:app ...`, uvicorn's own arguments), which wraps
psycopg's and redis-py's send paths before the app is imported, then counts each call under
the innermost frame of the repository's code that made it (LangGraph's checkpointer under
its own name). The benchmark resets the counts before its measured turns (SIGUSR1) and has
them written as JSON to `MEMORIA_BENCH_CALLS` after (SIGUSR2).

Benchmark-only: the server proper (`server.py`) never imports it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from configs.settings import REPO_ROOT

# Where a server started through `main` writes its counts when asked (SIGUSR2).
CALLS_FILE_ENV = "MEMORIA_BENCH_CALLS"
# Frames of these libraries name the caller when no repository frame is nearer.
NAMED_LIBRARIES = {"langgraph/checkpoint": "langgraph checkpointer"}


class CallCounter:
    """Counts (kind, caller) pairs of statements, pipelines and Redis commands (`install`)."""

    def __init__(self, root: Path = REPO_ROOT) -> None:
        """Attribute calls to files under `root`."""
        self.counts: Counter[tuple[str, str]] = Counter()
        self._root = f"{root}/"

    def caller(self) -> str:
        """Return "path:function" of the innermost repository frame calling now."""
        frame = sys._getframe(2)
        while frame is not None:
            path = frame.f_code.co_filename
            if path.startswith(self._root) and "/.venv/" not in path:
                return f"{path[len(self._root) :]}:{frame.f_code.co_name}"
            for part, name in NAMED_LIBRARIES.items():
                if part in path:
                    return name
            frame = frame.f_back
        return "?"

    def wrap(
        self,
        owner: type,
        method: str,
        kind: str,
        patch: Callable[[Any, str, Any], None] = setattr,
        pipelined: str | None = None,
    ) -> None:
        """Count every call of the coroutine method `owner.method` as `kind`.

        Args:
            owner: The class whose method is wrapped.
            method: The coroutine method's name.
            kind: What a call counts as.
            patch: How the wrapper is put in place (a test's `monkeypatch.setattr` undoes it).
            pipelined: What a cursor's call counts as while its connection is in pipeline
                mode: it travels with the others in the pipeline's round trip.
        """
        original: Callable[..., Awaitable[Any]] = getattr(owner, method)

        async def counted(obj: Any, *args: Any, **kwargs: Any) -> Any:
            in_pipeline = pipelined and obj.connection._pipeline is not None
            if not _in_executemany(sys._getframe(1)):
                self.counts[(pipelined if in_pipeline else kind, self.caller())] += 1
            return await original(obj, *args, **kwargs)

        patch(owner, method, counted)

    def install(self, patch: Callable[[Any, str, Any], None] = setattr) -> None:
        """Wrap psycopg's statements and pipelines and redis-py's commands and pipelines.

        A statement sent in a psycopg pipeline counts as "sql pipelined", the pipeline's
        round trip as "sql pipeline"; "sql" and "sql many" are a round trip each.
        """
        import psycopg
        from redis.asyncio.client import Pipeline, Redis

        self.wrap(psycopg.AsyncCursor, "execute", "sql", patch, "sql pipelined")
        self.wrap(psycopg.AsyncCursor, "executemany", "sql many", patch, "sql pipelined")
        self.wrap(psycopg.AsyncPipeline, "__aexit__", "sql pipeline", patch)
        self.wrap(Redis, "execute_command", "redis", patch)
        self.wrap(Pipeline, "execute", "redis pipeline", patch)

    def snapshot(self) -> list[dict[str, Any]]:
        """Return the counts, most first."""
        return [
            {"kind": kind, "caller": caller, "calls": n}
            for (kind, caller), n in self.counts.most_common()
        ]


def _in_executemany(frame: Any) -> bool:
    """Return whether psycopg's `executemany` is on the stack: its own pipeline is its trip."""
    while frame is not None:
        if frame.f_code.co_name == "executemany" and "/psycopg/" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def per_turn(calls: list[dict[str, Any]], turns: int) -> dict[str, Any]:
    """Return counts divided by `turns`: totals per kind and the callers, most first."""
    totals: Counter[str] = Counter()
    for row in calls:
        totals[row["kind"]] += row["calls"]
    return {
        "totals": {kind: round(n / turns, 2) for kind, n in sorted(totals.items())},
        "callers": [{**row, "calls": round(row["calls"] / turns, 2)} for row in calls],
    }


def main() -> None:
    """Run uvicorn (its command line) with statements and round trips counted."""
    counter = CallCounter()
    counter.install()
    out = Path(os.environ[CALLS_FILE_ENV])
    signal.signal(signal.SIGUSR1, lambda *_: counter.counts.clear())
    signal.signal(signal.SIGUSR2, lambda *_: out.write_text(json.dumps(counter.snapshot())))
    import uvicorn.main

    sys.argv[0] = "uvicorn"
    uvicorn.main.main()


if __name__ == "__main__":
    main()
