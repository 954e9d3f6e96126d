"""`langgraph dev` (the LangGraph Studio server) loads langgraph.json and runs the graph."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import httpx
import pytest
from langgraph_sdk import get_client

from configs.settings import REPO_ROOT
from memory.services import ServiceURLs
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration


async def test_langgraph_dev_serves_and_runs_the_graph(service_urls: ServiceURLs):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COHERE_"))}
    env.update(
        DATABASE_URL=service_urls.database_url,
        REDIS_URL=service_urls.redis_url,
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
        LANGSMITH_TRACING="false",
    )
    cli = [str(REPO_ROOT / ".venv" / "bin" / "langgraph"), "dev", "--no-browser", "--no-reload"]
    proc = subprocess.Popen(
        [*cli, "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, "langgraph dev exited"
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        client = get_client(url=url)
        thread = await client.threads.create()
        user = f"studio-{uuid.uuid4().hex[:6]}"
        nodes = []
        async for part in client.runs.stream(
            thread["thread_id"],
            "memoria",
            input={"messages": [{"type": "human", "content": "hello!"}]},
            config={"configurable": {"user_id": user}},
            stream_mode="updates",
        ):
            assert part.event != "error", part.data
            if part.event == "updates":
                nodes.extend(part.data)
        assert nodes == ["router", "generate", "persist"]
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"]["messages"][-1]["type"] == "ai"
        assert "offline extractive mode" in state["values"]["messages"][-1]["content"].lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
