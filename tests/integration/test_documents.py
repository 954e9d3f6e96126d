"""Documents over HTTP: upload with progress, cited in answers, deleted from answers."""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import ServerProcess, new_config

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data"
FACT = "The Kestrel warranty covers water damage for 37 months."


def big_markdown(size: int = 2 * 1024 * 1024) -> bytes:
    """About `size` bytes of varied product prose with one fact in the middle."""
    rng = random.Random(7)
    words = (
        "battery screen hinge charger firmware keyboard speaker camera sensor cable port "
        "display storage memory update setting colour weight casing button light"
    ).split()
    parts, n = ["# Product handbook\n"], 0
    while sum(map(len, parts)) < size:
        n += 1
        sentence = " ".join(rng.choice(words) for _ in range(14)).capitalize()
        parts.append(f"\n## Section {n}\n\n{sentence}. {sentence.lower()} again.\n")
        if n == 1500:
            parts.append(f"\n## Warranty\n\n{FACT}\n")
    return "".join(parts).encode()


def ask(server: ServerProcess, tenant: str, question: str) -> dict:
    config = new_config(tenant, strategy="semantic_search")
    response = server.invoke(question, config)
    assert response.status_code == 200, response.text
    return response.json()["output"]


def test_a_2_mb_upload_shows_progress_is_cited_and_is_gone_once_deleted(server):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    headers = {"x-tenant-id": tenant}
    data = big_markdown()
    assert len(data) >= 2 * 1024 * 1024
    accepted = httpx.post(
        f"{server.url}/documents",
        files={"file": ("handbook.md", data, "text/markdown")},
        headers=headers,
        timeout=60,
    )
    assert accepted.status_code == 202, accepted.text
    status_url = server.url + accepted.json()["status_url"]

    seen: list[tuple[int, int | None]] = []
    deadline = time.monotonic() + 600
    while (job := httpx.get(status_url, headers=headers, timeout=10).json())["status"] != "done":
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, "ingestion did not finish"
        seen.append((job["chunks_done"], job["chunks_total"]))
        time.sleep(0.5)
    total = job["chunks_total"]
    assert total > 1000 and job["chunks_done"] == total
    progress = [done for done, of in seen if of]
    assert progress == sorted(progress) and any(0 < d < total for d in progress)

    listed = httpx.get(f"{server.url}/documents", headers=headers, timeout=10).json()
    assert [(d["title"], d["chunks"]) for d in listed["documents"]] == [("Product handbook", total)]
    out = ask(server, tenant, "How long does the Kestrel warranty cover water damage?")
    cited = {c["id"] for c in out["citations"]}
    assert any(FACT in c["content"] and c["id"] in cited for c in out["context"])
    assert "37 months" in out["messages"][-1]["content"]

    doc_id = listed["documents"][0]["doc_id"]
    other = httpx.delete(f"{server.url}/documents/{doc_id}", headers={"x-tenant-id": "other"})
    assert other.status_code == 404
    gone = httpx.delete(f"{server.url}/documents/{doc_id}", headers=headers, timeout=30)
    assert gone.status_code == 200 and gone.json()["chunks_removed"] == total
    out = ask(server, tenant, "How long does the Kestrel warranty cover water damage?")
    assert not any("Kestrel" in c["content"] for c in out["context"])
    assert httpx.get(f"{server.url}/documents", headers=headers).json()["documents"] == []


def test_a_pdf_upload_is_indexed(server):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    headers = {"x-tenant-id": tenant}
    pdf = (DATA / "policy.pdf").read_bytes()
    accepted = httpx.post(
        f"{server.url}/documents",
        files={"file": ("policy.pdf", pdf, "application/pdf")},
        headers=headers,
    )
    assert accepted.status_code == 202, accepted.text
    status_url = server.url + accepted.json()["status_url"]
    deadline = time.monotonic() + 60
    while (job := httpx.get(status_url, headers=headers).json())["status"] != "done":
        assert job["status"] != "failed" and time.monotonic() < deadline, job
        time.sleep(0.2)
    out = ask(server, tenant, "How many days do refunds of the Lisbon store take?")
    assert any("14 days" in c["content"] for c in out["context"])
    # Another tenant cannot follow the job.
    assert httpx.get(status_url, headers={"x-tenant-id": "other"}).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.docx", b"PK\x03\x04", "Unsupported file type '.docx'"),
        ("empty.md", b"   \n\n ", "has no text"),
        ("broken.pdf", b"%PDF-1.4 garbage", "Cannot read broken.pdf as PDF"),
    ],
)
def test_bad_uploads_are_refused_and_start_no_job(server, name, content, says):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    response = httpx.post(
        f"{server.url}/documents",
        files={"file": (name, content, "application/octet-stream")},
        headers={"x-tenant-id": tenant},
    )
    assert response.status_code == 422
    assert says in response.json()["detail"]
    listed = httpx.get(f"{server.url}/documents", headers={"x-tenant-id": tenant}).json()
    assert listed["documents"] == []
