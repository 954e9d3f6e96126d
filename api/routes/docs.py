"""The API's description (`/openapi.json`) and its pages (`/docs`, `/redoc`), behind a key.

FastAPI serves them to anyone by default. Here they ask for a key whenever the API does
(any tenant's key will do: they describe the API, no tenant's data), unless
`MEMORIA_PUBLIC_DOCS` opens them; in local mode, with no key required, they are open.
A browser sends no key when it opens a page, so a keyed server is browsed with the setting on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import ApiDep, get_caller


async def may_read_docs(request: Request, api: ApiDep) -> None:
    """Let the request through if the docs are public, else authenticate it as the API does."""
    if not api.settings.memoria_public_docs:
        await get_caller(request, api)


Readable = Annotated[None, Depends(may_read_docs)]
router = APIRouter(include_in_schema=False)
OPENAPI_URL = "/openapi.json"


@router.get(OPENAPI_URL)
async def openapi(request: Request, _: Readable) -> JSONResponse:
    """The OpenAPI description of the API."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger_ui(request: Request, _: Readable) -> HTMLResponse:
    """Swagger UI over the API's description."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect")
async def swagger_ui_redirect(_: Readable) -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
async def redoc(request: Request, _: Readable) -> HTMLResponse:
    """ReDoc over the API's description."""
    return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - ReDoc")
