"""What a message does: asks, states, asks about the assistant's words or the user's (pure).

English and Portuguese, on accent-folded text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from text.words import fold, sentences

_QUESTION_OPENERS = tuple(
    f"{opener} "
    for opener in (
        "what when where who whom whose which why how do does did is are am was were can could "
        "should would will tell show list explain describe remind qual quais quando onde quem "
        "porque como quanto quantos quantas sera pode podes lembra lembras lembrate diz diga "
        "conta explica explique mostra mostre"
    ).split()
) + ("o que ", "por que ", "e que ", "what's ", "whats ", "where's ", "who's ")
# The question is about what the assistant itself said ("what did you recommend?").
_ABOUT_ASSISTANT = re.compile(
    r"\b(what (did|have) you (just )?(say|said|tell|told|recommend|suggest|answer|reply)"
    r"|you (said|told me|recommended|suggested|answered|replied)|your (answer|reply|advice)"
    r"|o que (voce|tu) (me )?(disse|disseste|falou|recomendou|sugeriu|respondeu)"
    r"|(voce|tu) (me )?(disse|disseste|falou|recomendou|sugeriu)|(sua|tua) resposta)\b"
)
# The question is about what the user asked before ("what did I ask you about…?").
_ABOUT_OWN_QUESTIONS = re.compile(
    r"\b(what did i ask|i asked (you )?(about|before)|my (last |previous )?question"
    r"|o que (eu )?(te |lhe )?perguntei|(minha|a minha) (ultima |anterior )?pergunta)\b"
)


# A clause opening with a subordinating "when" ("When I moved to Porto, …", "Quando me mudei
# pra Curitiba, …", "Quando saio da escola já…") states: without a question mark it asks only
# when a verb comes right after the word ("when did I…", "quando é que…", "quando foi…").
_SUBORDINATE = re.compile(
    r"(?:when|whenever|while|quando|sempre que|enquanto) "
    r"(?!(?:do|does|did|is|are|am|was|were|will|would|can|could|should|have|has|had|e|foi|era"
    r"|sera|vai|vou)\b)"
)


def _opens_question(clause: str) -> bool:
    """Return whether `clause` opens with a question word and is not a subordinate clause."""
    folded = f"{fold(clause).strip()} "
    if not folded.startswith(_QUESTION_OPENERS):
        return False
    return "?" in clause or not _SUBORDINATE.match(folded)


def is_question(text: str) -> bool:
    """Return whether `text` asks something (a question mark or a leading question word).

    A leading "when"/"quando" followed by its subject opens a statement ("When I moved to
    Porto I…"), not a question.
    """
    return "?" in text or _opens_question(text)


def asks_about_assistant(text: str) -> bool:
    """Return whether `text` asks what the assistant said, told, recommended or answered."""
    return bool(_ABOUT_ASSISTANT.search(fold(text)))


def asks_about_own_questions(text: str) -> bool:
    """Return whether `text` asks what the user asked before."""
    return bool(_ABOUT_OWN_QUESTIONS.search(fold(text)))


# "Our cat", "a gente" are the user too. Portuguese drops the pronoun ("quantos irmãos
# tenho?"): first-person verbs say it.
_FIRST_PERSON = re.compile(
    r"\b(i|i'm|im|me|my|mine|myself|eu|meu|minha|meus|minhas|mim|comigo"
    r"|we|our|ours|nosso|nossa|nossos|nossas|a gente"
    r"|(tenho|tinha)(?! (que|de)\b)|moro|morava|vivo|vivia|gosto|prefiro|fiz|faco anos|nasci"
    r"|pratico|chamo|bebo|torco|sofro)\b"
)
# How-to questions mention the user too ("how do I export my notes?") but ask the manual;
# not how the user has their things ("how do I take my coffee?", "how do I like my eggs?")
# nor how long they have done something ("how long have I lived in Leeds?").
_HOW_TO = re.compile(
    r"^\W*(how (do|can|should|would|could|to)\b(?! i (usually |normally )?(take|like|have|drink"
    r"|eat|prefer|want|order) (my|me|it|them)\b)|how much\b"
    r"|how long\b(?! (have|had) (i|we) (been|lived|worked|had|known|played|done|owned|kept)\b"
    r"| did (i|we) (live|work|have|know|play|own)\b)|(can|could|should|may) (i|we)\b"
    r"|is it possible|is there (a|any) (way|option|limit)|what happens|why\b"
    r"|what (should|do|can) i do (if|when|to|about)|o que (e que )?(eu )?(faco|devo fazer)"
    r" (se|quando|para|pra)"
    r"|como (e que )?(eu )?(posso|faco|consigo)"
    r"|como (se )?faz|(eu )?(posso|consigo)\b|da para|e possivel|quanto (custa|tempo)"
    r"|ha (algum|como))"
)


# Trouble with the product, asked in the first person ("my codes keep getting refused —
# why?", "o app não abre no meu telemóvel"): the manual answers, not the user's past.
_TROUBLE = re.compile(
    r"\b(why|how come|what should i do|keeps? (getting|failing|crashing|saying|showing|asking)"
    r"|(won'?t|doesn'?t|don'?t|isn'?t|can'?t|cannot) (work|sync|load|open|log|sign|connect|save"
    r"|show|let|accept|find|see|get)\w*|not (working|syncing|loading)|error|fail\w*|refus\w*"
    r"|crash\w*|stuck|broken|por ?que|porque|nao (funciona|abre|sincroniza|carrega|consigo|deixa"
    r"|aparece|aceita)|deu erro|da erro|erro|falh\w*|recus\w*|travou|trava)\b"
)


def asks_manual(text: str) -> bool:
    """Return whether `text` asks how to do something or why something fails (the manual)."""
    folded = fold(text)
    return bool(_HOW_TO.search(folded) or _TROUBLE.search(folded))


def is_about_user(text: str) -> bool:
    """Return whether a question asks about the user themselves ("where do I live?").

    First person, and not a how-to ("how do I…", "can I…", "como faço…"), which asks
    the knowledge base even when it says "my".
    """
    return bool(_FIRST_PERSON.search(fold(text))) and not asks_manual(text)


# Where a message's clauses end: sentence punctuation, a semicolon, a dash between words
# ("I'm coeliac — is there a way to tag recipes?" states, then asks).
_CLAUSE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+|\s+[-\u2013\u2014]\s+|[\u2013\u2014]")


def _stated_part(clause: str) -> str:
    """Return what `clause` states before it asks ("I work at X, do you…?": "I work at X")."""
    if not is_question(clause):
        return clause
    parts = clause.split(", ")
    for i, part in enumerate(parts):
        if "?" in part or _opens_question(part):
            return ", ".join(parts[:i])
    return ""


@lru_cache(maxsize=16384)
def statements(text: str) -> str:
    """Return the clauses of `text` that state rather than ask, joined.

    "Hi! I'm Priya. Can I export a notebook?" states "Hi! I'm Priya."; "I'm coeliac — is
    there a way to tag recipes?" states "I'm coeliac"; a message that only asks states nothing.
    Cached by text, as `text.words` caches terms: every question's retrieval asks it of each
    of the user's recalled messages, which are mostly the same few dozen turn after turn.
    """
    kept = [_stated_part(c.strip()) for c in _CLAUSE_BREAK.split(text) if c and c.strip()]
    return " ".join(k for k in kept if k)


@lru_cache(maxsize=16384)
def asking_share(text: str) -> float:
    """Return the share of `text` (by characters) spent asking rather than stating.

    "Where do I live?" is 1.0; "I moved to Porto last week. Have you been?" about 0.3.
    """
    if not is_question(text):
        return 0.0
    total = len(text.strip()) or 1
    return max(0.0, min(1.0, 1.0 - len(statements(text)) / total))


# Sentences this short say nothing by themselves ("ok", "haha").
MIN_CHARS = 12

# Where a long sentence changes subject: "I'm at St Mary's, so sync matters, anyway".
_SUBJECT_CHANGE = re.compile(
    r",\s+|;\s+|\s+[-\u2013\u2014]+\s+|\s*[()]\s*|\s+(?:so|but|and then|mas|então|por isso)\s+"
)


# Someone else's things: sentence embeddings read "my friend's dog" as a pet of the user's.
_SOMEONE_ELSES = re.compile(
    r"\b(?:my|our)\s+(?:\w+\s+)?(?:friend|mate|colleague|co-?worker|neighbou?r|boss|manager"
    r"|cousin|flatmate|roommate|client|teacher)s?'s?\b"
    r"|\bd[oa]s?\s+(?:meu|minha|meus|minhas|nosso|nossa)\s+(?:\w+\s+)?(?:amig|colega|vizinh"
    r"|chefe|prim|cliente|professor)",
    re.IGNORECASE,
)


def statement_sentences(text: str) -> list[str]:
    """Return the sentences of `text` that state something, and their clauses when long.

    A sentence that says three things is read whole and clause by clause: the classifier
    spreads its belief over the three when it reads them together. Clauses about someone
    else's things ("my friend's dog is a beagle") are left out.
    """
    out: list[str] = []
    for sentence in sentences(statements(text)):
        if len(sentence) < MIN_CHARS:
            continue
        parts = (c.strip() for c in _SUBJECT_CHANGE.split(sentence) if c)
        clauses = [c for c in parts if len(c) >= MIN_CHARS]
        mine = [c for c in clauses if not _SOMEONE_ELSES.search(c)]
        if len(mine) == len(clauses):
            out.append(sentence)
        if len(clauses) > 1 or len(mine) < len(clauses):
            out.extend(mine)
    return list(dict.fromkeys(out))
