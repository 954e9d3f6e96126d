"""Who a request is for: tenant, user and thread, taken from config, never from message text."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
_SESSION_NAMESPACE = uuid.UUID("6f1c7b1e-8f5e-4f43-9a7c-5b1d2a0f3e11")


@dataclass(frozen=True)
class Identity:
    """The scope every read and write runs in."""

    tenant_id: str
    user_id: str
    thread_id: str

    def as_dict(self) -> dict[str, str]:
        """Return tenant_id, user_id and thread_id, e.g. as SQL parameters or a receipt scope."""
        return {"tenant_id": self.tenant_id, "user_id": self.user_id, "thread_id": self.thread_id}

    @property
    def session_id(self) -> str:
        """Return the UUID that keys this thread's transcript in the chat-history table."""
        key = f"{self.tenant_id}\x1f{self.user_id}\x1f{self.thread_id}"
        return str(uuid.uuid5(_SESSION_NAMESPACE, key))


def validate_id(field: str, value: Any) -> str:
    """Return `value` if it is a well-formed identifier, else raise ValueError naming `field`."""
    if value is None or value == "":
        raise ValueError(f"{field} is required in config['configurable']")
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    # fullmatch: `$` alone would let a trailing newline through.
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"{field} must be 1-128 characters of letters, digits and . _ : @ -, "
            "starting with a letter or digit"
        )
    return value


# The thread of a run whose `thread_id` LangGraph sees is another key (graph/turn.py http_config).
THREAD_KEY = "memoria_thread_id"

# Where LangGraph's server puts the user its auth handler returned (graph/auth.py); clients
# cannot set it: the server overwrites it on every run it authenticates.
AUTH_USER_KEY = "langgraph_auth_user"


def authenticated_scope(config: RunnableConfig) -> tuple[Any, Any] | None:
    """Return the (tenant, user) that LangGraph's server authenticated for this run, if any.

    Only a user from memoria's auth handler carries a tenant; other users (local mode, an
    unauthenticated server) return None and the run's configurable names the identity.
    """
    user = (config.get("configurable") or {}).get(AUTH_USER_KEY)
    # The server hands over its user object, or a dict once the run was queued as JSON.
    get = getattr(user, "get", None)
    if get is None or get("tenant_id") is None:
        return None
    return get("tenant_id"), get("user_id")


def identity_from_config(
    config: RunnableConfig, *, default_tenant: str, default_user: str | None = None
) -> Identity:
    """Read and validate the identity of a run.

    Tenant and user come from the authenticated user when LangGraph's server authenticated
    the run with a memoria key, whatever `configurable` claims; else from `configurable`.
    The thread always comes from `configurable`: `memoria_thread_id` when the caller keyed
    LangGraph's checkpoints otherwise, else `thread_id`.

    Args:
        config: The run's config.
        default_tenant: Tenant used when the config names none (local, single-tenant use).
        default_user: User used when the config names none; only for local development
            (LangGraph Studio). The HTTP server always requires a user.
    """
    configurable = config.get("configurable") or {}
    scope = authenticated_scope(config)
    if scope is not None:
        tenant, user = scope
    else:
        tenant = configurable.get("tenant_id") or default_tenant
        user = configurable.get("user_id") or default_user
    return Identity(
        tenant_id=validate_id("tenant_id", tenant),
        user_id=validate_id("user_id", user),
        thread_id=validate_id(
            "thread_id", configurable.get(THREAD_KEY) or configurable.get("thread_id")
        ),
    )


def redis_key(*parts: str) -> str:
    """Return the Redis key `memoria:<part>:<part>...` with ':' escaped inside each part.

    Ids may contain ':'; unescaped, tenant "a:window:b" could name another tenant's key.
    The first part after "memoria" is always the tenant, so every tenant's keys share a prefix.
    """
    return ":".join(["memoria", *(p.replace("%", "%25").replace(":", "%3A") for p in parts)])
