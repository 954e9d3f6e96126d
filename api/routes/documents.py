"""`/documents`: a tenant's knowledge base over HTTP (upload with a tracked job, list, delete)."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi import Path as PathParam

from api.deps import ApiDep, CallerDep, TenantHeader
from api.problems import unprocessable

router = APIRouter(prefix="/documents", tags=["documents"])

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

    Uploading the same file name again replaces that document.
    """
    tenant = caller.tenant(x_tenant_id)
    filename = PurePath(file.filename or "").name
    if not filename or len(filename) > 255:
        raise unprocessable("the upload needs a file name of 1-255 characters")
    try:
        job = await api.documents.upload(tenant, filename, await file.read())
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
    removed = await api.documents.delete(caller.tenant(x_tenant_id), doc_id)
    if removed is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id}")
    return {"doc_id": doc_id, "chunks_removed": removed}
