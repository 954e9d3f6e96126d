"""A request that checks its thread before the graph runs: the turn's router takes that check."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import HumanMessage

from graph.context import Context
from memory.conversation import ThreadOwnershipError
from storage.identity import Identity, identity_from_config
from storage.tenancy import tenant_connection
from storage.versions import bump_user
from tests.support import new_config

pytestmark = pytest.mark.integration


async def test_a_checked_thread_is_taken_once_by_its_own_identity_only(agent, resources):
    config = new_config()
    await agent.ainvoke({"messages": [HumanMessage("I keep bees.")]}, config, context=Context())
    owner = identity_from_config(config, default_tenant="local")
    intruder = Identity(owner.tenant_id, "someone-else", owner.thread_id)
    conversation = resources.conversation

    async def request() -> None:
        await conversation.check_thread(owner)
        with pytest.raises(ThreadOwnershipError):  # the owner's check is not the intruder's
            await conversation.open_turn(intruder)
        async with tenant_connection(resources.pool, owner.tenant_id) as conn:
            await bump_user(conn, owner.tenant_id, owner.user_id)
        # The turn reads the versions its request checked (under the turn lock), once: the
        # next turn asks Postgres again and sees the new version.
        taken = await conversation.open_turn(owner)
        again = await conversation.open_turn(owner)
        assert taken.version != again.version

    await asyncio.create_task(request())  # a task of its own, as each HTTP request is
    # Outside that request's context nothing was left behind.
    with pytest.raises(ThreadOwnershipError):
        await conversation.check_thread(intruder)
