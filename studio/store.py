"""LangGraph's Store API on `langgraph dev` / Platform, backed by memoria's facts.

langgraph.json names `store`: the server's `/store/*` endpoints (and `client.store` of
`langgraph_sdk`) read and write a user's facts, the same ones the memory API, the MCP tools
and the agent use, under the namespace `("memories", <user id>)`. Nothing is copied: each
item is one version of a fact (`memory/memories.py`), its value the fact as the memory API
shows it. studio/auth.py lets a caller name only their own user, and rewrites the namespace
to `("memories", <tenant>, <user>)` before the store sees it; in local mode the namespace's
two labels name the user of the default tenant (three name a tenant too).

- `put` of a new key keeps a fact under that key (`{"text": ..., "attribute"?, "value"?}`);
  of a current fact's key, corrects it: the new version gets a key of its own, named in the
  old one's `superseded_by`, exactly as a correction through the memory API. `put` of a
  superseded version is refused.
- `delete` deletes the fact and every version of it.
- `search` with a `query` ranks the current facts by meaning (scores as the memory API's);
  without one it lists every version, newest first, `filter` matching their values
  (e.g. `{"current": True}`).
- Other namespaces do not exist here: memoria keeps nothing else in LangGraph's store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import (
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)

from graph.resources import Resources
from memory.memories import MemoryClosed, MemoryNotFound
from retrievers.memory_search import MemoryQuery, item_id, search
from storage.identity import Identity
from storage.tenancy import bind_tenant
from studio.runtime import server_resources

NAMESPACE = "memories"
STORE_THREAD = "store"


def label(value: str) -> str:
    """Return `value` as a namespace label, which LangGraph's server refuses with '.' in it."""
    return value.replace("%", "%25").replace(".", "%2E")


def unlabel(value: str) -> str:
    """Return the id a namespace label stands for."""
    return value.replace("%2E", ".").replace("%25", "%")


def scope_of(namespace: tuple[str, ...], default_tenant: str) -> Identity | None:
    """Return whose facts `namespace` names: ("memories", user) or ("memories", tenant, user)."""
    if not namespace or namespace[0] != NAMESPACE or len(namespace) not in (2, 3):
        return None
    tenant = unlabel(namespace[1]) if len(namespace) == 3 else default_tenant
    return Identity(tenant, unlabel(namespace[-1]), STORE_THREAD)


def _item(item: Item, namespace: tuple[str, ...]) -> Item:
    """Return a fact as a store item: its value as the memory API shows it."""
    return Item(
        value={**item.value, "id": item.key},
        key=item.key,
        namespace=namespace,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _matches(value: dict[str, Any], wanted: dict[str, Any] | None) -> bool:
    return all(value.get(name) == expected for name, expected in (wanted or {}).items())


class MemoriaStore(BaseStore):
    """A user's facts as LangGraph store items (async only, as LangGraph's server calls it)."""

    def __init__(self, resources: Resources) -> None:
        """Serve the facts of `resources` (opened on first use)."""
        self._resources = resources

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Refuse: LangGraph's server calls the async methods."""
        raise NotImplementedError("MemoriaStore is async only; use abatch")

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run each operation as the namespace's user."""
        res = await self._resources.open()
        return [await self._one(res, op) for op in ops]

    async def _one(self, res: Resources, op: Op) -> Result:
        if isinstance(op, ListNamespacesOp):
            return []  # one namespace per user, named by the caller: nothing to discover
        namespace = op.namespace_prefix if isinstance(op, SearchOp) else op.namespace
        ident = scope_of(tuple(namespace), res.settings.memoria_default_tenant)
        if ident is None:
            if isinstance(op, PutOp):
                raise ValueError(f"only ('{NAMESPACE}', <user id>) holds anything here")
            return [] if isinstance(op, SearchOp) else None
        bind_tenant(ident.tenant_id)
        memories = res.memories
        if isinstance(op, GetOp):
            try:
                return _item(await memories.get(ident, op.key), namespace)
            except MemoryNotFound:
                return None
        if isinstance(op, SearchOp):
            return await self._search(res, ident, op)
        if op.value is None:
            try:
                await memories.delete(ident, op.key)
            except MemoryNotFound:
                pass  # deleting what is not there leaves nothing, as LangGraph's stores do
            return None
        text, value = op.value["text"], op.value.get("value")
        try:
            await memories.correct(ident, op.key, text, value=value)
        except MemoryNotFound:
            await memories.put(
                ident, op.key, text, attribute=op.value.get("attribute"), value=value
            )
        except MemoryClosed as exc:
            raise ValueError(str(exc)) from exc
        return None

    async def _search(self, res: Resources, ident: Identity, op: SearchOp) -> list[SearchItem]:
        namespace = op.namespace_prefix
        if op.query:
            found = await search(
                res.retriever,
                ident,
                MemoryQuery(query=op.query, k=op.offset + op.limit, kinds=("fact",)),
            )
            at = datetime.now(UTC)
            hits = [
                SearchItem(
                    namespace,
                    item_id(c),
                    {"text": c["content"], "id": item_id(c), **c["metadata"]},
                    at,
                    at,
                    score=c["scores"].get("fused"),
                )
                for c in found
                if _matches({"text": c["content"], **c["metadata"]}, op.filter)
            ]
            return hits[op.offset :]
        items = await res.memories.list(ident, include_history=True, limit=10_000)
        listed = [_item(i, namespace) for i in items if _matches(i.value, op.filter)]
        return [
            SearchItem(i.namespace, i.key, i.value, i.created_at, i.updated_at)
            for i in listed[op.offset : op.offset + op.limit]
        ]


def store() -> MemoriaStore:
    """Return the store langgraph.json names (the process's resources open on first use)."""
    return MemoriaStore(server_resources())
