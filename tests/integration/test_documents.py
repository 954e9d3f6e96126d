"""Documents: uploaded over HTTP with progress, cited in answers, deleted from answers; and
ingested by `memoria ingest`, which shows its progress chunk by chunk."""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from configs.settings import REPO_ROOT
from evals.chat.driver import Driver
from tests.support import new_config, turn_body

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data"
FACT = "The Kestrel warranty covers water damage for 37 months."
# Chunks an upload embeds and records progress for at a time (`index_document`'s default).
BATCH = 64


def big_markdown(size: int) -> bytes:
    """About `size` bytes of varied product prose with one fact in the middle."""
    rng = random.Random(7)
    words = (
        "battery screen hinge charger firmware keyboard speaker camera sensor cable port "
        "display storage memory update setting colour weight casing button light"
    ).split()
    parts, length, n = ["# Product handbook\n"], 0, 0
    while length < size:
        n += 1
        sentence = " ".join(rng.choice(words) for _ in range(14)).capitalize()
        section = f"\n## Section {n}\n\n{sentence}. {sentence.lower()} again.\n"
        parts.append(section)
        length += len(section)
        if length - len(section) < size // 2 <= length:  # this section crossed the middle
            parts.append(f"\n## Warranty\n\n{FACT}\n")
    return "".join(parts).encode()


async def ask(client: httpx.AsyncClient, tenant: str, question: str) -> dict:
    config = new_config(tenant, strategy="semantic_search")
    response = await client.post("/agent/invoke", json=turn_body(question, config))
    assert response.status_code == 200, response.text
    return response.json()["output"]


async def test_a_big_upload_shows_progress_is_cited_and_is_gone_once_deleted(client):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    headers = {"x-tenant-id": tenant}
    data = big_markdown(96 * 1024)  # a chunk per section here: over 400 chunks
    accepted = await client.post(
        "/documents", files={"file": ("handbook.md", data, "text/markdown")}, headers=headers
    )
    assert accepted.status_code == 202, accepted.text
    status_url = accepted.json()["status_url"]

    seen: list[tuple[int, int | None]] = []
    deadline = time.monotonic() + 600
    while (job := (await client.get(status_url, headers=headers)).json())["status"] != "done":
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, "ingestion did not finish"
        seen.append((job["chunks_done"], job["chunks_total"]))
        await asyncio.sleep(0.2)
    total = job["chunks_total"]
    assert total > 4 * BATCH and job["chunks_done"] == total  # several batches
    progress = [done for done, of in seen if of]
    assert progress == sorted(progress) and any(0 < d < total for d in progress)

    listed = (await client.get("/documents", headers=headers)).json()
    assert [(d["title"], d["chunks"]) for d in listed["documents"]] == [("Product handbook", total)]
    out = await ask(client, tenant, "How long does the Kestrel warranty cover water damage?")
    cited = {c["id"] for c in out["citations"]}
    assert any(FACT in c["content"] and c["id"] in cited for c in out["context"])
    assert "37 months" in out["messages"][-1]["content"]

    doc_id = listed["documents"][0]["doc_id"]
    other = await client.delete(f"/documents/{doc_id}", headers={"x-tenant-id": "other"})
    assert other.status_code == 404
    gone = await client.delete(f"/documents/{doc_id}", headers=headers)
    assert gone.status_code == 200 and gone.json()["chunks_removed"] == total
    out = await ask(client, tenant, "How long does the Kestrel warranty cover water damage?")
    assert not any("Kestrel" in c["content"] for c in out["context"])
    assert (await client.get("/documents", headers=headers)).json()["documents"] == []


async def test_a_pdf_upload_is_indexed(client):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    headers = {"x-tenant-id": tenant}
    pdf = (DATA / "policy.pdf").read_bytes()
    accepted = await client.post(
        "/documents", files={"file": ("policy.pdf", pdf, "application/pdf")}, headers=headers
    )
    assert accepted.status_code == 202, accepted.text
    status_url = accepted.json()["status_url"]
    deadline = time.monotonic() + 60
    while (job := (await client.get(status_url, headers=headers)).json())["status"] != "done":
        assert job["status"] != "failed" and time.monotonic() < deadline, job
        await asyncio.sleep(0.2)
    out = await ask(client, tenant, "How many days do refunds of the Lisbon store take?")
    assert any("14 days" in c["content"] for c in out["context"])
    # Another tenant cannot follow the job.
    assert (await client.get(status_url, headers={"x-tenant-id": "other"})).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.docx", b"PK\x03\x04", "Unsupported file type '.docx'"),
        ("empty.md", b"   \n\n ", "has no text"),
        ("broken.pdf", b"%PDF-1.4 garbage", "Cannot read broken.pdf as PDF"),
    ],
)
async def test_bad_uploads_are_refused_and_start_no_job(client, name, content, says):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    response = await client.post(
        "/documents",
        files={"file": (name, content, "application/octet-stream")},
        headers={"x-tenant-id": tenant},
    )
    assert response.status_code == 422
    assert says in response.json()["detail"]
    listed = (await client.get("/documents", headers={"x-tenant-id": tenant})).json()
    assert listed["documents"] == []


@pytest.mark.process
def test_memoria_ingest_shows_a_files_chunks_as_they_are_indexed(service_urls, tmp_path):
    path = tmp_path / "handbook.md"
    path.write_bytes(big_markdown(48 * 1024))
    env = {**os.environ, "DATABASE_URL": service_urls.database_url}
    env["REDIS_URL"] = service_urls.redis_url
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    cmd = [
        sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))",
        "ingest", str(path), "--tenant", tenant,
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    total = int(re.search(r"indexed 1 documents \((\d+) chunks\)", done.stdout)[1])
    # tqdm redraws its line with \r: every drawing of the file's bar is in stderr, in order.
    drawn = re.findall(r"handbook\.md:[^\r\n]*?(\d+)/(\d+) \[", done.stderr)
    assert drawn, done.stderr
    assert {int(of) for _, of in drawn} == {total}, "the bar knows the total from the start"
    counts = [int(n) for n, _ in drawn]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == total
    assert len({n for n in counts if 0 < n < total}) >= 3, f"no batches shown: {counts}"


async def test_the_chat_eval_uploads_a_whole_knowledge_base_past_the_per_tenant_limit(client):
    # Seven files, two uploads in progress at a time: the eval waits on 429 and goes on.
    kb = REPO_ROOT / "data" / "sample_kb"
    tenant = f"eval-{uuid.uuid4().hex[:8]}"

    uploaded = await Driver(client, tenant).upload_kb(kb, timeout_s=240)

    assert uploaded["documents"] == len(list(kb.iterdir())) > 2
    listed = (await client.get("/documents", headers={"x-tenant-id": tenant})).json()
    assert len(listed["documents"]) == uploaded["documents"]
