"""`memoria chat`: a terminal client of a running memoria server (streams, shows citations)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import httpx

from configs.settings import get_settings


def register(sub: Any) -> None:
    """Add `chat`."""
    cht = sub.add_parser(
        "chat",
        help="chat with a running server in the terminal (streamed answers, strategy, citations)",
        description="A REPL over the server's /agent/stream: each line you type is a turn of "
        "one thread; the strategy chosen is printed, then the answer as the server's LLM writes "
        "it (the offline responder's answer appears whole), then the sources it cites. "
        "Start the server first (`make run`). Ctrl-D leaves; --thread continues a thread.",
    )
    cht.add_argument("--user", required=True, help="your user id")
    cht.add_argument("--thread", default=None, help="thread id to continue (default: a new one)")
    cht.add_argument("--url", default=None, help="server URL (default: MEMORIA_HOST:MEMORIA_PORT)")
    cht.add_argument("--key", default=None, help="API key, when the server requires one")
    cht.set_defaults(run=chat)


def chat(args: argparse.Namespace) -> int:
    """Chat with a running server until end of input."""
    s = get_settings()
    url = args.url or f"http://{s.memoria_host}:{s.memoria_port}"
    # The terminal shows the conversation only: no httpx request lines, no library chatter.
    # Warnings and errors still reach stderr.
    logging.getLogger().setLevel(logging.WARNING)
    return run_chat(url, user_id=args.user, thread_id=args.thread, api_key=args.key)


def stream_turn(
    client: httpx.Client,
    text: str,
    config: dict[str, Any],
    *,
    on_token: Callable[[str], None] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (node, update) pairs of one turn from `/agent/stream` as they arrive.

    Args:
        client: A client whose base URL is the server's.
        text: The user's message.
        config: The run config (`configurable` with user_id and thread_id).
        on_token: If given, the server is asked for the answer's tokens too, and this is
            called with each as it arrives, before generate's update. None arrive when the
            server answers with its offline responder: that update then holds the whole answer.

    Raises:
        RuntimeError: the server refused the turn or the run failed; the message says why.
    """
    body = {"input": {"messages": [{"type": "human", "content": text}]}, "config": config}
    params = {"tokens": "true"} if on_token else {}
    with client.stream("POST", "/agent/stream", json=body, params=params) as response:
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
            elif line.startswith("data: ") and event == "token" and on_token:
                on_token(json.loads(line[6:])["content"])
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
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Read lines from `stdin`, send each as a turn, print the answer and its sources.

    `stdin` and `stdout` are the process's (as they are when called) unless given.
    """
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
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
            turn = _TurnPrinter(stdout)
            try:
                for node, update in stream_turn(client, line.strip(), config, on_token=turn.token):
                    turn.show(node, update)
            except (RuntimeError, httpx.HTTPError) as exc:
                turn.end_answer()
                stdout.write(f"error: {exc}\n")


class _TurnPrinter:
    """Print one turn: the strategy, the answer as it is written (or whole), its sources."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.streaming = False  # an answer's tokens are on screen and its line is still open

    def token(self, text: str) -> None:
        """Print a piece of the answer now, so it appears as the model writes it."""
        if not self.streaming:
            self.out.write("memoria> ")
            self.streaming = True
        self.out.write(text)
        self.out.flush()

    def end_answer(self) -> None:
        """End the line of a streamed answer, if one is open."""
        if self.streaming:
            self.out.write("\n")
            self.streaming = False

    def show(self, node: str, update: dict[str, Any]) -> None:
        """Print what a node's update tells the user."""
        if node == "router" and update.get("route"):
            route = update["route"]
            self.out.write(f"  [{route['strategy']}: {route['reason']}]\n")
        elif node == "generate":
            messages = update.get("messages") or []
            if self.streaming:
                # The tokens were the answer: printing it again would show it twice.
                self.end_answer()
            elif messages and messages[-1].get("content"):
                self.out.write(f"memoria> {messages[-1]['content']}\n")
            for c in update.get("citations") or []:
                self.out.write(f"  [{c['ref']}] {c['title']}: {c['snippet'][:160]}\n")
        self.out.flush()
