"""Drive memoria's HTTP API for the chat eval: turns, knowledge-base upload, indexing waits.

Works with any `httpx.AsyncClient`: one pointed at a running server (`base_url`), or one over
`httpx.ASGITransport` to an app served in-process.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

KB_SUFFIXES = (".md", ".txt", ".html", ".pdf")
_RETRY_STATUSES = (429, 503)
_ACKED = re.compile(r"^memoria_write_ack_ms_count(?:\{\})?\s+(\S+)", re.MULTILINE)
_DONE = re.compile(r'^memoria_outbox_jobs_total\{outcome="done"\}\s+(\S+)', re.MULTILINE)


@dataclass
class TurnResult:
    """One `/agent/invoke` call as the client saw it.

    Attributes:
        status: HTTP status of the last attempt (0 when the request never got an answer).
        output: The response's `output` on 200, else None.
        latency_ms: Client-measured time of the last attempt, in milliseconds.
        error: What went wrong, for the report; None on success.
        retries: How many 429/503/transport retries it took.
    """

    status: int
    output: dict[str, Any] | None
    latency_ms: float
    error: str | None = None
    retries: int = 0

    @property
    def ok(self) -> bool:
        """True when the turn was answered (200 with an output)."""
        return self.output is not None


class Driver:
    """Send the eval's requests to one server, in one tenant.

    Args:
        client: The HTTP client (its base URL or transport picks the server).
        tenant: The tenant every request acts in; None sends none (the server's default,
            or an API key's own tenant).
        retries: Attempts beyond the first for 429 (rate limit), 503 (Postgres away) and
            transport errors; each waits `Retry-After` (at most `max_retry_wait_s`).
        max_retry_wait_s: Longest single wait before a retry.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        tenant: str | None,
        *,
        retries: int = 5,
        max_retry_wait_s: float = 30.0,
    ) -> None:
        """Remember the client and tenant; nothing is sent yet."""
        self.client = client
        self.tenant = tenant
        self.retries = retries
        self.max_retry_wait_s = max_retry_wait_s

    @property
    def tenant_headers(self) -> dict[str, str]:
        """Headers that name the tenant on the non-agent endpoints."""
        return {"X-Tenant-Id": self.tenant} if self.tenant else {}

    def invoke_body(self, user_id: str, thread_id: str, text: str) -> dict[str, Any]:
        """Return the LangServe `invoke` body for one human message."""
        configurable = {"user_id": user_id, "thread_id": thread_id}
        if self.tenant:
            configurable["tenant_id"] = self.tenant
        return {
            "input": {"messages": [{"type": "human", "content": text}]},
            "config": {"configurable": configurable},
        }

    async def turn(self, user_id: str, thread_id: str, text: str) -> TurnResult:
        """Send one user message and return the answer, retrying 429/503 after Retry-After."""
        body = self.invoke_body(user_id, thread_id, text)
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self.client.post("/agent/invoke", json=body)
            except httpx.TransportError as exc:
                elapsed = (time.perf_counter() - started) * 1000
                if attempt >= self.retries:
                    return TurnResult(0, None, elapsed, f"{type(exc).__name__}: {exc}", attempt)
                attempt += 1
                await asyncio.sleep(min(2.0**attempt, self.max_retry_wait_s))
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code in _RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                await asyncio.sleep(self._retry_after(response))
                continue
            if response.status_code != 200:
                detail = response.text[:300]
                return TurnResult(
                    response.status_code,
                    None,
                    elapsed,
                    f"HTTP {response.status_code}: {detail}",
                    attempt,
                )
            output = response.json().get("output")
            if not isinstance(output, dict):
                return TurnResult(200, None, elapsed, "response has no output object", attempt)
            return TurnResult(200, output, elapsed, None, attempt)

    def _retry_after(self, response: httpx.Response) -> float:
        try:
            wait = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            wait = 1.0
        return max(0.1, min(wait, self.max_retry_wait_s))

    async def upload_kb(
        self, kb_dir: Path, *, timeout_s: float = 300.0, poll_s: float = 0.25
    ) -> dict[str, Any]:
        """Upload every document in `kb_dir` into the tenant and wait until each is indexed.

        Returns:
            `{"documents": n, "chunks": total, "ms": elapsed}`.

        Raises:
            RuntimeError: An upload was refused, an ingestion failed, or `timeout_s` passed.
        """
        started = time.perf_counter()
        files = sorted(p for p in Path(kb_dir).iterdir() if p.suffix.lower() in KB_SUFFIXES)
        if not files:
            raise RuntimeError(f"no knowledge-base documents in {kb_dir}")
        status_urls = []
        deadline = time.monotonic() + timeout_s
        for path in files:
            # A tenant may have MEMORIA_INGEST_PER_TENANT uploads in progress: 429 says wait.
            while (
                response := await self.client.post(
                    "/documents",
                    headers=self.tenant_headers,
                    files={"file": (path.name, path.read_bytes())},
                )
            ).status_code == 429 and time.monotonic() < deadline:
                await asyncio.sleep(self._retry_after(response))
            if response.status_code != 202:
                raise RuntimeError(
                    f"upload of {path.name}: HTTP {response.status_code} {response.text[:200]}"
                )
            status_urls.append((path.name, response.json()["status_url"]))
        chunks = 0
        for name, url in status_urls:
            while True:
                job = (await self.client.get(url, headers=self.tenant_headers)).json()
                if job.get("status") == "done":
                    chunks += int(job.get("chunks_total") or job.get("chunks_done") or 0)
                    break
                if job.get("status") == "failed":
                    raise RuntimeError(f"ingestion of {name} failed: {job.get('error')}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ingestion of {name} not done after {timeout_s:.0f} s")
                await asyncio.sleep(poll_s)
        return {
            "documents": len(files),
            "chunks": chunks,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }

    async def delete_thread(self, user_id: str, thread_id: str) -> str | None:
        """Delete one of the user's threads from every store; return an error text or None."""
        headers = {"X-User-Id": user_id, **self.tenant_headers}
        try:
            response = await self.client.delete(f"/threads/{thread_id}", headers=headers)
        except httpx.TransportError as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.text[:200]}"
        return None

    async def outbox_counts(self) -> tuple[float, float] | None:
        """Return (turns acknowledged, outbox jobs done) from `/metrics`; None if not there."""
        try:
            response = await self.client.get("/metrics")
        except httpx.TransportError:
            return None
        if response.status_code != 200:
            return None
        acked, done = _ACKED.search(response.text), _DONE.search(response.text)
        if acked is None:
            return None
        return float(acked.group(1)), float(done.group(1)) if done else 0.0

    async def wait_indexed(
        self,
        *,
        timeout_s: float = 30.0,
        quiet_s: float = 1.5,
        poll_s: float = 0.1,
        fallback_s: float = 3.0,
    ) -> dict[str, Any]:
        """Wait until the server has indexed the turns it acknowledged (facts included).

        Facts are extracted and messages indexed by the outbox worker after each turn. The
        server's `/metrics` counts turns acknowledged (`memoria_write_ack_ms_count`) and
        outbox jobs done (`memoria_outbox_jobs_total{outcome="done"}`), one job per turn:
        the wait ends when done catches up with acknowledged ("drained"), or when done has
        not moved for `quiet_s` ("quiet": a turn without a job, or jobs drained by another
        process, keep the counts apart), or after `timeout_s` ("timeout"). A server without
        those metrics gets a fixed sleep of `fallback_s` ("sleep").

        Returns:
            `{"method": ..., "ms": waited}`.
        """
        started = time.monotonic()
        last_done: float | None = None
        last_change = started
        while True:
            counts = await self.outbox_counts()
            now = time.monotonic()
            if counts is None:
                await asyncio.sleep(fallback_s)
                return {"method": "sleep", "ms": round((time.monotonic() - started) * 1000, 1)}
            acked, done = counts
            method = None
            if done >= acked:
                method = "drained"
            elif done != last_done:
                last_done, last_change = done, now
            elif now - last_change >= quiet_s:
                method = "quiet"
            if method is None and now - started >= timeout_s:
                method = "timeout"
            if method:
                return {"method": method, "ms": round((now - started) * 1000, 1)}
            await asyncio.sleep(poll_s)
