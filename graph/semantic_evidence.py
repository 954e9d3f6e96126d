"""What a question asks and what each recalled message states, by meaning, for the answer gate.

The offline responder trusts a past message as evidence when it uses the words that state
the asked attribute (`memory.fact_questions.states`). People say things the word lists never
heard ("Biscuit goes mental when the postman comes"); the attribute classifier
(`memory.fact_semantics`) reads them by meaning. The question's vector is the one the router
already computed (a cache hit). The recalled messages' labels are the outbox worker's
(`memory.statement_labels`), their own clauses' too when they also speak of someone else;
only messages labelled before those existed are embedded here, as stored texts through the
same caches (their own clauses outside them: forgetting a user would not find those).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings
from psycopg_pool import AsyncConnectionPool

from memory import statement_labels
from memory.fact_semantics import BY_WORDS_ONLY, AttributeClassifier
from retrievers import embeddings as caches
from retrievers.types import Candidate
from storage.identity import Identity
from text.acts import statement_sentences
from text.said_of_user import mentions_others, said_of_user

# How sure a recalled message's label must be for it to be "the newest statement" of a
# one-value attribute, and quoted before older ones. The gate's `statement` floor (.15)
# let a question in passing ("A Madeira tem a mesma hora que o continente?", home .24)
# supersede "Vim para Lisboa!" (home .66). Chosen by cross-validation by persona
# (`python -m evals.chat.replay REPORTS --superseding --cv`); higher floors keep more old
# values first after a change.
SUPERSEDING = 0.3
# How likely the question's likeliest attribute must be, short of sure (`question`), for a
# stored fact of it to answer a question whose words name none ("Minha cidade, qual é?",
# "What kind of bird do I keep?"). Chosen by cross-validation by persona over the replayed
# chat sets (BENCHMARKS.md, "told facts the gate refused").
LEANING = 0.25


@dataclass(frozen=True)
class SemanticEvidence:
    """The classifier's reading of one question and its recalled messages.

    Attributes:
        asked: The attributes the question asks for when the classifier is sure (else empty).
        personal: The classifier is sure the question asks for something about the user
            themselves, known attribute or not ("what's my blood type?"): no manual page
            answers it.
        product: The classifier is sure the question asks nothing about the user ("I'm on
            Pro, how soon does support answer?"): the manual answers it, pronouns or not.
        stated: Per conversation candidate id, how likely its sentences state each attribute.
        floor: The probability from which a passage counts as stating an attribute.
        demote: A recalled message less likely than this to state the asked attribute is
            quoted after the others, whatever its words.
        margin: By meaning alone, a message states an attribute only at least this share
            of its likeliest attribute's probability.
        superseding: How sure a message's label must be for the newest one to hold.
        leaning: The attributes the question most likely asks when not sure enough for
            `asked` but at least `LEANING` likely: a stored fact of one may answer it.
    """

    asked: tuple[str, ...] = ()
    personal: bool = False
    product: bool = False
    stated: dict[str, dict[str, float]] = field(default_factory=dict)
    floor: float = 1.0
    demote: float = 0.0
    margin: float = 0.0
    superseding: float = SUPERSEDING
    leaning: tuple[str, ...] = ()

    def likelihood(self, cand: Candidate, attributes: Sequence[str]) -> float:
        """Return how likely `cand` states one of `attributes` (families: "family:sister")."""
        held = self.stated.get(cand["id"], {})
        return max((held.get(a.partition(":")[0], 0.0) for a in attributes), default=0.0)

    def unlikely(self, cand: Candidate, attributes: Sequence[str]) -> bool:
        """Return whether a recalled message hardly states any of `attributes` by meaning."""
        return cand["source"] == "conversation" and self.likelihood(cand, attributes) < self.demote

    def about(self, cand: Candidate, attributes: Sequence[str]) -> bool:
        """Return whether `cand` states one of `attributes` about as likely as anything else.

        At least `margin` times its likeliest attribute: a message about an allergy that
        names the city in passing still states the city; one about a dog does not state a
        name because the dog has one.
        """
        held = self.stated.get(cand["id"], {})
        return bool(held) and self.likelihood(cand, attributes) >= self.margin * max(held.values())

    def mainly(self, cand: Candidate, attributes: Sequence[str]) -> bool:
        """Return whether one of `attributes` is what a recalled message states most likely.

        Its stored labels name what the message is about: "I'm the pastry chef at Maple &
        Rye" is about a job, "moved to Milwaukee, Marco got a job up here" about a home
        that names a job in passing. Such messages are quoted before those that only
        mention the asked attribute.
        """
        held = self.stated.get(cand["id"], {})
        return (
            cand["source"] == "conversation"
            and bool(held)
            and self.likelihood(cand, attributes) >= max(held.values())
        )

    def states(self, cand: Candidate, attributes: Sequence[str]) -> bool:
        """Return whether `cand` states one of `attributes` sure enough, by meaning alone.

        Sure enough: at least `floor`, and about it (`about`). "Pickle, our old spaniel,
        says hello" reads a little like a name, but more like a pet: it does not answer
        "what's my middle name?". Never an age or a favourite: those are a number or the
        thing named, which the word rules see; by meaning alone "pineapple on pizza is the
        best" would answer "my favourite beer?".
        """
        wanted = [a for a in attributes if a.partition(":")[0] not in BY_WORDS_ONLY]
        return self.likelihood(cand, wanted) >= self.floor and self.about(cand, wanted)


async def stored_labels(
    pool: AsyncConnectionPool, ident: Identity, context: Sequence[Candidate]
) -> statement_labels.Stored:
    """Return the labels the outbox worker stored for the recalled messages, by candidate id."""
    ids = [c["id"].removeprefix("msg:") for c in context if c["source"] == "conversation"]
    found = await statement_labels.stated(pool, ident, ids)
    return statement_labels.Stored(
        {f"msg:{row_id}": held for row_id, held in found.held.items()},
        {f"msg:{row_id}": own for row_id, own in found.own.items()},
    )


async def read_evidence(
    classifier: AttributeClassifier,
    embeddings: Embeddings,
    query: str,
    context: Sequence[Candidate],
    known: statement_labels.Stored | None = None,
) -> SemanticEvidence:
    """Classify `query` and the statement sentences of the conversation passages in `context`.

    `known`: labels the outbox worker stored (`stored_labels`), by candidate id; those
    passages' sentences, and their own clauses when `known.own` holds them, are not
    embedded again.
    """
    known = known or statement_labels.Stored()
    vector = await embeddings.aembed_query(query)
    verdict = classifier.question(vector)
    sure = verdict.probability >= classifier.thresholds.question
    whole: list[tuple[str, str]] = []  # (candidate id, statement sentence) to embed
    clauses: list[tuple[str, str]] = []  # (candidate id, sentence of its own clauses)
    others: set[str] = set()  # the user's messages that also speak of someone else or a wish
    for cand in context:
        # The user's own past messages: an assistant's answer states nothing about the user,
        # and only the user's texts are found again when the user is forgotten.
        if cand["source"] != "conversation" or cand["metadata"].get("role") != "human":
            continue
        if cand["id"] not in known.held:
            whole += [(cand["id"], s) for s in statement_sentences(cand["content"])]
        if mentions_others(cand["content"]):
            others.add(cand["id"])
            if cand["id"] not in known.own:  # labelled before own clauses were stored
                own_text = said_of_user(cand["content"])
                clauses += [(cand["id"], s) for s in statement_sentences(own_text)]
    stated = {cid: dict(held) for cid, held in known.held.items()}
    stated |= await _classified(classifier, embeddings, whole)
    # Kept out of the caches: forgetting a user drops the vectors of their messages and of
    # their statement sentences, which these clauses are not.
    with caches.private():
        own = {cid: dict(held) for cid, held in known.own.items()}
        own |= await _classified(classifier, embeddings, clauses)
    for cand_id in others:
        # A message that also speaks of someone else or of a wish states no more than its
        # clauses about the user do ("minha irmã tem um gato chamado Cuscuz" states no pet of
        # the user's; "o meu marido diz que eu devia anotar as crises de gota" still health).
        mine = own.get(cand_id, {})
        held = stated.get(cand_id, {})
        stated[cand_id] = {a: min(p, mine.get(a, 0.0)) for a, p in held.items()}
    unasked = classifier.none_probability(vector)
    return SemanticEvidence(
        asked=verdict.asks if sure else (),
        personal=unasked <= classifier.thresholds.personal,
        product=unasked >= classifier.thresholds.product,
        stated=stated,
        floor=classifier.thresholds.statement,
        demote=classifier.thresholds.demote,
        margin=classifier.thresholds.margin,
        leaning=verdict.asks if not sure and verdict.probability >= LEANING else (),
    )


async def _classified(
    classifier: AttributeClassifier, embeddings: Embeddings, read: Sequence[tuple[str, str]]
) -> dict[str, dict[str, float]]:
    """Return, per candidate id of `read`, what its sentences state (one model call)."""
    if not read:
        return {}
    vectors = await embeddings.aembed_documents([sentence for _, sentence in read])
    return {
        cand_id: classifier.stated(
            [v for (owner, _), v in zip(read, vectors, strict=True) if owner == cand_id]
        )
        for cand_id in dict.fromkeys(owner for owner, _ in read)
    }
