import pytest
from langsmith import utils as ls_utils

from configs.settings import Settings
from graph.tracing import Tracing, candidate_counts


@pytest.mark.parametrize(
    ("env", "traced"),
    [
        ({}, False),
        ({"LANGSMITH_API_KEY": "lsv2-x"}, True),
        ({"LANGSMITH_API_KEY": "lsv2-x", "LANGSMITH_TRACING": "true"}, True),
        ({"LANGSMITH_API_KEY": "lsv2-x", "LANGSMITH_TRACING": "false"}, False),
        ({"LANGSMITH_TRACING": "true"}, False),
        # docker-compose passes unset variables through as empty strings.
        ({"LANGSMITH_API_KEY": "", "LANGSMITH_TRACING": ""}, False),
        ({"LANGCHAIN_API_KEY": "lsv2-x", "LANGCHAIN_TRACING_V2": "true"}, True),
    ],
)
def test_tracing_is_on_only_with_a_key_and_not_turned_off(monkeypatch, env, traced):
    for name in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGCHAIN_TRACING_V2"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LANGSMITH_TRACING", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None).tracing_enabled is traced


def test_turns_are_not_traced_without_a_key_whatever_langsmith_reads(monkeypatch):
    monkeypatch.setenv("LANGSMITH_TRACING_V2", "true")
    ls_utils.get_env_var.cache_clear()
    try:
        assert ls_utils.tracing_is_enabled()  # LangSmith on its own would trace
        tracer = Tracing.from_settings(Settings(_env_file=None, langsmith_api_key=None))
        with tracer.context():
            assert not ls_utils.tracing_is_enabled()
    finally:
        monkeypatch.undo()
        ls_utils.get_env_var.cache_clear()


def test_candidate_counts_tell_a_source_that_found_nothing_from_one_not_searched():
    found = [
        {"id": "kb:1", "source": "knowledge_base"},
        {"id": "kb:2", "source": "knowledge_base"},
        {"id": "msg:1", "source": "conversation"},
    ]
    assert candidate_counts(found, ["knowledge_base", "conversation", "facts"]) == {
        "memoria_candidates": 3,
        "memoria_candidates_knowledge_base": 2,
        "memoria_candidates_conversation": 1,
        "memoria_candidates_facts": 0,
    }
