"""`memoria chat`: a terminal client of a running memoria server (streams, shows citations)."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from typing import Any, TextIO

import httpx


def stream_turn(
    client: httpx.Client, text: str, config: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (node, update) pairs of one turn from `/agent/stream` as they arrive.

    Raises:
        RuntimeError: the server refused the turn or the run failed; the message says why.
    """
    body = {"input": {"messages": [{"type": "human", "content": text}]}, "config": config}
    with client.stream("POST", "/agent/stream", json=body) as response:
        if response.status_code != 200:
            response.read()
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise RuntimeError(f"{response.status_code}: {detail}")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event == "data":
                for node, update in json.loads(line[6:]).items():
                    yield node, update or {}
            elif line.startswith("data: ") and event == "error":
                # The same "status: why" as a refused turn: 503 means retry, 500 does not.
                error = json.loads(line[6:])
                status = error.get("status_code", 500)
                raise RuntimeError(f"{status}: {error.get('message', 'the run failed')}")


def run_chat(
    url: str,
    *,
    user_id: str,
    thread_id: str | None = None,
    api_key: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    """Read lines from `stdin`, send each as a turn, print the answer and its sources."""
    thread_id = thread_id or str(uuid.uuid4())
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    config = {"configurable": {"user_id": user_id, "thread_id": thread_id}}
    stdout.write(f"memoria chat: thread {thread_id} as {user_id} at {url} (Ctrl-D to leave)\n")
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=120) as client:
        while True:
            stdout.write("you> ")
            stdout.flush()
            line = stdin.readline()
            if not line:
                stdout.write("\n")
                return 0
            if not line.strip():
                continue
            try:
                for node, update in stream_turn(client, line.strip(), config):
                    _show(node, update, stdout)
            except (RuntimeError, httpx.HTTPError) as exc:
                stdout.write(f"error: {exc}\n")


def _show(node: str, update: dict[str, Any], out: TextIO) -> None:
    if node == "router" and update.get("route"):
        route = update["route"]
        out.write(f"  [{route['strategy']}: {route['reason']}]\n")
    elif node == "generate":
        messages = update.get("messages") or []
        if messages and messages[-1].get("content"):
            out.write(f"memoria> {messages[-1]['content']}\n")
        for c in update.get("citations") or []:
            out.write(f"  [{c['ref']}] {c['title']}: {c['snippet'][:160]}\n")
    out.flush()
