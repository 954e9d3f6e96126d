"""Scheduled retention: each tenant's policy (`MEMORIA_PRIVACY`), applied by the worker.

A policy deletes, or archives, the threads its tenant's users left unused for `retention_days`
days, keeping the facts they stated or not (`keep_facts`). Deleting is forgetting the thread
in every store (`Forgetter.delete_thread`); archiving takes it out of recall and keeps its
transcript (`Forgetter.archive_thread`). Each thread is re-checked as it is locked, so a
thread used again while a run goes by is kept. Every run logs one receipt per tenant (counts
per store, never content) and counts what it did in `/metrics`.

Several workers may run it at once: a thread is locked by whoever takes it first, and the
others find it gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from psycopg_pool import AsyncConnectionPool

from configs.settings import TenantPrivacy
from memory import threads
from memory.conversation import ThreadOwnershipError
from memory.forget import Forgetter, Receipt
from storage.metrics import RETENTION_LAST_RUN, RETENTION_REMOVED, RETENTION_THREADS
from storage.tenancy import ALL_TENANTS, tenant_connection

logger = logging.getLogger(__name__)


class Retention:
    """Applies every tenant's retention policy, with a receipt per tenant."""

    def __init__(
        self,
        *,
        pool: AsyncConnectionPool,
        forgetter: Forgetter,
        policy: Callable[[str], TenantPrivacy],
    ) -> None:
        """Wire the stores; nothing runs until `apply` or `run_forever`.

        Args:
            pool: Autocommit pool (dict rows).
            forgetter: Deletes and archives threads in every store.
            policy: A tenant's privacy policy (`Settings.privacy`).
        """
        self._pool = pool
        self._forgetter = forgetter
        self._policy = policy

    async def apply(self) -> list[Receipt]:
        """Apply the policy of every tenant that has one; return their receipts."""
        async with tenant_connection(self._pool, ALL_TENANTS) as conn:
            tenants = await threads.tenants(conn)
        receipts = []
        for tenant in tenants:
            policy = self._policy(tenant)
            if policy.retention_days is not None:
                receipts.append(await self.apply_tenant(tenant, policy))
        RETENTION_LAST_RUN.set(time.time())
        return receipts

    async def apply_tenant(self, tenant_id: str, policy: TenantPrivacy) -> Receipt:
        """Delete or archive `tenant_id`'s threads idle beyond its policy; return the receipt."""
        days, action = policy.retention_days, policy.retention_action
        if days is None:
            raise ValueError(f"tenant {tenant_id!r} has no retention_days in its policy")
        receipt = Receipt(
            {
                "tenant_id": tenant_id,
                "retention_days": days,
                "action": action,
                "keep_facts": policy.keep_facts,
            }
        )
        async with tenant_connection(self._pool, tenant_id) as conn:
            # Archived threads are idle too; deleting takes them, archiving again does not.
            stale = await threads.idle_in_tenant(conn, tenant_id, days, archived=action == "delete")
        expire = (
            self._forgetter.delete_thread if action == "delete" else self._forgetter.archive_thread
        )
        for ident in stale:
            try:
                done = await expire(ident, idle_days=days, keep_facts=policy.keep_facts)
            except ThreadOwnershipError:
                receipt.add("in_use", 1)  # used again (or deleted) since it was found idle
                continue
            for store, n in done.counts.items():
                receipt.add(store, n)
        expired = len(stale) - receipt.counts.get("in_use", 0)
        RETENTION_THREADS.labels(action).inc(expired)
        for store, n in receipt.counts.items():
            RETENTION_REMOVED.labels(store).inc(n)
        logger.info("retention applied", extra={**receipt.scope, "counts": receipt.counts})
        return receipt

    async def run_forever(self, interval_s: float) -> None:
        """Apply the policies now and every `interval_s` seconds until cancelled."""
        while True:
            try:
                await self.apply()
            except Exception as exc:  # noqa: BLE001 - e.g. Postgres restarting: next time
                logger.warning("retention run failed (%r); next in %.0f s", exc, interval_s)
            await asyncio.sleep(interval_s)


@asynccontextmanager
async def running(retention: Retention, interval_s: float) -> AsyncIterator[Retention]:
    """Run `retention.run_forever` in the background for the block; stop it on the way out."""
    # A context of its own: it acts for every tenant and user, never its starter's.
    task = asyncio.create_task(
        retention.run_forever(interval_s), name="memoria-retention", context=contextvars.Context()
    )
    try:
        yield retention
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
