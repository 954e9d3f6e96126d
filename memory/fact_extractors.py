"""Which extractor finds the facts of a user message: the chat model's, or the offline rules.

An LLM extractor falls back to the rules on any failure, so a bad reply never loses the facts
the rules would have found; a job queued for the rules may be taken by either (`serves`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from configs.chat_models import model_name
from configs.prompts import FACTS_PROMPT
from memory.fact_extraction import ExtractedFact, extract_facts

logger = logging.getLogger(__name__)


RULES = "rules"
LLM = "llm"


@dataclass(frozen=True)
class Extractor:
    """Finds the facts a user message states, and says which extractor it is.

    Attributes:
        kind: "llm" (the configured chat model) or "rules" (offline, no model).
        name: What a fact records as its extractor, e.g. "rules" or "llm:gpt-4o-mini".
        extract: The extraction itself.
    """

    kind: str
    name: str
    extract: Callable[[str], Awaitable[list[ExtractedFact]]]

    @property
    def serves(self) -> tuple[str, ...]:
        """The extractor kinds of jobs this one may take: its own, and any lesser one."""
        return (LLM, RULES) if self.kind == LLM else (RULES,)


async def _rules(message: str) -> list[ExtractedFact]:
    return extract_facts(message)


offline_extractor = Extractor(RULES, RULES, _rules)
"""Clear self-statements in English and Portuguese, found by rules (no model needed)."""


def extractor_for(model: BaseChatModel | None) -> Extractor:
    """Return the LLM extractor of `model`, or the offline rules without one."""
    return llm_extractor(model) if model is not None else offline_extractor


def llm_extractor(model: BaseChatModel) -> Extractor:
    """Return an extractor that asks `model`, falling back to the offline one on any failure."""

    async def extract(message: str) -> list[ExtractedFact]:
        try:
            reply = await model.ainvoke(FACTS_PROMPT.format(message=message))
            text = reply.text.strip().removeprefix("```json").removesuffix("```").strip()
            return [
                ExtractedFact(
                    attribute=str(item["attribute"]).strip().lower(),
                    value=str(item["value"]).strip(),
                    text=str(item["text"]).strip(),
                    single_valued=bool(item.get("single_valued", False)),
                )
                for item in json.loads(text)
                if str(item.get("value", "")).strip() and str(item.get("attribute", "")).strip()
            ]
        except Exception as exc:  # noqa: BLE001 - a bad reply must not lose the offline facts
            logger.warning("fact extraction by the chat model failed, using rules: %r", exc)
            return extract_facts(message)

    return Extractor(LLM, f"{LLM}:{model_name(model)}", extract)
