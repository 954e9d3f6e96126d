"""The offline responder: answers by quoting evidence, says so, and says when it does not know.

It speaks the conversation's language (English or Portuguese). A statement about the user is
acknowledged (its facts are stored by the outbox worker), not answered with a quote. A
question about the user is answered from what they said (facts first), never from the
knowledge base, and with "I don't know that yet" when nothing said comes close enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage

from graph.asked_detail import asked_detail, holds, names_relative
from graph.semantic_evidence import SemanticEvidence
from graph.state import Citation
from memory.fact_extraction import extract_facts
from memory.fact_questions import asked_attributes, states
from memory.fact_statements import ORIGIN as STATEMENT
from memory.messages import EXTRACTIVE_MODEL_NAME
from retrievers.embedders import Calibration
from retrievers.embedders.minilm import MiniLM
from retrievers.registry import DEFAULT
from retrievers.types import Candidate, Labeller, RouteDecision
from text.acts import asks_manual, is_about_user, is_question, statements
from text.language import LANGUAGES, detect
from text.words import QueryTerms, clip, fold, sentences, terms

PHRASES = {
    "en": {
        "greeting": "Hello! I'm memoria. Ask me about the knowledge base or anything we've "
        "talked about.",
        "noted": "Noted — I'll remember that in our future conversations.",
        "unknown": "I don't know that yet: you haven't told me.",
        "nothing": "I couldn't find anything about that in the knowledge base or our "
        "conversations.",
        "intro": "Here is what I found:",
        "quoting": "(Offline extractive mode: no LLM is configured, so I quote what I found.)",
        "offline": "(Offline extractive mode: no LLM is configured.)",
    },
    "pt": {
        "greeting": "Olá! Sou o memoria. Pergunte-me sobre a base de conhecimento ou sobre o "
        "que já conversamos.",
        "noted": "Anotado — vou lembrar disso nas nossas próximas conversas.",
        "unknown": "Ainda não sei isso: você ainda não me contou.",
        "nothing": "Não encontrei nada sobre isso na base de conhecimento nem nas nossas "
        "conversas.",
        "intro": "Eis o que encontrei:",
        "quoting": "(Modo extrativo offline: nenhum LLM está configurado, por isso cito o que "
        "encontrei.)",
        "offline": "(Modo extrativo offline: nenhum LLM está configurado.)",
    },
}
# Words of a question about the user that say nothing of what is asked ("what's my name",
# "where do I live now"): evidence must share another word, or be close in meaning.
_ASKING_WORDS = frozenset(
    "whats which who whom where when name names called call named live lives living currently "
    "now still kind sort type remember know tell again right today these days favourite "
    "favorite fave favorito favorita preferido preferida onde quem qual "
    "quais quando nome chama chamo chamado chamada moro vivo mora vive agora atualmente "
    "actualmente ainda tipo lembra lembras lembrase sabe sabes diz diga mesmo entao".split()
)
MAX_QUOTES = 3
RELATIVE_QUOTE_FLOOR = 0.6
QUOTE_CHARS = 320


def _reply(text: str) -> AIMessage:
    return AIMessage(content=text, response_metadata={"model_name": EXTRACTIVE_MODEL_NAME})


def best_excerpt(query: str, text: str, *, limit: int = QUOTE_CHARS) -> str:
    """Return the sentence of `text` that covers most of the query, with its successor if short.

    Ties go to fuller sentences: a heading that merely names the topic says less than the
    sentence under it.
    """
    parts = sentences(text) or [text]
    wanted = QueryTerms(query)
    scored = [
        (wanted.coverage(part) + 0.2 * min(len(part), 120) / 120, -i)
        for i, part in enumerate(parts)
    ]
    best = -max(scored)[1]
    excerpt = parts[best]
    if len(excerpt) < limit // 2 and best + 1 < len(parts):
        excerpt = f"{excerpt} {parts[best + 1]}"
    return clip(excerpt, limit)


def extractive_answer(
    query: str,
    context: Sequence[Candidate],
    route: RouteDecision | None,
    label: Labeller = DEFAULT.label,
    calibration: Calibration = MiniLM.calibration,
    language: str | None = None,
    semantics: SemanticEvidence | None = None,
) -> tuple[AIMessage, list[Citation]]:
    """Answer `query` by quoting the best evidence in `context` with numbered citations.

    Args:
        query: The user's message.
        context: Reranked passages, best first.
        route: The router's decision (small talk is greeted).
        label: Labels a passage's origin in a language.
        calibration: What the embedding model's similarities mean.
        language: The conversation's language; the message's own when None.
        semantics: What the attribute classifier read in the question and the passages
            (`graph.semantic_evidence`); the word rules alone when None.
    """
    lang = language or detect(query) or "en"
    say = PHRASES.get(lang, PHRASES["en"])
    strategy = route["strategy"] if route else "session_only"
    if not is_question(query) and (strategy == "session_only" or extract_facts(query)):
        # A statement: what it says about the user is stored; there is nothing to look up.
        return _reply(f"{say['noted']} {say['offline']}"), []
    if strategy == "session_only":
        return _reply(f"{say['greeting']} {say['offline']}"), []
    about_user = _about_user(query, semantics)
    attributes = asked_attributes(query) if about_user else []
    if about_user and semantics is not None and semantics.asked:
        # By meaning first, then by the words: "who am I married to?" asks for a partner,
        # not the name the words "who am I" suggest; no word of it at all still asks.
        attributes = list(dict.fromkeys([*semantics.asked, *attributes]))
    quotable = _evidence(
        query,
        context,
        calibration,
        about_user=about_user,
        attributes=attributes,
        language=lang,
        semantics=semantics,
    )
    if not quotable:
        if about_user:
            return _reply(f"{say['unknown']} {say['offline']}"), []
        if not is_question(query):
            return _reply(f"{say['noted']} {say['offline']}"), []
        return _reply(f"{say['nothing']} {say['offline']}"), []
    citations: list[Citation] = []
    lines = []
    for ref, cand in enumerate(quotable[:MAX_QUOTES], start=1):
        excerpt = best_excerpt(query, cand["content"])
        title = label(cand, lang)
        citations.append(
            Citation(ref=ref, id=cand["id"], source=cand["source"], title=title, snippet=excerpt)
        )
        lines.append(f"[{ref}] “{excerpt}” — {title}")
    return _reply("\n".join([say["intro"], *lines, say["quoting"]])), citations


def _about_user(query: str, semantics: SemanticEvidence | None) -> bool:
    """Return whether `query` asks about the user, by its words or by its meaning.

    The words miss questions with no pronoun ("em que área trabalho?", "what's the hamster
    called?"): the classifier sure of an attribute asked says so, or the words name one and
    the classifier is sure the question is personal. The words also take a question about
    the product for one about the user ("I'm on Pro, how soon does support reply?"): the
    classifier sure nothing of the user is asked overrules them, unless the words name an
    attribute. How-tos and trouble reports ask the manual whatever the classifier reads.
    """
    if semantics is None or asks_manual(query):
        return is_about_user(query)
    if semantics.asked:
        return True
    named = bool(asked_attributes(query))
    if not is_about_user(query):
        return named and semantics.personal
    return named or not semantics.product


def _evidence(
    query: str,
    context: Sequence[Candidate],
    calibration: Calibration,
    *,
    about_user: bool,
    attributes: Sequence[str] = (),
    language: str | None = None,
    semantics: SemanticEvidence | None = None,
) -> list[Candidate]:
    """Return the passages worth quoting for `query`, in the order to quote them.

    Fusion and reranking are relative: something always ranks first. A passage is quoted
    only with some absolute evidence (this thread's own recent messages excepted: they are
    what "what did I just say?" asks for):

    - asked for an attribute of the user ("what's my dog called?"): a current fact of that
      attribute, first, or a message using the words that state one, or sharing half the
      words that say what is asked and close in meaning; nothing else;
    - asked something else about the user ("what car do I drive?"): a statement of theirs or
      a fact sharing half of the words that say what is asked, or very close in meaning (a
      manual page: on the topic);
    - otherwise: a shared content word, or a meaning close enough to be on topic.
    """
    wanted = QueryTerms(query)
    # A one-letter token ("what's" gives "s") says nothing of what is asked, and every
    # "the user's ..." fact would cover it.
    asked = {t for t in terms(query) if t not in _ASKING_WORDS and len(t) > 1}
    specific = QueryTerms(" ".join(asked)) if asked else None
    same_text = fold(query).strip()

    def covers(cand: Candidate) -> bool:
        """Whether `cand` shares half the words that say what is asked, in the same language.

        Across languages shared words are false friends ("time de futebol", "any time").
        """
        if specific is None or specific.coverage(cand["content"]) < 0.5:
            return False
        written_in = _written_in(cand)
        return not (language and written_in and written_in != language)

    # A finer detail asked ("my surname?", "which team do I support?") is answered only by
    # a passage that holds it, whatever it says of the attribute.
    detail = asked_detail(query, _user_names(context)) if about_user else None
    copies = _quoted_statement_facts(context)
    quotable = []
    stating: set[str] = set()  # the user's messages that state what is asked
    for cand in context:
        if fold(cand["content"]).strip() == same_text or cand["id"] in copies:
            continue
        source, similarity = cand["source"], cand["scores"].get("vector", 0.0)
        if source != "thread" and not holds(detail, cand):
            continue
        if source == "thread":
            quotable.append(cand)
        elif attributes:
            if source == "facts" and _answers(cand, attributes):
                quotable.append(cand)
            elif source == "conversation":
                if (
                    any(states(statements(cand["content"]), a) for a in attributes)
                    or (semantics is not None and semantics.states(cand, attributes))
                    or names_relative(cand["content"], attributes)
                ):  # in the words that state it, in words no rule knows, or by a name
                    stating.add(cand["id"])
                    quotable.append(cand)
                elif (
                    covers(cand) and similarity >= calibration.evidence and _agrees(semantics, cand)
                ):
                    quotable.append(cand)
        elif about_user:
            if source == "knowledge_base":
                # "Where is my data stored?" asks the manual: a passage on the topic answers;
                # "what's my blood type?" does not, whatever words they share.
                if semantics is not None and semantics.personal:
                    continue
                if covers(cand) or similarity >= calibration.on_topic:
                    quotable.append(cand)
            elif source == "conversation" and not statements(cand["content"]):
                continue  # what the user asked says nothing about them
            elif (covers(cand) or similarity >= calibration.evidence) and _agrees(semantics, cand):
                quotable.append(cand)
        elif wanted.coverage(cand["content"]) > 0 or similarity >= calibration.on_topic:
            quotable.append(cand)
    if quotable and "rerank" in quotable[0]["scores"]:
        # Quote only passages close to the best one: a weak third quote reads as noise. What
        # states the attribute asked (its fact, the user's statement of it) is no noise
        # however the reranker scored it: a fact's short sentence scores low.
        floor = RELATIVE_QUOTE_FLOOR * quotable[0]["scores"]["rerank"]
        quotable = [
            c
            for c in quotable
            if c["scores"].get("rerank", 0.0) >= floor
            or c["id"] in stating
            or (c["source"] == "facts" and _answers(c, attributes))
        ]
    if not about_user:
        quotable = _across_languages(quotable, language)
    if attributes:
        first = semantics.asked if semantics is not None and semantics.asked else attributes
        # Stable, in three bands: the facts of the attribute asked; the user's messages
        # whose stored labels say they are mainly about it ("I'm the pastry chef at …"
        # before "moved to Milwaukee, Marco got a job up here" for "where do I work?");
        # then the rest in the reranker's order. The words say it, the meaning hardly ("aqui
        # na 3 Corações..." uses the words of a home and is about a workplace): such
        # passages go last and are never "the latest".
        mainly: set[str] = set()
        unlikely: set[str] = set()
        if semantics is not None:
            mainly = {c["id"] for c in quotable if semantics.mainly(c, first)}
            unlikely = {c["id"] for c in quotable if semantics.unlikely(c, first)}
        stating -= unlikely
        quotable.sort(
            key=lambda c: (
                not (c["source"] == "facts" and _answers(c, first)),
                c["id"] not in mainly,
                c["id"] in unlikely,
            )
        )
        if all(a.partition(":")[0] in _REPLACED for a in attributes):
            # The newest statement holds only among those mainly about the attribute, and
            # sure of it: "writing from Brisbane, we relocated for Liam's work" says "work"
            # in passing; "got promoted, I'm product manager now" is about a job.
            if semantics is not None:
                sure = max(semantics.floor, semantics.superseding)
                stating = {
                    c["id"]
                    for c in quotable
                    if c["id"] in stating
                    and c["id"] in mainly
                    and semantics.likelihood(c, first) >= sure
                }
            quotable = _latest_statements_first(quotable, stating)
    return quotable


# Attributes a new statement replaces ("we shifted to Pune" after "I live in Bengaluru").
_REPLACED = frozenset({"name", "home", "job", "workplace", "partner", "age", "favourite"})


def _latest_statements_first(quotable: list[Candidate], stating: set[str]) -> list[Candidate]:
    """Reorder the user's statements of the asked attribute (ids in `stating`), newest first.

    They keep their places among the other passages. Facts are already current (a correction
    supersedes); messages are not: the one that states the attribute last is the one that holds.
    """
    slots = [
        i for i, c in enumerate(quotable) if c["id"] in stating and c["metadata"].get("created_at")
    ]
    newest = sorted(
        (quotable[i] for i in slots), key=lambda c: str(c["metadata"]["created_at"]), reverse=True
    )
    reordered = list(quotable)
    for i, cand in zip(slots, newest, strict=True):
        reordered[i] = cand
    return reordered


def _across_languages(quotable: list[Candidate], language: str | None) -> list[Candidate]:
    """Order passages by closeness in meaning when some are in another language than asked.

    The reranker reads shared words, which a question and a page in two languages hardly
    have ("até quando dá pra recuperar uma versão antiga?" and "Version history ... goes back
    7 days"); the multilingual embedding reads meaning across them.
    """
    if not language or all(_written_in(c) in (language, None) for c in quotable):
        return quotable
    return sorted(quotable, key=lambda c: -c["scores"].get("vector", 0.0))


def _written_in(cand: Candidate) -> str | None:
    """Return a passage's language: the one stored with its row, else detected from its text.

    Rows store theirs when written (`lang`: en, pt, or "simple" when too short to tell);
    passages without the key (a cache entry written before it, a stored fact) are read.
    """
    stored = cand["metadata"].get("lang")
    if stored is None:
        return detect(cand["content"])
    return stored if stored in LANGUAGES else None


def _agrees(semantics: SemanticEvidence | None, cand: Candidate) -> bool:
    """Return whether the classifier lets a passage in on shared words or closeness alone.

    When it is sure the question asks for an attribute, the passage must state that one
    ("my favourite colour?" is not answered by "the colour printer is down again").
    """
    if semantics is None or not semantics.asked:
        return True
    return semantics.states(cand, semantics.asked)


def _quoted_statement_facts(context: Sequence[Candidate]) -> set[str]:
    """Return the ids of the statement facts whose message is also in `context`.

    A statement fact (`memory.fact_statements`) is one sentence of a message, kept under the
    attribute the classifier was sure it states; the message says the same with its context
    and its date. Answered as a fact of the asked attribute, the copy would jump every
    statement: "Honestly the beagle energy is unreal" for "what's my dog called?", when
    its message reads "Biscuit dragged me round the park. Honestly the beagle energy...".
    """
    said = [fold(c["content"]) for c in context if c["source"] == "conversation"]
    return {
        c["id"]
        for c in context
        if c["source"] == "facts"
        and c["metadata"].get("origin") == STATEMENT
        and (sentence := fold(c["content"]).strip())
        and any(sentence in text for text in said)
    }


def _user_names(context: Sequence[Candidate]) -> list[str]:
    """Return the user's names stored as facts in `context` ("Priya", "Vikram Sethi")."""
    return [
        str(c["metadata"].get("value") or "")
        for c in context
        if c["source"] == "facts" and c["metadata"].get("attribute") == "name"
    ]


def _answers(fact: Candidate, attributes: Sequence[str]) -> bool:
    """Return whether a fact is of an attribute asked ("favourite:colour" only of that one)."""
    held = str(fact["metadata"].get("attribute") or "")
    return any(held == a or (":" not in a and held.startswith(a)) for a in attributes)
