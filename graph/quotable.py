"""Which passages a question about the user or the knowledge base may quote, in which order.

The offline responder (`graph.extractive`) quotes what this returns; the order is the one an
LLM would be handed too. Fusion and reranking are relative (something always ranks first), so
this asks for absolute evidence: a fact of the attribute asked, the user's statement of it,
words shared with what is asked, or a meaning close enough.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from graph.asked_detail import (
    Detail,
    as_kin,
    asked_detail,
    asks_name,
    asks_relative,
    holds,
    names_relative,
)
from graph.holding_first import holding_first, newest_animal_first
from graph.semantic_evidence import SemanticEvidence
from graph.statement_order import answers, change_first
from memory.fact_extraction import extract_facts
from memory.fact_questions import asked_attributes, asks_anothers_name, states
from memory.fact_statements import ORIGIN as STATEMENT
from memory.favourite_things import another_favourite
from retrievers.embedders import Calibration
from retrievers.types import Candidate
from text.acts import statements
from text.language import LANGUAGES, detect
from text.said_of_user import about_others, said_of_user
from text.words import QueryTerms, fold, terms

# Words of a question about the user that say nothing of what is asked ("what's my name",
# "where do I live now"): evidence must share another word, or be close in meaning.
_ASKING_WORDS = frozenset(
    "whats which who whom where when name names called call named live lives living currently "
    "now still kind sort type remember know tell again right today these days favourite "
    "favorite fave favorito favorita preferido preferida onde quem qual "
    "quais quando nome chama chamo chamado chamada moro vivo mora vive agora atualmente "
    "actualmente ainda tipo lembra lembras lembrase sabe sabes diz diga mesmo entao".split()
)
RELATIVE_QUOTE_FLOOR = 0.6


def quotable_evidence(
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
        lang = written_in(cand)
        return not (language and lang and lang != language)

    # A finer detail asked ("my surname?", "which team do I support?") is answered only by
    # a passage that holds it, whatever it says of the attribute.
    # A relative asked by name ("what does Darren do?") is asked as the relative.
    asked_as = as_kin(query, context)
    # Read whether the question reads as about the user or not: "What's Shivanie's last
    # name?" asks a surname of whoever it asks, and no memory without one answers it. An
    # animal is asked of the user's only when the question is about them (`holds_detail`).
    detail = asked_detail(asked_as, _user_names(context))
    if detail is not None and detail.thing and _known_attribute(attributes, semantics):
        # "Como se chama o meu bicho?" asks a pet's name, which the pet's rules read.
        detail = None
    if detail is not None and detail.animal:
        # An animal asked ("e o cão, que nome lhe dei?") asks its name, not the user's; its
        # name asked in no word of a pet's ("como se chama o meu porco?") still asks a pet's.
        attributes = list(
            dict.fromkeys("pet" if a.partition(":")[0] == "name" else a for a in attributes)
        )
        if about_user and not attributes and asks_name(query):
            attributes = ["pet"]
    copies = _quoted_statement_facts(context)
    # Asked about themselves, the user's messages count only by what they say of the user
    # (`text.said_of_user`): not a sister's cat, not a dog wished for.
    own_only = (
        about_user
        and not asks_relative(detail)
        and not about_others(asked_as)
        and not any(a.partition(":")[0] in _ABOUT_RELATIVES for a in attributes)
    )
    quotable = []
    stating: set[str] = set()  # the user's messages that state what is asked
    in_words: set[str] = set()  # those that state it in the words a rule knows
    for cand in context:
        if fold(cand["content"]).strip() == same_text or cand["id"] in copies:
            continue
        view = _said_of_user(cand) if own_only else cand
        if view is None or (view is not cand and not _shares(specific, view, cand)):
            continue
        source, similarity = cand["source"], cand["scores"].get("vector", 0.0)
        if source != "thread" and not _holds(detail, view, about_user):
            continue
        if source == "thread":
            quotable.append(cand)
        elif attributes:
            if source == "facts" and answers(cand, attributes):
                quotable.append(cand)
            elif source == "conversation":
                said = statements(view["content"])
                if another_favourite(said, attributes):
                    continue  # "my favourite dish" never answers "my favourite drink?"
                worded = (
                    any(states(said, a) for a in attributes)
                    or _says_favourite(said, attributes)
                    or _introduces(cand, attributes)
                )
                if (
                    worded
                    or (semantics is not None and semantics.states(cand, attributes))
                    or names_relative(cand["content"], attributes)
                ):  # in the words that state it, in words no rule knows, or by a name
                    stating.add(cand["id"])
                    if worded:
                        in_words.add(cand["id"])
                    quotable.append(cand)
                elif (
                    covers(view) and similarity >= calibration.evidence and _agrees(semantics, cand)
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
            elif (covers(view) or similarity >= calibration.evidence) and _agrees(semantics, cand):
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
            or (c["source"] == "facts" and answers(c, attributes))
        ]
    if not quotable and about_user and not attributes and semantics is not None:
        quotable = _leaning_facts(query, context, semantics, detail)
    if asks_anothers_name(query):  # "whats my bros name": not the user's own
        quotable = [c for c in quotable if not answers(c, ["name"])]
    if not about_user:
        quotable = _across_languages(quotable, language)
    if attributes:
        quotable = holding_first(quotable, attributes, semantics, stating, in_words)
    if about_user:
        quotable = change_first(quotable, query, _about_asked(semantics, attributes))
        if detail is not None and detail.animal:
            quotable = newest_animal_first(quotable, query, detail.held)
    return quotable


def _known_attribute(attributes: Sequence[str], semantics: SemanticEvidence | None) -> bool:
    """Return whether a known attribute besides the user's name is asked, surely or likely."""
    leaning = semantics.leaning if semantics is not None else ()
    return any(a.partition(":")[0] != "name" for a in [*attributes, *leaning])


