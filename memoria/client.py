"""`Client` and `AsyncClient`: memoria's memory API over HTTP (httpx), typed by `memoria.models`.

```python
from memoria import Client

with Client("http://127.0.0.1:8080", api_key=key, user_id="ana") as memory:
    memory.add("I live in Lisbon")
    hits = memory.search("where do I live?")
```

A tenant key acts for any user of its tenant (name one with `user_id`, here or per call); a
user token acts for its own user, whom the client reads from the token. Errors the server
answers (problem details) raise `MemoriaError` with the status and what to fix.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote

import httpx

from memoria.models import (
    AddResult,
    DeleteReceipt,
    Kind,
    Memory,
    MemoryList,
    SearchResult,
    SearchResults,
)

DEFAULT_URL = "http://127.0.0.1:8080"
T = TypeVar("T")


class MemoriaError(Exception):
    """The server refused a request; `status` and `detail` say why and what to fix."""

    def __init__(self, status: int, detail: str, body: Any = None) -> None:
        """Keep the status, the problem's detail and its whole body."""
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.body = body


def token_user(credential: str | None) -> str | None:
    """Return the user a user token acts for (its `sub`), or None for a key or no credential.

    Read without checking the signature: the server checks it; this only fills in the path.
    """
    parts = (credential or "").split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    sub = payload.get("sub") if isinstance(payload, dict) else None
    return sub if isinstance(sub, str) else None


@dataclass(frozen=True)
class _Call(Generic[T]):
    """One request of the API and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)


def _memories(body: Any) -> list[Memory]:
    return MemoryList.model_validate(body).memories


def _results(body: Any) -> list[SearchResult]:
    return SearchResults.model_validate(body).results


class _Api:
    """The memory API's requests, shared by both clients."""

    def __init__(self, api_key: str | None, user_id: str | None, tenant_id: str | None) -> None:
        self.user_id = user_id or token_user(api_key)
        self.headers = {"accept": "application/json"}
        if api_key:
            self.headers["authorization"] = f"Bearer {api_key}"
        if tenant_id:
            self.headers["x-tenant-id"] = tenant_id

    def base(self, user_id: str | None) -> str:
        user = user_id or self.user_id
        if not user:
            raise ValueError("name the user: Client(user_id=...) or user_id=... in the call")
        return f"/users/{quote(user, safe='')}/memories"

    def item(self, user_id: str | None, memory_id: str) -> str:
        return f"{self.base(user_id)}/{quote(memory_id, safe='')}"

    def add(
        self,
        text: str | None,
        messages: Sequence[dict[str, str]] | None,
        thread_id: str | None,
        user_id: str | None,
    ) -> _Call[AddResult]:
        body: dict[str, Any] = {"text": text} if text is not None else {}
        if messages is not None:
            body["messages"] = list(messages)
        if thread_id is not None:
            body["thread_id"] = thread_id
        return _Call("POST", self.base(user_id), AddResult.model_validate, json=body)

    def search(
        self,
        query: str,
        k: int,
        kinds: Sequence[Kind],
        thread_id: str | None,
        after: datetime | None,
        before: datetime | None,
        user_id: str | None,
    ) -> _Call[list[SearchResult]]:
        body: dict[str, Any] = {"query": query, "k": k, "kinds": list(kinds)}
        extra = {"thread_id": thread_id, "after": after, "before": before}
        body.update({name: _json(value) for name, value in extra.items() if value is not None})
        return _Call("POST", f"{self.base(user_id)}/search", _results, json=body)

    def list(
        self,
        include_history: bool,
        attribute: str | None,
        limit: int,
        offset: int,
        user_id: str | None,
    ) -> _Call[list[Memory]]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if include_history:
            params["include_history"] = "true"
        if attribute:
            params["attribute"] = attribute
        return _Call("GET", self.base(user_id), _memories, params=params)

    def get(self, memory_id: str, user_id: str | None) -> _Call[Memory]:
        return _Call("GET", self.item(user_id, memory_id), Memory.model_validate)

    def update(
        self, memory_id: str, text: str, value: str | None, user_id: str | None
    ) -> _Call[Memory]:
        body = {"text": text, **({"value": value} if value is not None else {})}
        return _Call("PUT", self.item(user_id, memory_id), Memory.model_validate, json=body)

    def delete(self, memory_id: str, user_id: str | None) -> _Call[DeleteReceipt]:
        return _Call("DELETE", self.item(user_id, memory_id), DeleteReceipt.model_validate)

    def history(self, memory_id: str, user_id: str | None) -> _Call[list[Memory]]:
        return _Call("GET", f"{self.item(user_id, memory_id)}/history", _memories)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _read(call: _Call[T], response: httpx.Response) -> T:
    if response.is_success:
        return call.parse(response.json())
    try:
        body = response.json()
        detail = body.get("detail", response.text) if isinstance(body, dict) else response.text
    except ValueError:
        body, detail = None, response.text
    raise MemoriaError(response.status_code, str(detail), body)


