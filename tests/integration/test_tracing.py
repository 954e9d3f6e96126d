"""LangSmith tracing of HTTP turns, against a stand-in LangSmith API on loopback.

The collector speaks the ingest endpoints the langsmith client uses (`/info`, then
`/runs/multipart`, zstd-compressed when `/info` allows it as LangSmith's does; `/runs/batch`,
`POST /runs` and `PATCH /runs/{id}` too) and keeps every run as posted, then patched.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import random
import string
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import zstandard
from pydantic import SecretStr

from graph.resources import Resources
from retrievers.types import STRATEGIES
from tests.support import api_app, asgi_client, drain, new_config, resources_like, turn_body

pytestmark = pytest.mark.integration

API_KEY = "lsv2-test-key"


class Collector:
    """A stand-in LangSmith API: records each run operation the client sends."""

    def __init__(self) -> None:
        self.ops: list[tuple[str, dict[str, Any]]] = []
        self.api_keys: set[str | None] = set()
        self.unexpected: list[str] = []
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/info":
                    # What LangSmith answers: compressed multipart ingestion is on.
                    self._reply(
                        {"version": "test", "instance_flags": {"zstd_compression_enabled": True}}
                    )
                else:
                    collector._unexpected(f"GET {self.path}")
                    self._reply({}, status=404)

            def do_POST(self) -> None:
                body = self._body()
                path = self.path.split("?")[0]
                if path == "/runs/multipart":
                    collector._record_multipart(self.headers["Content-Type"], body)
                elif path == "/runs/batch":
                    batch = json.loads(body)
                    for op in ("post", "patch"):
                        for run in batch.get(op) or []:
                            collector._record(op, run)
                elif path == "/runs":
                    collector._record("post", json.loads(body))
                else:
                    collector._unexpected(f"POST {self.path}")
                    self._reply({}, status=404)
                    return
                collector.api_keys.add(self.headers.get("x-api-key"))
                self._reply({}, status=202)

            def do_PATCH(self) -> None:
                body = self._body()
                if self.path.startswith("/runs/"):
                    run = json.loads(body)
                    collector._record("patch", {**run, "id": self.path.removeprefix("/runs/")})
                    collector.api_keys.add(self.headers.get("x-api-key"))
                    self._reply({}, status=202)
                else:
                    collector._unexpected(f"PATCH {self.path}")
                    self._reply({}, status=404)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    raw = bytearray()
                    while size := int(self.rfile.readline().split(b";")[0], 16):
                        raw += self.rfile.read(size)
                        self.rfile.readline()
                    self.rfile.readline()
                else:
                    raw = bytearray(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if self.headers.get("Content-Encoding") == "zstd":
                    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw))
                    return reader.read()
                return bytes(raw)

            def _reply(self, payload: dict, status: int = 200) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> Collector:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _unexpected(self, what: str) -> None:
        with self._lock:
            self.unexpected.append(what)

    def _record(self, op: str, run: dict[str, Any]) -> None:
        with self._lock:
            self.ops.append((op, run))

    def _record_multipart(self, content_type: str, body: bytes) -> None:
        """Rebuild each operation from its parts: `post.<id>` holds the run, `post.<id>.<field>`
        its inputs, outputs, extra, events, error and serialized fields."""
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        runs: dict[tuple[str, str], dict[str, Any]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            op, run_id, *field = name.split(".")
            if op not in ("post", "patch"):
                continue  # attachments
            value = json.loads(part.get_payload(decode=True))
            run = runs.setdefault((op, run_id), {"id": run_id})
            if field:
                run[field[0]] = value
            else:
                run.update(value)
        for (op, _), run in runs.items():
            self._record(op, run)

    def runs(self) -> dict[str, dict[str, Any]]:
        """Return each run as LangSmith would hold it: as posted, then updated by its patches."""
        merged: dict[str, dict[str, Any]] = {}
        with self._lock:
            ops = list(self.ops)
        for _, run in ops:
            merged.setdefault(str(run["id"]), {}).update(
                {k: v for k, v in run.items() if v is not None}
            )
        return merged


def trace_of(runs: dict[str, dict[str, Any]], root_id: str) -> list[dict[str, Any]]:
    return [run for run in runs.values() if str(run.get("trace_id")) == root_id]


def metadata(run: dict[str, Any]) -> dict[str, Any]:
    return (run.get("extra") or {}).get("metadata") or {}


@pytest.fixture
def collector() -> Iterator[Collector]:
    with Collector() as running:
        yield running


async def test_turns_are_traced_with_filterable_metadata_and_no_other_users_text(
    resources: Resources, collector: Collector
):
    # The settings decide, whatever LANGSMITH_* the environment holds (tracing off, here).
    traced = resources_like(
        resources,
        langsmith_api_key=SecretStr(API_KEY),
        langsmith_tracing=True,
        langsmith_endpoint=collector.url,
        langsmith_project="memoria-test",
    )
    token = {"a": f"quokka{uuid.uuid4().hex[:8]}", "b": f"narwhal{uuid.uuid4().hex[:8]}"}
    config = {"a": new_config(), "b": new_config()}
    # New words each run: an external Redis keeps the embedding cache between runs.
    project = "".join(random.choices(string.ascii_lowercase, k=10))
    question = f"Do you remember my export code word for project {project}?"
    turns: list[tuple[str, str, dict]] = []  # (user, run id, API output)

    async def turn(who: str, text: str) -> None:
        reply = await client.post("/agent/invoke", json=turn_body(text, config[who]))
        assert reply.status_code == 200, reply.text
        body = reply.json()
        turns.append((who, body["metadata"]["run_id"], body["output"]))

    async def streamed_turn(who: str, text: str) -> None:
        reply = await client.post("/agent/stream", json=turn_body(text, config[who]))
        assert reply.status_code == 200
        run_id, output, event = None, {}, None
        for line in reply.text.splitlines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
                assert event != "error"
            elif line.startswith("data: ") and event == "metadata":
                run_id = json.loads(line.removeprefix("data: "))["run_id"]
            elif line.startswith("data: ") and event == "data":
                for update in json.loads(line.removeprefix("data: ")).values():
                    output.update(update or {})
        assert event == "end" and run_id
        turns.append((who, run_id, output))

    # No worker: the test indexes memory itself (drain), so versions and caches hold still.
    # Closing the resources flushes queued traces, as a graceful shutdown does.
    async with traced, asgi_client(api_app(traced)) as client:
        await turn("a", f"For the record, my export code word is {token['a']}.")
        await turn("b", f"For the record, my export code word is {token['b']}.")
        await drain(resources)  # index both statements: each user's memory changes
        await turn("a", question)
        await streamed_turn("b", question)  # the same words as user a, in another tenant
        await turn("a", question)  # nothing changed since: served from a's retrieval cache

    assert not collector.unexpected
    assert collector.api_keys == {API_KEY}
    runs = collector.runs()
    roots = {}
    for who, run_id, output in turns:
        root = runs[run_id]  # the run id the API returned is the trace's root
        assert root.get("parent_run_id") is None and root["trace_id"] == run_id
        assert root["end_time"] and root["session_name"] == "memoria-test"
        meta = metadata(root)
        ident = config[who]["configurable"]
        assert {k: meta.get(k) for k in ident} == ident
        assert meta["memoria_strategy"] == output["route"]["strategy"]
        assert meta["memoria_strategy"] in STRATEGIES
        assert meta["memoria_strategy_reason"] == output["route"]["reason"]
        assert meta["memoria_sources"] == output["route"]["sources"]
        assert meta["memoria_kept"] == len(output["context"])
        assert meta["memoria_responder"] == "extractive"
        assert meta["memoria_model"] == "offline-extractive"
        assert {"memoria", f"strategy:{meta['memoria_strategy']}"} <= set(root["tags"])
        per_source = [meta[f"memoria_candidates_{s}"] for s in meta["memoria_sources"]]
        assert sum(per_source) == meta["memoria_candidates"] >= meta["memoria_kept"]
        # Every run of the turn carries the turn's tenant and user, for filtering.
        for run in trace_of(runs, run_id):
            assert metadata(run)["tenant_id"] == ident["tenant_id"], run["name"]
            assert metadata(run)["user_id"] == ident["user_id"], run["name"]
        roots.setdefault(who, []).append(meta)

    asked_a, asked_b, asked_a_again = roots["a"][1], roots["b"][1], roots["a"][2]
    assert asked_a["memoria_strategy"] == "cross_conversation"
    assert asked_a["memoria_candidates_conversation"] >= 1  # a's statement, retrieved
    assert (asked_a["memoria_embedding_cache"], asked_a["memoria_retrieval_cache"]) == (
        "miss",
        "miss",
    )
    # Neither the question's vector nor retrievals are shared across tenants: a hit would
    # tell b that someone asked the same words.
    assert (asked_b["memoria_embedding_cache"], asked_b["memoria_retrieval_cache"]) == (
        "miss",
        "miss",
    )
    assert (asked_a_again["memoria_embedding_cache"], asked_a_again["memoria_retrieval_cache"]) == (
        "hit",
        "hit",
    )

    # Each user's text reaches their own traces (their memory was retrieved) and no one else's.
    for who, run_id, _ in turns:
        other = "b" if who == "a" else "a"
        for run in trace_of(runs, run_id):
            assert token[other] not in json.dumps(run), (who, run["name"])
    for who in ("a", "b"):
        recalled = [run_id for user, run_id, _ in turns[2:] if user == who]
        assert all(token[who] in json.dumps(trace_of(runs, r)) for r in recalled)
    # Rerank's per-passage signals: ids and numbers.
    [rerank] = [run for run in trace_of(runs, turns[2][1]) if run["name"] == "rerank"]
    signals = metadata(rerank)["memoria_signals"]
    assert signals and all(set(signal) == {"id", "scores", "ranks"} for signal in signals)
    assert API_KEY not in json.dumps(runs)
