"""Wishes, plans and conditions: what a user says that states nothing they are or have (pure).

"If I ever get a dog I'll name it Milo", "I'd love to live by the sea", "se um dia eu tiver
um gato…", "quem me dera morar em Lisboa", "my daughter wants a puppy" name a dog, a home, a
cat that do not exist. One detector for every reader: the answer gate's clauses of the user
(`text.said_of_user`), the offline fact rules (`memory.fact_extraction`), the facts kept from
labelled sentences (`memory.fact_statements`) and the names told in apposition
(`memory.fact_appositions`). Kept apart, they drifted: "I'd
love to" was a wish to the gate and a fact to the statements, "one day" the other way round.

Not any condition: "if I'm at the Acme office, sync fails" and "Skye, my collie, would climb
every hill if I let her" state the employer and the dog. A bare condition ("if", "se",
"caso") makes a sentence no fact only opening it, and not before a state the user is in
("Fim de semana vou pro kitesurf, se o vento ajudar" is a plan the user has); the answer
gate, which keeps clauses rather than facts, reads only wishes (`opens_wish`).
All patterns read accent-folded text.
"""

from __future__ import annotations

import re

# Fillers a clause may open with before its wish ("and if we ever…", "e se um dia…").
OPENING = r"(?:(?:and|so|well|also|oh|ah|e|entao|tambem|olha|enfim|bem)\s+)*"
# A bare condition, not before what the user is or where they are ("if I'm at the Acme office");
# "suppose"/"imagine" open a make-believe whatever follows.
_CONDITION = (
    r"(?:suppose|imagine|imagina|(?:if|unless|se|caso)\b"
    r"(?!\s+(?:i'?m|i\s+am|we'?re|we\s+are|my|our|(?:eu\s+)?(?:estou|to|tou|sou|moro|trabalho)"
    r"|(?:o|a)\s+(?:meu|minha|nosso|nossa))\b))\b"
)
# A wish or a plan wherever it stands: "someday", "i wish", "quem me dera", a want of
# something not had ("my daughter wants a puppy", "queremos um gato").
_WISH = (
    r"(?:(?:if|when|once)\s+(?:i|we)\s+(?:ever|one\s+day|someday|get|got|had|adopt)"
    r"|someday|some\s+day|one\s+day|i'?d\s+love|i\s+would\s+love"
    r"|i\s+wish|wish\s+i|dreaming|daydream|quem\s+me\s+dera|gostaria|adoraria|um\s+dia"
    r"|algum\s+dia|quando\s+eu\s+tiver|wants?\s+(?:a|an)|(?:quer|queria|queremos)\s+(?:um|uma)"
    r"|se\s+(?:eu\s+|a\s+gente\s+)?(?:um\s+dia|algum\s+dia|tiver|tivesse|for|fosse|puder"
    r"|pudesse|ganhar|ganhasse|houver|adotar))\b"
)
# A preference said as a wish ("I'd like them in Markdown, I much prefer plain Markdown",
# "I'd rather have tea"): a sentence holding one states no fact of its own, but the clauses
# after it are still the user's (on the dev set, reading it as a daydream lost a preference).
_LIKING = r"(?:i'?d\s+(?:like|rather)|i\s+would\s+like)\b"
# A want of something not had, said with its subject: "i want a puppy sooo bad", "a Dani quer
# um cão", "eu queria mesmo era um barco". Not a wish of the statements' (`wishful`): "Everton
# wants a husky" would then hide a husky the user has named in the same sentence.
_WANTS = (
    r"(?:(?:o|a|the)\s+)?[\w'’]+\s+(?:(?:so|really|still|also|tambem|ainda)\s+)?"
    r"(?:wants?|quer|queria|queremos|querem)\s+(?:mesmo\s+)?(?:era\s+)?(?:a|an|um|uma)\b"
)
_OPENS = re.compile(rf"\W*{OPENING}(?:{_WISH}|{_WANTS})")
_OPENS_EITHER = re.compile(rf"\W*{OPENING}(?:{_CONDITION}|{_WISH})")
_ANYWHERE = re.compile(rf"^\W*{_CONDITION}|\b{_WISH}|\b{_LIKING}")
# Where a wish ends and a fact may start: "…vai se chamar Sardinha, mas por enquanto só
# tenho o Tufão", "I'd love a dog one day, though right now it's just Mochi and me".
ENDS = r"but|though|mas|porem|so que"


def opens_wish(folded: str) -> bool:
    """Return whether a folded clause opens as a wish or a plan (not a bare condition).

    What the gate reads as the user's (`text.said_of_user`): a bare condition leaves the
    clauses after it the user's ("Se o tempo deixar, vou fazer parapente no sábado" is a
    hobby; on dev6, reading it as a wish lost it), and so does a preference said as a wish.
    """
    return _OPENS.match(folded) is not None


def opens_hypothetical(folded: str) -> bool:
    """Return whether a folded sentence opens as a wish, a plan or a bare condition.

    What the offline fact rules skip whole (`memory.fact_extraction`): "if we ever move to
    Porto…", "se um dia eu tiver um cão…", "someday I'll live by the sea". A condition on
    the user's own state states it ("if I'm at the Acme office, sync fails").
    """
    return _OPENS_EITHER.match(folded) is not None


def wishful(folded: str) -> bool:
    """Return whether a folded sentence states a wish, a plan or (opening it) a condition."""
    return _ANYWHERE.search(folded) is not None