def _request(call: _Call[Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"params": call.params}
    if call.json is not None:
        options["json"] = call.json
    return {"method": call.method, "url": call.path, **options}


class Client:
    """memoria's memory API, synchronous. Close it (or use `with`) when done."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        user_id: str | None = None,
        tenant_id: str | None = None,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        """Connect to the server at `base_url` (nothing is sent yet).

        Args:
            base_url: The memoria server.
            api_key: A tenant key (`mk_...`) or a user token; None in local mode.
            user_id: The user calls act for unless they name one (a token's own by default).
            tenant_id: The tenant, in local mode only (a key or token names its own).
            timeout: Seconds per request.
            http: An httpx client to send through instead of one of the SDK's own.
        """
        self._api = _Api(api_key, user_id, tenant_id)
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._http.headers.update(self._api.headers)

    def _send(self, call: _Call[T]) -> T:
        return _read(call, self._http.request(**_request(call)))

    def add(
        self,
        text: str | None = None,
        *,
        messages: Sequence[dict[str, str]] | None = None,
        thread_id: str | None = None,
        user_id: str | None = None,
    ) -> AddResult:
        """Remember `text` as facts now, or store `messages` ({"role", "content"}) to learn from."""
        return self._send(self._api.add(text, messages, thread_id, user_id))

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        kinds: Sequence[Kind] = ("fact", "message"),
        thread_id: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        user_id: str | None = None,
    ) -> list[SearchResult]:
        """Return what the user's memory holds about `query`, best first."""
        return self._send(self._api.search(query, k, kinds, thread_id, after, before, user_id))

    def list(
        self,
        *,
        include_history: bool = False,
        attribute: str | None = None,
        limit: int = 100,
        offset: int = 0,
        user_id: str | None = None,
    ) -> list[Memory]:
        """Return the user's facts, newest first (current ones unless `include_history`)."""
        return self._send(self._api.list(include_history, attribute, limit, offset, user_id))

    def get(self, memory_id: str, *, user_id: str | None = None) -> Memory:
        """Return one fact."""
        return self._send(self._api.get(memory_id, user_id))

    def update(
        self, memory_id: str, text: str, *, value: str | None = None, user_id: str | None = None
    ) -> Memory:
        """Correct a fact; return the new version (the old one stays in its history)."""
        return self._send(self._api.update(memory_id, text, value, user_id))

    def delete(self, memory_id: str, *, user_id: str | None = None) -> DeleteReceipt:
        """Delete a fact and all its versions; return the receipt."""
        return self._send(self._api.delete(memory_id, user_id))

    def history(self, memory_id: str, *, user_id: str | None = None) -> list[Memory]:
        """Return every version of a fact, oldest first."""
        return self._send(self._api.history(memory_id, user_id))

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> Self:
        """Return self."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close."""
        self.close()


class AsyncClient:
    """memoria's memory API, for asyncio. `await client.aclose()` (or `async with`) when done."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        user_id: str | None = None,
        tenant_id: str | None = None,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        """Connect to the server at `base_url` (nothing is sent yet); arguments as `Client`'s."""
        self._api = _Api(api_key, user_id, tenant_id)
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._http.headers.update(self._api.headers)

    async def _send(self, call: _Call[T]) -> T:
        return _read(call, await self._http.request(**_request(call)))

    async def add(
        self,
        text: str | None = None,
        *,
        messages: Sequence[dict[str, str]] | None = None,
        thread_id: str | None = None,
        user_id: str | None = None,
    ) -> AddResult:
        """Remember `text` as facts now, or store `messages` ({"role", "content"}) to learn from."""
        return await self._send(self._api.add(text, messages, thread_id, user_id))

    async def search(
        self,
        query: str,
        *,
        k: int = 5,
        kinds: Sequence[Kind] = ("fact", "message"),
        thread_id: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        user_id: str | None = None,
    ) -> list[SearchResult]:
        """Return what the user's memory holds about `query`, best first."""
        call = self._api.search(query, k, kinds, thread_id, after, before, user_id)
        return await self._send(call)

    async def list(
        self,
        *,
        include_history: bool = False,
        attribute: str | None = None,
        limit: int = 100,
        offset: int = 0,
        user_id: str | None = None,
    ) -> list[Memory]:
        """Return the user's facts, newest first (current ones unless `include_history`)."""
        return await self._send(self._api.list(include_history, attribute, limit, offset, user_id))

    async def get(self, memory_id: str, *, user_id: str | None = None) -> Memory:
        """Return one fact."""
        return await self._send(self._api.get(memory_id, user_id))

    async def update(
        self, memory_id: str, text: str, *, value: str | None = None, user_id: str | None = None
    ) -> Memory:
        """Correct a fact; return the new version (the old one stays in its history)."""
        return await self._send(self._api.update(memory_id, text, value, user_id))

    async def delete(self, memory_id: str, *, user_id: str | None = None) -> DeleteReceipt:
        """Delete a fact and all its versions; return the receipt."""
        return await self._send(self._api.delete(memory_id, user_id))

    async def history(self, memory_id: str, *, user_id: str | None = None) -> list[Memory]:
        """Return every version of a fact, oldest first."""
        return await self._send(self._api.history(memory_id, user_id))

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        """Return self."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close."""
        await self.aclose()