def _about_asked(
    semantics: SemanticEvidence | None, attributes: Sequence[str]
) -> Callable[[Candidate], bool]:
    """Return whether a recalled message is about the attribute asked, when one is known.

    By its words or its labels; with no attribute asked in words or by meaning, any
    message the gate let in.
    """
    asked = list(attributes) or list(semantics.leaning if semantics is not None else ())
    if not asked:
        return lambda cand: True

    def about(cand: Candidate) -> bool:
        said = statements(cand["content"])
        return any(states(said, a) for a in asked) or (
            semantics is not None and semantics.likelihood(cand, asked) >= semantics.floor
        )

    return about


# A question asking when: a stored fact holds a value, never its date ("Quando é o meu
# casamento?", "the date of my wedding?" are not answered by the partner's name).
_ASKS_WHEN = re.compile(r"\b(when|dates?|years?|what time|quando|datas?|(em )?que ano)\b")


def _leaning_facts(
    query: str, context: Sequence[Candidate], semantics: SemanticEvidence, detail: Detail | None
) -> list[Candidate]:
    """Return the stored facts of the attribute the question leans to, when nothing else answers.

    No word of the question names an attribute ("Minha cidade, qual é?", "What kind of bird
    do I keep?", "quem é o cara com quem eu tô saindo?") and the classifier is not sure
    enough for `asked`; the fact of its likeliest attribute (`SemanticEvidence.leaning`)
    is still better than "I don't know" when it holds the detail asked. Only facts: a
    message's many words would answer a lean by the way.
    """
    if not semantics.leaning or _ASKS_WHEN.search(fold(query)):
        return []
    return [
        c
        for c in context
        if c["source"] == "facts" and answers(c, semantics.leaning) and holds(detail, c)
    ]


def _says_favourite(said: str, attributes: Sequence[str]) -> bool:
    """Return whether the user's words say a favourite when one is asked without its thing.

    "Which meal is my favourite?" or "which dish do I love most?" (the classifier reads a
    favourite) names no thing a favourite's words could be matched by (`states` needs
    it); "ugali and sukuma, my favourite meal" says one in so many words. A favourite asked
    with its thing ("my favourite colour?") still needs that thing named.
    """
    families = [a for a in attributes if a.partition(":")[0] == "favourite"]
    if families != ["favourite"]:
        return False
    return any(a.startswith("favourite") for a in asked_attributes(said))


def _introduces(cand: Candidate, attributes: Sequence[str]) -> bool:
    """Return whether a message introduces the user when their name is asked.

    What is said of the user is read clause by clause, which can break the shape an
    introduction is read by ("Oi, meu rei. Severino, de Cajazeiras."); the extractor reads
    only the user's own name, never a relative's, so the whole message may be read.
    """
    return any(a == "name" for a in attributes) and any(
        f.attribute == "name" for f in extract_facts(cand["content"])
    )


def _holds(detail: Detail | None, cand: Candidate, about_user: bool) -> bool:
    """Return whether `cand` holds the detail asked, for a question about the user or not.

    A question not about the user asks the manual its details ("how many devices?"), and
    the user's memories only a detail of a person ("What's Shivanie's last name?"), not an
    animal's: with no "my", "the fish at home" may be anyone's.
    """
    if about_user:
        return holds(detail, cand)
    if detail is None or detail.animal or cand["source"] == "knowledge_base":
        return True
    return holds(detail, cand)


# Attributes about the people around the user: what a message says of them is the evidence.
_ABOUT_RELATIVES = frozenset({"partner", "family"})


def _shares(specific: QueryTerms | None, view: Candidate, cand: Candidate) -> bool:
    """Return whether `view` shares a word of what is asked whenever `cand` does.

    "Em que importadora eu trabalho?" shares "importadora" and "trabalha" with "meu irmão
    também trabalha com vinho, numa importadora", none with what it says of the user.
    """
    if specific is None or specific.coverage(statements(cand["content"])) == 0:
        return True
    return specific.coverage(view["content"]) > 0


def _said_of_user(cand: Candidate) -> Candidate | None:
    """Return `cand` as evidence about the user: a message by what it says of them, or None.

    The user's messages and the facts kept as one sentence of one (`memory.fact_statements`)
    are read by their clauses about the user; a rule's fact and a manual page as they are.
    """
    if cand["source"] != "conversation" and cand["metadata"].get("origin") != STATEMENT:
        return cand
    own = said_of_user(cand["content"])
    return {**cand, "content": own} if own else None


def _across_languages(quotable: list[Candidate], language: str | None) -> list[Candidate]:
    """Order passages by closeness in meaning when some are in another language than asked.

    The reranker reads shared words, which a question and a page in two languages hardly
    have ("até quando dá pra recuperar uma versão antiga?" and "Version history ... goes back
    7 days"); the multilingual embedding reads meaning across them.
    """
    if not language or all(written_in(c) in (language, None) for c in quotable):
        return quotable
    return sorted(quotable, key=lambda c: -c["scores"].get("vector", 0.0))


def written_in(cand: Candidate) -> str | None:
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
