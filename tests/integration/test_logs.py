"""`MEMORIA_LOG_FORMAT=json`: `memoria serve` logs one JSON object per line, a record per turn."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid

import httpx
import pytest

from configs.settings import REPO_ROOT
from storage.services import ServiceURLs
from tests.support import ServerProcess, new_config

pytestmark = [pytest.mark.integration, pytest.mark.process]


class MemoriaServe(ServerProcess):
    """`memoria serve` (the CLI, with its logging set up), its stderr kept in a file."""

    def start(self) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")
        cmd = [sys.executable, "-c", "import sys, cli; sys.exit(cli.main())", "serve"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.wait_healthy()

    def lines(self) -> list[str]:
        self.log.seek(0)
        return [line for line in self.log.read().splitlines() if line.strip()]


async def test_json_logs_hold_a_record_per_turn_with_ids_and_counts_not_text(
    service_urls: ServiceURLs,
):
    server = MemoriaServe(service_urls, MEMORIA_LOG_FORMAT="json")
    secret = f"my safe code is {uuid.uuid4().hex[:10]}"
    config = new_config()
    server.start()
    try:
        body = {"input": {"messages": [{"type": "human", "content": secret}]}, "config": config}
        response = httpx.post(f"{server.url}/agent/invoke", json=body, timeout=60)
        assert response.status_code == 200, response.text
        server.stop()
        lines = server.lines()
    finally:
        server.kill()

    records = [json.loads(line) for line in lines]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    turns = [r for r in records if r["message"] == "turn persisted"]
    assert len(turns) == 1
    turn = turns[0]
    ids = config["configurable"]
    assert {k: turn[k] for k in ("tenant_id", "user_id", "thread_id")} == ids
    assert turn["strategy"] and turn["stored"] == 2 and isinstance(turn["results"], int)
    # uvicorn's own lines go the same way.
    assert any(r["logger"] == "uvicorn.access" for r in records)
    assert not any(secret in line for line in lines)
