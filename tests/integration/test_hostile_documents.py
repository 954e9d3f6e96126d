"""Hostile documents: each fails its own upload with a reason while the server stays fast, and
no upload, failed or interrupted, leaves half a document behind."""

from __future__ import annotations

import asyncio
import gc
import logging
import statistics
import time
import uuid
from typing import Any

import httpx
import pytest
from langchain_core.embeddings import Embeddings

from graph.resources import Resources
from knowledge import chunks
from knowledge.documents import DocumentLibrary
from storage.tenancy import ALL_TENANTS, tenant_connection
from tests import hostile
from tests.support import api_app, asgi_client, new_config, turn_body

pytestmark = pytest.mark.integration
logger = logging.getLogger(__name__)

FACT = hostile.FACT.decode()
DONE = "done"

# File name, bytes, and what becomes of it: indexed ("done"), or a 422 whose detail says this.
HOSTILE = [
    pytest.param("page.html", hostile.QUADRATIC_HTML, DONE, id="quadratic-html"),
    pytest.param("dots.md", hostile.DOTS_MD, DONE, id="punctuation-run"),
    pytest.param("heading.md", hostile.SPACED_HEADING_MD, DONE, id="spaced-heading"),
    pytest.param("malformed.html", hostile.MALFORMED_HTML, DONE, id="malformed-html"),
    pytest.param("garantia.md", hostile.UTF16_MD, DONE, id="utf16-md"),
    pytest.param("notes.txt", hostile.UTF16_NO_BOM_TXT, DONE, id="utf16-without-bom"),
    pytest.param("manual.txt", hostile.nul_part_way(), "NUL character", id="nul-part-way"),
    pytest.param("bomb.pdf", hostile.flate_bomb_pdf(), "LimitReachedError", id="flate-bomb"),
    pytest.param("length.pdf", hostile.huge_length_pdf(), "LimitReachedError", id="huge-length"),
    pytest.param("nested.pdf", hostile.nested_content_pdf(), "RecursionError", id="nested-stream"),
    pytest.param("number.pdf", hostile.text_pdf(hostile.FACT, title=b"5"), DONE, id="title-number"),
    pytest.param("array.pdf", hostile.text_pdf(hostile.FACT, title=b"[1]"), DONE, id="title-array"),
    pytest.param(
        "dict.pdf", hostile.text_pdf(hostile.FACT, title=b"<< /A 1 >>"), DONE, id="title-dict"
    ),
]


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


async def upload(client: httpx.AsyncClient, tenant: str, name: str, data: bytes) -> httpx.Response:
    files = {"file": (name, data, "application/octet-stream")}
    return await client.post("/documents", files=files, headers={"x-tenant-id": tenant})


async def finished(client: httpx.AsyncClient, tenant: str, accepted: httpx.Response) -> dict:
    """Follow an accepted upload's job until it is done or failed; return the job."""
    deadline = time.monotonic() + 120
    url = accepted.json()["status_url"]
    while True:
        job = (await client.get(url, headers={"x-tenant-id": tenant})).json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)


async def outcome(client: httpx.AsyncClient, tenant: str, name: str, data: bytes) -> str:
    """Upload a file; return "done", or the 422's detail, or the failed job's error.

    Any other answer is returned as "HTTP <status>: <body>", and an error the app raised
    (which the in-process transport passes on rather than answering 500) as its repr.
    """
    try:
        response = await upload(client, tenant, name, data)
    except Exception as exc:  # noqa: BLE001 - a server error, reported as the outcome
        return f"HTTP 500: {exc!r}"
    if response.status_code == 422:
        return response.json()["detail"]
    if response.status_code != 202:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    job = await finished(client, tenant, response)
    return DONE if job["status"] == "done" else job["error"]


