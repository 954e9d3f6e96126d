"""First-person questions that ask about the product, not about the user.

"Which cards can I pay with?" and "I got the student price on Plus — does it renew at the
same price?" say "I", yet only the manual answers them: what the user may do with the
product, or what the product does to them. Read as about the user, they were answered
from memory or with "you haven't told me". The how-to openers ("how do I…", "can I…") are
`text.acts.asks_manual`'s; these are the forms it misses.
"""

from __future__ import annotations

import re

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


def asks_of_the_product(question: str) -> bool:
    """Return whether a first-person `question` asks what the product allows or does."""
    folded = fold(question)
    if _TOLD.search(folded) or _OWN_LIMIT.search(folded):
        return False
    return bool(_WHAT_I_CAN.search(folded) or _THEN_ASKS_OF_IT.search(folded))
