"""Which of the passages worth quoting for an attribute asked go first: what holds now.

`graph.quotable` decides what may be quoted; this orders it when the question asks an
attribute of the user: its stored facts first, then the messages mainly about it, the newest
statement of a one-value attribute before older ones, and a fact the user since said was left
or moved from after what replaced it (`graph.statement_order`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from graph.semantic_evidence import SemanticEvidence
from graph.statement_order import (
    REPLACED,
    answers,
    asks_now,
    latest_statements_first,
    newest_said_first,
    outdated_home_after,
    retracted_facts_last,
)
from memory.fact_questions import states
from retrievers.types import Candidate
from text.said_of_user import said_of_user
from text.words import fold


def holding_first(
    quotable: list[Candidate],
    attributes: Sequence[str],
    semantics: SemanticEvidence | None,
    stating: set[str],
    in_words: set[str],
) -> list[Candidate]:
    """Return `quotable` with what holds of the asked `attributes` first.

    Args:
        quotable: The passages worth quoting, in the reranker's order.
        attributes: The attributes asked, by the words or the classifier.
        semantics: The classifier's reading of the question and the messages.
        stating: The user's messages that state what is asked.
        in_words: Those of them that state it in the words a rule knows.
    """
    quotable = list(quotable)
    stating = set(stating)
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
    own = {c["id"] for c in quotable if c["source"] == "conversation" and says_own(c, attributes)}
    if own:
        # The newest statement holds among the user's own ("She be teacher" in a newer
        # message says nothing of the user's job).
        stating &= own
    quotable.sort(
        key=lambda c: (
            not (c["source"] == "facts" and answers(c, first)),
            c["id"] not in own,
            c["id"] not in mainly,
            c["id"] in unlikely,
        )
    )
    if all(a.partition(":")[0] in REPLACED for a in attributes):
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
        quotable = latest_statements_first(quotable, stating)
        quotable = retracted_facts_last(quotable)
        if semantics is not None:
            # Sure of a home, not necessarily mainly about it ("agora tô morando em
            # Natal … praia toda semana" reads as a hobby too), in the words of a home.
            sure = max(semantics.floor, semantics.superseding)
            moved = {
                c["id"]
                for c in quotable
                if c["id"] in in_words and semantics.likelihood(c, first) >= sure
            }
            quotable = outdated_home_after(quotable, moved, first)
    return quotable


# The user saying what they are or where they work, opening a clause in the first person
# (folded): "I'm a nurse", "I be auto electrician", "I work at", "sou supervisor", "eu trabalho
# na"; or naming their work outright: "my job is", "o trampo é de". Not where they are from
# ("sou de Loulé"), nor "I'm off up Kinder" (no job named in that clause).
_SELF = re.compile(
    r"^\W*(?:(?:and|but|e|mas|ja|so|pois|well)\s+)?"
    r"(?:(?:i'?m|i am|i be|eu sou|sou)\b(?!\s+(?:from|de|do|da|dos|das|in|em)\b)"
    r"|(?:i work(?:ed)?|i'?ve worked|eu trabalho|trabalho)\b"
    r"|(?P<work>(?:my|o meu|o|meu) (?:job|work|trabalho|trampo|emprego|oficio) (?:is|e)\b))"
)
_CLAUSE = re.compile(r"[,;:.!?()\u2014\u2013\n]|\s-\s")
# An employer named after its preposition: "at Essequibo Pharmacy", "na Rapidão Entregas".
_EMPLOYER = re.compile(
    r"\b(?:at|for|with|na|no|em|pela|pelo|pra|para)\s+(?:the\s+|a\s+|o\s+)?[A-ZÀ-ÖØ-Þ]"
)


def says_own(cand: Candidate, attributes: Sequence[str]) -> bool:
    """Return whether a message says in the first person the user's job or employer asked.

    A clause of what the message says of the user (`text.said_of_user`) opening with "I'm…",
    "sou…", "I work…", "my job is…" and in the words of the job asked, or naming where
    they work when an employer is asked.
    """
    asked = {a.partition(":")[0] for a in attributes} & {"job", "workplace"}
    for clause, said in _first_person(cand["content"]) if asked else ():
        if "job" in asked and (said["work"] or states(clause, "job")):
            return True
        if "workplace" in asked and _EMPLOYER.search(clause):
            return True
    return False


def own_employer(text: str) -> str | None:
    """Return what a message names as where the user works, in the first person, or None.

    "I work at St Mary's, nights mostly" names "St Mary's"; "eu trabalho na Marisqueira do
    Ti Chico" names "Marisqueira do Ti Chico": the rest of the clause from the name on.
    """
    for clause, _ in _first_person(text):
        named = _EMPLOYER.search(clause)
        if named is not None:
            return clause[named.end() - 1 :].strip()
    return None


def _first_person(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    """Yield the clauses of what `text` says of the user that open in the first person."""
    for clause in _CLAUSE.split(said_of_user(text)):
        said = _SELF.match(fold(clause))
        if said is not None:
            yield clause, said


# A name: a capitalised word that does not open a sentence ("now that one's ours, Rusty").
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?!I\b|I['’])[A-ZÀ-ÖØ-Þ][\w'’-]+")


def newest_animal_first(
    quotable: list[Candidate], query: str, held: Callable[[str], bool]
) -> list[Candidate]:
    """Quote first the user's newest message about the animal asked, when asked what it is now.

    "What's our galah called now?" after "Stumpy flew off in the storm… now that one's
    ours, Rusty": an animal is no one-value attribute (a user may keep two dogs), but asked
    "now" the newest message about that kind of animal says which one it is, before older
    messages and a pet fact stored before it, when it names one ("want the vet stuff under
    the new pup's name" does not). `held`: whether a text may be about it.
    """
    if not quotable or not asks_now(query):
        return quotable
    return newest_said_first(quotable, lambda c: held(c["content"]) and _NAME.search(c["content"]))