async def stored(resources: Resources, tenant: str) -> dict[str, Any]:
    """What the tenant's knowledge base holds: documents, chunk ids, and chunks with no row."""
    async with tenant_connection(resources.pool, tenant) as conn:
        docs = await (
            await conn.execute(
                "SELECT doc_id, title, chunks, content_hash FROM kb_documents"
                " WHERE tenant_id = %s ORDER BY doc_id",
                (tenant,),
            )
        ).fetchall()
        rows = await (
            await conn.execute(
                "SELECT langchain_id::text AS id, doc_id, content FROM kb_chunks"
                " WHERE tenant_id = %s ORDER BY id",
                (tenant,),
            )
        ).fetchall()
    listed = {d["doc_id"] for d in docs}
    return {
        "documents": docs,
        "chunk_ids": [r["id"] for r in rows],
        "orphans": [r["id"] for r in rows if r["doc_id"] not in listed],
        "contents": [r["content"] for r in rows],
    }


async def ask(client: httpx.AsyncClient, tenant: str, question: str) -> dict:
    config = new_config(tenant, strategy="semantic_search")
    response = await client.post("/agent/invoke", json=turn_body(question, config))
    assert response.status_code == 200, response.text
    return response.json()["output"]


# --- Every parser failure is a 422 with its reason; the rest is indexed ----------------------


@pytest.mark.parametrize(("name", "data", "expected"), HOSTILE)
async def test_a_hostile_file_is_indexed_or_refused_saying_why(
    client, resources, name, data, expected
):
    tenant = new_tenant()

    result = await outcome(client, tenant, name, data)

    assert expected in result, result
    kept = await stored(resources, tenant)
    assert kept["orphans"] == []
    if expected == DONE:
        assert any(FACT in content for content in kept["contents"])
        if name.endswith(".pdf"):  # an odd /Title is no title: the file's name stands in
            assert [d["title"] for d in kept["documents"]] == [name.removesuffix(".pdf")]
    else:
        assert kept == {"documents": [], "chunk_ids": [], "orphans": [], "contents": []}


# --- No file stalls the server -----------------------------------------------------------------


async def test_healthz_and_other_tenants_stay_fast_while_hostile_files_are_read(client):
    latencies: list[float] = []
    reading = True

    async def probe(interval: float = 0.01) -> None:
        # A probe is due every `interval`, as from a client elsewhere. The client shares the
        # server's loop here, so a stalled loop would also stop the probes; each probe that
        # fell due meanwhile counts as waiting from when it was due until the loop answered.
        due = time.perf_counter()
        while reading:
            response = await client.get("/healthz")
            answered = time.perf_counter()
            assert response.status_code == 200
            while due <= answered:
                latencies.append(answered - due)
                due += interval
            await asyncio.sleep(due - answered)

    async def another_tenants_turn() -> float:
        await asyncio.sleep(0.5)  # while the files are being read
        start = time.perf_counter()
        await ask(client, new_tenant(), "What does the warranty cover?")
        return time.perf_counter() - start

    # The server shares this process with the whole suite's heap, which a server process does
    # not hold: a full collection of it (~0.7 s once in a full run) would stall the loop and
    # be counted against the files. Freeze what is already there; new garbage is collected.
    gc.collect()
    gc.freeze()
    probing = asyncio.create_task(probe())
    turn = asyncio.create_task(another_tenants_turn())
    started = time.perf_counter()
    try:
        # Every hostile file twice, each under a tenant of its own, all at once.
        uploads = [outcome(client, new_tenant(), p.values[0], p.values[1]) for p in HOSTILE * 2]
        results = await asyncio.gather(*uploads)
        took = time.perf_counter() - started
        turn_s = await turn
    finally:
        reading = False
        await probing
        gc.unfreeze()

    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)]
    figures = (
        f"/healthz during {len(results)} hostile uploads ({took:.1f} s): {len(latencies)} "
        f"probes, p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms; another tenant's turn {turn_s * 1000:.0f} ms"
    )
    logger.info(figures)
    # Reading all of them takes about a second on a quiet box: enough probes to see a stall.
    assert len(latencies) >= 30, figures
    # A file read on the loop stalls it for seconds; a quarter second leaves room for a
    # shared, loaded machine (p99 124 ms was seen at load 5 with nothing on the loop).
    assert p99 < 0.25, figures
    assert turn_s < 5, figures  # a turn takes well under a second; 23 s with reading on the loop
    for param, result in zip(HOSTILE * 2, results, strict=True):
        assert param.values[2] in result, (param.id, result)


