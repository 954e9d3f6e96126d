"""First-person questions that ask about the product, not about the user.

"Which cards can I pay with?" and "I got the student price on Plus — does it renew at the
same price?" say "I", yet only the manual answers them: what the user may do with the
product, or what the product does to them. Read as about the user, they were answered
from memory or with "you haven't told me". The how-to openers ("how do I…", "can I…") are
`text.acts.asks_manual`'s; these are the forms it misses. So are questions whose "I" only
sets the scene ("Does the spell checker cope when I switch languages?", "Se eu passar para
um plano mais barato, a partir de quando vale a mudança?") or asks what the product requires
("Do I have to tell it which language a note is in?"): session 13 found six knowledge-base
questions of dev7, dev9 and held-out answered "you haven't told me" that way.
"""

from __future__ import annotations

import re

from text.acts import is_about_user
from text.words import fold

# What the user may do, asked by a question word: "which cards can I pay with?", "what
# formats can we export to?", "com que cartões posso pagar?", "onde é que eu consigo ver…?".
_WHAT_I_CAN = re.compile(
    r"^\W*(?:(?:which|what|where|when)\b(?:\s+\w+){0,3}\s+(?:can|could|may) (?:i|we)\b"
    r"|(?:com |em |de )?(?:que|quais|qual|onde|quando)\b(?:\s+\w+){0,3}?"
    r"\s+(?:(?:e que )?(?:eu )?(?:posso|consigo)|podemos|conseguimos)\b)"
)
# Told something, then asked what "it" does: "I got the student price — does it renew at
# the same price?", "I'm on Plus. Will it still sync offline?".
_THEN_ASKS_OF_IT = re.compile(
    r"(?:[.!?;]\s+|\s[-\u2013\u2014]\s*|\u2014\s*)"
    r"(?:and |but |so )?(?:does|do|will|would|is|can|could) (?:it|that|this|they)\b[^.!?]*\?\s*$"
)


# What the user told is asked back, whatever else the question says ("where can I find the
# recipe I told you about?").
_TOLD = re.compile(r"\b(?:told|said|mentioned|remember|disse|contei|falei|mencionei|lembr\w*)\b")


# A limit or habit of the user's own: "what can't I eat?", "what flavour can I never say no
# to?", "qual comida eu não posso comer?".
_OWN_LIMIT = re.compile(r"\b(?:never|always|not|nao|nunca|sempre|jamais)\b|n't\b")


# What the product requires of the user: "do I have to re-verify?", "preciso de dizer…?".
_REQUIRED = re.compile(
    r"\b(?:do|does|will|would) (?:i|we) (?:have|need) to\b|\bmust (?:i|we)\b"
    r"|\b(?:preciso|precisamos|tenho (?:de|que)|temos (?:de|que))\b"
)
# A clause that only sets the scene, "if"/"when" and the user doing something, opening the
# question before a comma ("When I set a reminder, how does it reach me?") or closing it
# ("…cope when I switch languages?"). A "when" followed by an auxiliary asks ("when did I…").
_SCENE = r"(?:if|when|whenever|once|se|quando|caso|sempre que|assim que)"
_NOT_ASKING = r"(?!(?:do|does|did|is|are|am|was|were|will|would|e|foi|era|sera|vai|vou)\b)"
_OPENING_SCENE = re.compile(rf"^\W*{_SCENE} {_NOT_ASKING}[^,?]*,\s*")
# Not after a verb of knowing: "do you know when I started?" asks the user's past.
_CLOSING_SCENE = re.compile(
    rf"(?<!know )(?<!remember )(?<!recall )(?<!sabe )(?<!sabes )(?<!lembra )(?<!lembras )"
    rf"\b{_SCENE} (?:i|we|eu|a gente|nos)\b[^,]*$"
)
# After the scene, something else is the subject: "how does it reach me?", "will the
# reminders follow me?".
_IT_DOES = re.compile(
    r"^\W*(?:(?:how|when|where|why|what)\s+)?(?:does|do|will|would|is|are|can|could)"
    r" (?:it|that|this|they|the \w+)\b"
)


def _main_clause(folded: str) -> str:
    """Return `folded` without the clauses that only set the scene."""
    return _CLOSING_SCENE.sub("", _OPENING_SCENE.sub("", folded)).strip()


def asks_of_the_product(question: str) -> bool:
    """Return whether a first-person `question` asks what the product allows, does or requires.

    Also when its first person only sets the scene in an "if"/"when" clause and the rest
    asks of something else ("Se eu mudar de plano, quando vale a mudança?").
    """
    folded = fold(question)
    if _TOLD.search(folded) or _OWN_LIMIT.search(folded):
        return False
    if _WHAT_I_CAN.search(folded) or _THEN_ASKS_OF_IT.search(folded):
        return True
    last = re.split(r"(?<=[.!?])\s+", folded.strip())[-1]
    if _REQUIRED.search(last):
        return True
    main = _main_clause(last)
    if main == last or not main:
        return False
    return bool(_IT_DOES.search(main)) or not is_about_user(main)
