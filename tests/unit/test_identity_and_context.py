import pytest

from graph.context import Context
from storage.identity import identity_from_config


def test_identity_comes_from_configurable_with_default_tenant():
    ident = identity_from_config(
        {"configurable": {"user_id": "ana", "thread_id": "t1"}}, default_tenant="local"
    )
    assert (ident.tenant_id, ident.user_id, ident.thread_id) == ("local", "ana", "t1")


@pytest.mark.parametrize(
    ("configurable", "field"),
    [
        ({"thread_id": "t1"}, "user_id"),
        ({"user_id": "ana"}, "thread_id"),
        ({"user_id": "ana", "thread_id": "t 1; drop"}, "thread_id"),
        ({"user_id": 42, "thread_id": "t1"}, "user_id"),
        ({"user_id": "ana", "thread_id": "t1", "tenant_id": "x" * 200}, "tenant_id"),
        ({"user_id": "ana\n", "thread_id": "t1"}, "user_id"),
    ],
)
def test_missing_or_malformed_identity_names_the_field(configurable, field):
    with pytest.raises(ValueError, match=field):
        identity_from_config({"configurable": configurable}, default_tenant="local")


def test_session_id_differs_per_owner_of_the_same_thread_name():
    a = identity_from_config(
        {"configurable": {"user_id": "a", "thread_id": "t"}}, default_tenant="x"
    )
    b = identity_from_config(
        {"configurable": {"user_id": "b", "thread_id": "t"}}, default_tenant="x"
    )
    assert a.session_id != b.session_id


def test_context_rejects_unusable_knobs():
    with pytest.raises(ValueError, match="strategy"):
        Context(strategy="telepathy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="summary_keep_messages"):
        Context(summary_max_messages=4, summary_keep_messages=4)
    assert Context.from_configurable({"k": 3, "user_id": "ignored"}).k == 3


@pytest.mark.parametrize(
    ("knobs", "says"),
    [
        ({"k": 1.5}, "k must be a whole number"),
        ({"k": True}, "k must be a whole number"),
        ({"fetch_k": 10**30}, "fetch_k must be a whole number, at most"),
        ({"rerank": "yes"}, "rerank must be true or false"),
        ({"rerank_threshold": "high"}, "rerank_threshold must be a finite number"),
        ({"neighbour_weight": float("nan")}, "neighbour_weight must be a finite number"),
    ],
)
def test_context_rejects_knobs_of_the_wrong_type_naming_them(knobs, says):
    with pytest.raises(ValueError, match=says):
        Context(**knobs)


def test_the_authenticated_tenant_and_user_override_what_the_config_claims():
    # What LangGraph's server puts in configurable for a user of graph/auth.py.
    user = {"identity": "acme/ana", "tenant_id": "acme", "user_id": "ana"}
    configurable = {"tenant_id": "rival", "user_id": "eve", "thread_id": "t1"}
    ident = identity_from_config(
        {"configurable": {**configurable, "langgraph_auth_user": user}}, default_tenant="local"
    )
    assert (ident.tenant_id, ident.user_id, ident.thread_id) == ("acme", "ana", "t1")


def test_an_authenticated_tenant_without_a_user_is_refused_not_filled_from_config():
    user = {"identity": "acme/?", "tenant_id": "acme"}
    configurable = {"user_id": "eve", "thread_id": "t1", "langgraph_auth_user": user}
    with pytest.raises(ValueError, match="user_id"):
        identity_from_config({"configurable": configurable}, default_tenant="local")


def test_a_user_without_a_tenant_leaves_the_identity_to_the_config():
    # Local mode, or LangGraph's server without memoria's auth.
    for user in ({"identity": "local", "permissions": ["memoria:local-mode"]}, None):
        configurable = {"user_id": "ana", "thread_id": "t1", "langgraph_auth_user": user}
        ident = identity_from_config({"configurable": configurable}, default_tenant="local")
        assert (ident.tenant_id, ident.user_id) == ("local", "ana")