# --- A document is replaced whole, or not at all ---------------------------------------------


def manual(fact: str, sections: int = 150) -> bytes:
    """A Markdown manual of a chunk per section, with `fact` in its last section.

    Its words are new each time, so that no chunk's vector is in the embedding cache: the
    tests that need an upload in progress need its embedding to take a while.
    """
    tag = uuid.uuid4().hex[:8]
    parts = ["# Kestrel manual\n"]
    for n in range(sections):
        parts.append(f"\n## Part {n}\n\nThe hinge of model {n}-{tag} turns {n % 7} times.\n")
    parts.append(f"\n## Warranty\n\n{fact}\n")
    return "".join(parts).encode()


V1 = FACT
V2 = "The Kestrel warranty covers water damage for 48 months."


async def test_a_refused_reupload_leaves_the_previous_version_served(client, resources):
    tenant = new_tenant()
    assert await outcome(client, tenant, "manual.txt", manual(V1)) == DONE
    before = await stored(resources, tenant)

    # The same file again, now with a NUL byte three quarters of the way in.
    result = await outcome(client, tenant, "manual.txt", hostile.nul_part_way())

    assert "NUL character" in result
    assert await stored(resources, tenant) == before
    out = await ask(client, tenant, "How long does the Kestrel warranty cover water damage?")
    assert any(V1 in c["content"] for c in out["context"])


class FailingEmbeddings(Embeddings):
    """The model, until the `fail_on`-th batch: then it is gone (a remote model's outage)."""

    def __init__(self, inner: Embeddings, fail_on: int) -> None:
        self.inner, self.fail_on, self.calls = inner, fail_on, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls == self.fail_on:
            raise ConnectionError("the embedding model went away")
        return await self.inner.aembed_documents(texts)


class StalledEmbeddings(FailingEmbeddings):
    """The model, until the `fail_on`-th batch: then it never answers (a hung remote model)."""

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls >= self.fail_on:
            await asyncio.Event().wait()
        return await self.inner.aembed_documents(texts)


async def follow(library: DocumentLibrary, tenant: str, job: dict, until: Any) -> dict:
    deadline = time.monotonic() + 120
    while not until(job := await library.job(tenant, job["id"])):
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.05)
    return job


async def test_a_reupload_that_fails_part_way_leaves_the_previous_version(resources):
    tenant = new_tenant()
    kb = await resources.knowledge_base()
    library = DocumentLibrary(pool=resources.pool, kb=kb)
    v1 = await library.upload(tenant, "manual.md", manual(V1))
    await follow(library, tenant, v1, lambda job: job["status"] == "done")
    before = await stored(resources, tenant)

    failing = await chunks.vector_store(
        resources.storage.engine, FailingEmbeddings(resources.embeddings, fail_on=3)
    )
    library = DocumentLibrary(pool=resources.pool, kb=failing)
    v2 = await library.upload(tenant, "manual.md", manual(V2))
    job = await follow(library, tenant, v2, lambda job: job["status"] in ("done", "failed"))

    assert job["status"] == "failed" and "embedding model went away" in job["error"]
    assert await stored(resources, tenant) == before


async def test_an_interrupted_reupload_leaves_the_previous_version(resources):
    tenant = new_tenant()
    library = DocumentLibrary(pool=resources.pool, kb=await resources.knowledge_base())
    v1 = await library.upload(tenant, "manual.md", manual(V1))
    await follow(library, tenant, v1, lambda job: job["status"] == "done")
    before = await stored(resources, tenant)

    # Held after its first batch, so the shutdown always comes part-way (a 3,000-section
    # upload raced it, and on a quiet box sometimes finished first).
    stalled = await chunks.vector_store(
        resources.storage.engine, StalledEmbeddings(resources.embeddings, fail_on=2)
    )
    library = DocumentLibrary(pool=resources.pool, kb=stalled)
    v2 = await library.upload(tenant, "manual.md", manual(V2))
    await follow(library, tenant, v2, lambda job: job["chunks_done"] > 0)
    await library.aclose()  # the server shuts down part-way

    assert await stored(resources, tenant) == before
    job = await library.job(tenant, v2["id"])
    assert job["status"] == "failed" and "interrupted" in job["error"]


