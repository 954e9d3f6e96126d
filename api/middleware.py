"""ASGI middleware of the HTTP API."""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem
from storage.metrics import HTTP_RESPONSES


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413 before anything parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap `app`."""
        self.app = app
        self.max_bytes = max_bytes
        self.detail = f"the request body is over the limit of {max_bytes} bytes; send less"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what actually arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await problem(413, self.detail)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # An HTTPException: FastAPI re-raises those from body parsing (anything else
                # becomes its 400), and the app's handler answers it as a 413 problem.
                raise StarletteHTTPException(413, self.detail)
            return message

        await self.app(scope, counted, send)


class HeadLimit:
    """Refuse a request whose URL (414) or headers (431) are over the limits, before routing.

    The server has read the head by then: `memoria serve` bounds how much it buffers
    (cli/process.py); this gives what fits a problem-details answer.
    """

    def __init__(self, app: ASGIApp, max_url_bytes: int, max_header_bytes: int) -> None:
        """Wrap `app`."""
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Measure the URL's path and query, then the headers' names and values."""
        if scope["type"] == "http":
            # Some servers put the query in raw_path too; it is counted once, from query_string.
            path = (scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0]
            url = len(path) + len(scope.get("query_string", b""))
            if url > self.max_url_bytes:
                detail = (
                    f"the URL is {url} bytes, over the limit of {self.max_url_bytes}; "
                    "send long values in the request body"
                )
                await problem(414, detail)(scope, receive, send)
                return
            head = sum(len(name) + len(value) for name, value in scope["headers"])
            if head > self.max_header_bytes:
                detail = (
                    f"the request headers are {head} bytes, over the limit of "
                    f"{self.max_header_bytes}; send fewer or shorter headers"
                )
                await problem(431, detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)


# The chat page loads its script and styles from /web and talks to this origin only: no
# inline code, no other origin, no frames. Swagger UI and ReDoc (/docs, /redoc) run inline
# code and load from a CDN, so they get their own policy (FastAPI's default pages).
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
# LangServe's playground (a React build) sets its schemas in an inline script, compiles them
# into validators at run time (ajv: eval) and styles its widgets inline; it loads nothing from
# another origin. Only its own path gets this policy; it stores no key (the page sends none).
PLAYGROUND_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PLAYGROUND_PREFIX = "/agent/playground/"


class SecurityHeaders:
    """Send a content security policy, no framing, no sniffing and no referrer on every answer.

    The API's JSON needs them little; the chat page (`/`) does: its key must not reach a
    framing page, an injected script, or another site in a Referer.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response's start, whoever answers (a route, a 4xx)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in DOCS_PATHS else PAGE_POLICY
        if scope["path"].startswith(PLAYGROUND_PREFIX):
            policy = PLAYGROUND_POLICY
        extra = [
            (b"content-security-policy", policy.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in extra if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)


class CountResponses:
    """Count every HTTP response by status class (`memoria_http_responses_total`)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the status the response starts with; an app that fails before is a 5xx."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def counted(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                HTTP_RESPONSES.labels(f"{message['status'] // 100}xx").inc()
            await send(message)

        try:
            await self.app(scope, receive, counted)
        except BaseException:
            if not started:
                HTTP_RESPONSES.labels("5xx").inc()
            raise
