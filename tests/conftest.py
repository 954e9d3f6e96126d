"""Settings every test shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langsmith import utils as ls_utils


@pytest.fixture(scope="session", autouse=True)
def no_tracing() -> Iterator[None]:
    """Send no traces, whatever LANGSMITH_* the shell exports; a test that traces says so.

    Graphs run in-process follow LangSmith's own switch; servers started by tests inherit it
    (and their settings read it, so a key alone does not turn tracing on).
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in ("LANGSMITH_TRACING", "LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING_V2"):
            patch.setenv(name, "false")
        ls_utils.get_env_var.cache_clear()  # LangSmith remembers what it read
        yield
    ls_utils.get_env_var.cache_clear()
