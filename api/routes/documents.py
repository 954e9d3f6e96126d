"""`/documents`: a tenant's knowledge base over HTTP (upload with a tracked job, list, delete)."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi import Path as PathParam

from api.deps import ApiDep, CallerDep, TenantHeader
from api.problems import unprocessable
from knowledge.documents import IngestBusy

router = APIRouter(prefix="/documents", tags=["documents"])

# When a tenant with uploads in progress may try again: a typical upload's indexing time.
BUSY_RETRY_S = 10

# Documents are named by 32 hex digits (`knowledge.ingest.document_id`); nothing else can exist.
DocId = Annotated[
    str,
    PathParam(pattern=r"^[0-9a-f]{32}$", description="A document id, as GET /documents lists it."),
]


@router.post("", status_code=202)
async def upload_document(
    api: ApiDep,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="A .txt, .md, .html or .pdf file.")],
    x_tenant_id: TenantHeader = None,
) -> dict[str, Any]:
    """Upload a document into the tenant's knowledge base; follow the returned job.

    The file is read before this answers: one that cannot be read (broken, a NUL byte in
    text, an encoding other than UTF-8/16/32, more text than a document may have, or more
    time or memory than reading one may take) is a 422 saying why, and nothing is stored.
    Uploading the same file name again replaces that document once the new version is
    indexed; until then, and if its job fails, the previous version is served. A tenant
    with `MEMORIA_INGEST_PER_TENANT` uploads in progress gets 429. The knowledge base is the
    tenant's, so a user token may read it but not change it (403).
    """
    caller.require_tenant_key("uploading a document")
    tenant = caller.tenant(x_tenant_id)
    filename = PurePath(file.filename or "").name
    if not filename or len(filename) > 255:
        raise unprocessable("the upload needs a file name of 1-255 characters")
    try:
        job = await api.documents.upload(tenant, filename, await file.read())
    except IngestBusy as exc:
        raise HTTPException(
            status_code=429, detail=str(exc), headers={"Retry-After": str(BUSY_RETRY_S)}
        ) from exc
    except ValueError as exc:
        raise unprocessable(str(exc)) from exc
    return {"job": job, "status_url": f"/documents/jobs/{job['id']}"}


@router.get("/jobs/{job_id}")
async def ingest_job(
    job_id: uuid.UUID, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """An ingestion job: status (queued, running, done, failed) and chunks done of total."""
    job = await api.documents.job(caller.tenant(x_tenant_id), job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"no ingestion job {job_id}")
    return job


@router.get("")
async def list_documents(
    api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """The tenant's indexed documents, newest first."""
    return {"documents": await api.documents.documents(caller.tenant(x_tenant_id))}


@router.delete("/{doc_id}")
async def delete_document(
    doc_id: DocId, api: ApiDep, caller: CallerDep, x_tenant_id: TenantHeader = None
) -> dict[str, Any]:
    """Delete a document with its chunks and vectors; answers stop citing it at once."""
    caller.require_tenant_key("deleting a document")
    removed = await api.documents.delete(caller.tenant(x_tenant_id), doc_id)
    if removed is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id}")
    return {"doc_id": doc_id, "chunks_removed": removed}
