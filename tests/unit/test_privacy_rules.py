"""Privacy rules without a database: who remembers, which sources a private turn skips."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from configs.settings import Settings
from graph.privacy import INCOGNITO, MEMORY_OFF, private_reason, without_user_memory
from retrievers.types import RouteDecision


@pytest.mark.parametrize(
    ("incognito", "consent", "tenant_default", "reason"),
    [
        (False, None, True, None),
        (False, None, False, MEMORY_OFF),
        (False, True, False, None),  # the user's own choice wins over the tenant's default
        (False, False, True, MEMORY_OFF),
        (True, True, True, INCOGNITO),  # an incognito thread keeps nothing, consent or not
    ],
)
def test_who_remembers(incognito, consent, tenant_default, reason):
    assert private_reason(incognito, consent, tenant_default) == reason


def test_a_private_turn_searches_no_other_thread():
    decided = RouteDecision(
        strategy="cross_conversation",
        sources=["knowledge_base", "conversation", "facts", "thread"],
        reason="asks about the user",
        similarities={},
    )
    private = without_user_memory(decided, MEMORY_OFF)
    assert private["sources"] == ["knowledge_base", "thread"]
    assert "conversation, facts" in private["reason"] and MEMORY_OFF in private["reason"]


def test_tenant_policies_come_from_json_and_fall_back_to_the_star(monkeypatch):
    monkeypatch.setenv(
        "MEMORIA_PRIVACY",
        '{"*": {"memory": false},'
        ' "clinic": {"retention_days": 180, "retention_action": "archive"}}',
    )
    s = Settings(_env_file=None)
    assert s.privacy("clinic").retention_days == 180 and s.privacy("clinic").memory is True
    assert s.privacy("anyone").memory is False
    monkeypatch.setenv("MEMORIA_PRIVACY", '{"t": {"retention_days": 0}}')
    with pytest.raises(ValidationError, match="retention_days"):
        Settings(_env_file=None)
