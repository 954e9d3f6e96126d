"""Errors as RFC 9457 problem details: `title` names the status, `detail` says what to fix."""

from __future__ import annotations

import http
import logging
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from memory.conversation import ThreadOwnershipError
from memory.memories import MemoryClosed, MemoryNotFound
from memory.turns import ThreadBusyError

logger = logging.getLogger(__name__)

# What a lost, refused or exhausted Postgres connection raises (psycopg_pool's PoolTimeout is
# a psycopg OperationalError; SQLAlchemy wraps the vector store's).
POSTGRES_UNAVAILABLE = (
    psycopg.OperationalError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.TimeoutError,
)
RETRY_AFTER_S = 5
POSTGRES_DOWN_DETAIL = (
    "Postgres, where memoria keeps every conversation, is unreachable right now; "
    f"retry in {RETRY_AFTER_S} s"
)


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """Return a problem-details response with `status` and what to fix in `detail`."""
    body = {"type": "about:blank", "title": http.HTTPStatus(status).phrase, "status": status}
    return JSONResponse(
        {**body, "detail": detail, **extra},
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


def unprocessable(message: str) -> HTTPException:
    """Return the 422 to raise for a request that says `message` needs fixing."""
    return HTTPException(status_code=422, detail=message)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


def add_problem_handlers(app: FastAPI) -> None:
    """Answer every error the app raises as problem details, never as a bare 500."""

    @app.exception_handler(ThreadOwnershipError)
    async def thread_not_available(request: Request, exc: ThreadOwnershipError) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(MemoryNotFound)
    async def memory_not_found(request: Request, exc: MemoryNotFound) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(MemoryClosed)
    async def memory_closed(request: Request, exc: MemoryClosed) -> JSONResponse:
        return problem(409, str(exc), current=exc.current)

    @app.exception_handler(ThreadBusyError)
    async def thread_busy(request: Request, exc: ThreadBusyError) -> JSONResponse:
        return problem(409, str(exc), headers={"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=exc.headers)

    async def postgres_unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("%s %s: Postgres unavailable: %r", request.method, request.url.path, exc)
        return problem(503, POSTGRES_DOWN_DETAIL, headers={"Retry-After": str(RETRY_AFTER_S)})

    for unavailable in POSTGRES_UNAVAILABLE:
        app.add_exception_handler(unavailable, postgres_unavailable)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"where": _where(e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['where']}: {e['problem']}" for e in errors)
        return problem(422, detail, errors=errors)
