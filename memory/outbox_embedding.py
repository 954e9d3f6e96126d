"""What an outbox batch's one model call gives each job: index vectors, labels, sure facts.

The worker (`memory.outbox`) claims a batch of jobs and embeds, per tenant, every index entry's
view together with the user messages' statement sentences and, for a message that also speaks
of someone else, the user's own clauses (`memory.statement_labels`): one model call, then the
labels and the facts the sentences are sure to state (`memory.fact_statements`) are read from
those vectors here, before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from memory import fact_statements, statement_labels
from memory.fact_extraction import ExtractedFact
from memory.fact_semantics import AttributeClassifier
from memory.message_index import IndexEntry
from storage.tenancy import tenant_scope


@dataclass(frozen=True)
class Embedded:
    """What a job's model call gave: its entries' vectors, and with a classifier, labels.

    Attributes:
        vectors: One per index entry of the job.
        labels: Per user message, the attributes its sentences state (`statement_labels`).
        own: Per user message that also speaks of someone else, how likely its own clauses
            state each of its labels (`statement_labels.classify_own`).
        stated: Per user message, the facts its sentences are sure to state.
    """

    vectors: list[list[float]]
    labels: dict[str, dict[str, float]] = field(default_factory=dict)
    own: dict[str, dict[str, float]] = field(default_factory=dict)
    stated: dict[str, list[ExtractedFact]] = field(default_factory=dict)


async def embed_jobs(
    embeddings: Embeddings,
    attributes: AttributeClassifier | None,
    jobs: Sequence[dict[str, Any]],
    entries: dict[int, list[IndexEntry]],
) -> dict[int, Embedded]:
    """Embed the jobs' views, each tenant's as that tenant (a model call per tenant).

    With a classifier, user messages' statement sentences, and the user's own clauses
    of those that also speak of someone else, are embedded in the same call and labelled
    (`memory.statement_labels`); so are the facts its sentences are sure to state
    (`memory.fact_statements`). Embeddings that remember vectors (the turn's question,
    `StoredTextEmbeddings`) then find only the vectors of the job's own tenant.
    """
    tenants: dict[str, list[int]] = {}
    for job in jobs:
        tenants.setdefault(job["tenant_id"], []).append(job["id"])
    out: dict[int, Embedded] = {}
    for tenant, ids in tenants.items():
        said = {i: statement_labels.sentences(entries[i]) if attributes else [] for i in ids}
        own = {i: statement_labels.own_sentences(entries[i]) if attributes else {} for i in ids}
        texts = [e.view for i in ids for e in entries[i]]
        texts += [sentence for i in ids for _, sentence in said[i]]
        texts += [sentence for i in ids for clauses in own[i].values() for sentence in clauses]
        with tenant_scope(tenant):
            embedded = await embeddings.aembed_documents(texts) if texts else []
        views: dict[int, list[list[float]]] = {}
        mine: dict[int, list[list[float]]] = {}
        for i in ids:
            views[i], embedded = embedded[: len(entries[i])], embedded[len(entries[i]) :]
        for i in ids:
            mine[i], embedded = embedded[: len(said[i])], embedded[len(said[i]) :]
        for i in ids:
            count = sum(len(clauses) for clauses in own[i].values())
            theirs, embedded = embedded[:count], embedded[count:]
            if attributes is None:
                out[i] = Embedded(views[i])
                continue
            labels = statement_labels.classify(attributes, entries[i], said[i], mine[i])
            out[i] = Embedded(
                views[i],
                labels,
                statement_labels.classify_own(attributes, labels, own[i], theirs),
                fact_statements.stated_facts(attributes, entries[i], said[i], mine[i]),
            )
    return out
