"""The chat model a process is configured with, and what to call it in logs and traces."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from configs.settings import Settings


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """Return the configured OpenAI-compatible chat model, or None for the offline responder."""
    if not settings.chat_model_configured:
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.memoria_chat_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        timeout=settings.memoria_llm_timeout_s,
        max_retries=2,
    )


def model_name(model: BaseChatModel) -> str:
    """Return the name of the model a chat model calls (its class name when it has none)."""
    for attr in ("model_name", "model"):
        if isinstance(name := getattr(model, attr, None), str) and name:
            return name
    return type(model).__name__