async def test_startup_repairs_what_a_crash_left(resources):
    # What a crash of an earlier version left: chunks written before their document's row,
    # and a job that never finished.
    tenant = new_tenant()
    library = DocumentLibrary(pool=resources.pool, kb=await resources.knowledge_base())
    kept = await library.upload(tenant, "kept.md", manual(V1, sections=2))
    await follow(library, tenant, kept, lambda job: job["status"] == "done")
    before = await stored(resources, tenant)
    stale = uuid.uuid4()
    async with tenant_connection(resources.pool, ALL_TENANTS) as conn:
        await conn.execute(
            "INSERT INTO kb_chunks (langchain_id, content, embedding, tenant_id, doc_id,"
            " source, title, chunk_index)"
            " SELECT gen_random_uuid(), %s, embedding, tenant_id, %s, source, title, 0"
            " FROM kb_chunks WHERE tenant_id = %s LIMIT 1",
            (V2, "f" * 32, tenant),
        )
        await conn.execute(
            "INSERT INTO ingest_jobs (id, tenant_id, doc_id, filename, status, updated_at)"
            " VALUES (%s, %s, %s, 'crashed.md', 'running', now() - interval '10 minutes')",
            (stale, tenant, "f" * 32),
        )
    assert len((await stored(resources, tenant))["orphans"]) == 1

    async with asgi_client(api_app(resources)) as client:  # a restart
        job = await client.get(f"/documents/jobs/{stale}", headers={"x-tenant-id": tenant})
        out = await ask(client, tenant, "How long does the Kestrel warranty cover water damage?")

    assert await stored(resources, tenant) == before
    assert job.json()["status"] == "failed" and "upload the file again" in job.json()["error"]
    assert not any(V2 in c["content"] for c in out["context"])


# --- Limits -------------------------------------------------------------------------------------


async def test_a_tenant_with_uploads_in_progress_is_told_to_wait(client):
    tenant = new_tenant()
    first = await asyncio.gather(
        *(upload(client, tenant, f"part-{n}.md", manual(V1, sections=300)) for n in (1, 2))
    )
    assert [r.status_code for r in first] == [202, 202]

    third = await upload(client, tenant, "part-3.md", manual(V1, sections=2))
    other = await upload(client, new_tenant(), "part-3.md", manual(V1, sections=2))

    assert third.status_code == 429, third.text
    assert third.headers["retry-after"] and "uploads of this tenant" in third.json()["detail"]
    assert other.status_code == 202
    for accepted in first:
        assert (await finished(client, tenant, accepted))["status"] == "done"
    assert await outcome(client, tenant, "part-3.md", manual(V1, sections=2)) == DONE


async def test_reading_a_file_has_a_time_and_memory_budget(resources):
    # Text extraction of 400,000 operators takes pypdf seconds; inflating 70 MB takes memory.
    slow = hostile.page_pdf(hostile.stream(b"BT /F1 12 Tf " + b"(x) Tj " * 400_000 + b"ET"))
    hungry = hostile.flate_bomb_pdf(megabytes=70)  # under pypdf's own limit of 75 MB

    async with asgi_client(api_app(resources, memoria_ingest_read_timeout_s=0.5)) as client:
        took = time.perf_counter()
        timed_out = await upload(client, new_tenant(), "slow.pdf", slow)
        took = time.perf_counter() - took
    async with asgi_client(api_app(resources, memoria_ingest_read_memory_mb=64)) as client:
        too_big = await upload(client, new_tenant(), "hungry.pdf", hungry)

    assert timed_out.status_code == 422, timed_out.text
    assert "reading it took longer than 0.5 s" in timed_out.json()["detail"]
    assert took < 10
    assert too_big.status_code == 422, too_big.text
    assert "reading it needed more than 64 MB of memory" in too_big.json()["detail"]
