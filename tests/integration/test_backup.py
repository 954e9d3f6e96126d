"""Backups with the bundled pg_dump / pg_restore: an encrypted round trip to a fresh database."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from langchain_core.messages import HumanMessage

from graph.context import Context
from storage import backup
from storage.identity import identity_from_config
from tests.support import new_config, resources_like

pytestmark = pytest.mark.integration

PASSPHRASE = "correct horse battery staple"


@pytest.mark.process
async def test_an_encrypted_backup_restores_into_a_fresh_data_dir(
    agent, resources, own_postgres, tmp_path
):
    secret = f"lychee{uuid.uuid4().hex[:6]}"
    config = new_config()
    said = f"My name is Caio and my safe word is {secret}."
    await agent.ainvoke({"messages": [HumanMessage(said)]}, config, context=Context())
    source = resources.settings.database_url
    target = tmp_path / backup.backup_name(sealed=True)

    await asyncio.to_thread(backup.dump, source, target, PASSPHRASE)
    assert target.stat().st_mode & 0o077 == 0  # its owner's alone
    assert secret.encode() not in target.read_bytes()  # encrypted at rest

    fresh = await asyncio.to_thread(own_postgres.ensure_postgres)
    with pytest.raises(backup.BackupError, match="wrong passphrase"):
        await asyncio.to_thread(backup.restore, fresh, target, "not it")
    assert not backup.holds_memoria(fresh)  # nothing of a failed restore stays
    await asyncio.to_thread(backup.restore, fresh, target, PASSPHRASE)
    with pytest.raises(backup.BackupError, match="already holds memoria data"):
        await asyncio.to_thread(backup.restore, fresh, target, PASSPHRASE)

    # The restored database serves the app as its own role: the transcript reads back.
    async with resources_like(resources, database_url=fresh) as restored:
        transcript = await restored.conversation.transcript(
            identity_from_config(config, default_tenant="")
        )
    assert [m.text for m in transcript][0] == said
