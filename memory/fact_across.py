"""Facts told across two messages, or as the answer to what the assistant asked.

People tell a fact in pieces: "we got a puppy!" ... "We called her Keza"; "adotámos uma gata"
... "chama-se Mia". Neither message alone says the user has a puppy called Keza, so the
one-message extractor (`memory.fact_extraction`) finds nothing in either, and a later "what's
my puppy called?" or "is Keza a cat?" finds only half the answer. A reply to a question is
a bare value too: "Nairobi." after "where are you based?", "You asked about my work: loans
officer at Copperbelt Savings". Read alone, neither opens with the user as the subject.

`across` reads a message with the thread's messages before it (pure): a naming said of an
animal ("called her", "his name is", "chama-se", "demos-lhe o nome de") takes its kind from
the latest animal the user said they got or have, within the last few messages; a reply takes
its attribute from the question it answers (the assistant's last question, or the user's own
"you asked what I do:") and is read as the statement it stands for ("I'm a loans officer at
..."), by the same extractor. `facts_across` fetches those earlier messages, only for a
message that may need them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from memory.fact_extraction import ExtractedFact, extract_facts
from memory.fact_words import BREED, PET
from storage.identity import Identity
from storage.schema import CHAT_HISTORY_TABLE
from text import kin
from text.language import detect
from text.names import looks_like_name
from text.words import fold

# The thread's messages a naming or a reply is read with: the turn before it, and a little more
# ("we got a puppy!", "she chewed my slipper already", "we called her Keza").
EARLIER_MESSAGES = 6
_EARLIER = f"""
    SELECT message->>'type', message->'data'->>'content' FROM {CHAT_HISTORY_TABLE}
    WHERE session_id = %(session)s::uuid AND id < (
        SELECT id FROM {CHAT_HISTORY_TABLE}
        WHERE session_id = %(session)s::uuid AND message_id = %(message_id)s)
    ORDER BY id DESC LIMIT %(n)s
"""

# A name given to an animal spoken of by a pronoun (folded text): "we called her", "Latrice
# name him", "his name's", "she's called", "chama-se", "o nome dela é", "demos-lhe o nome de".
_NAMING = re.compile(
    r"\b(?:(?:called|named|name|call|calls|christened|dubbed|nicknamed)\s+(?:him|her|it)"
    r"|(?:his|her|its)\s+name(?:'s|\s+is|\s+will\s+be)|(?:he|she|it)(?:'s|\s+is)\s+(?:called|named)"
    r"|(?:he|she|it)\s+(?:answers|goes)\s+(?:to|by)(?:\s+the\s+name(?:\s+of)?)?"
    r"|chama-se|se\s+chama|(?:ele|ela)\s+chama|(?:chamamos|chamei|chamaram|chamou)-lhe"
    r"|(?:chamamos|chamei|chamaram|chamou|batizamos|batizei|batizaram|batizou|baptizamos"
    r"|baptizei)(?:-[ao]|\s+(?:ele|ela))?\s+de"
    r"|(?:demos|dei|deu|deram|pusemos|pus|pos|puseram|botamos|botei|botou|botaram)(?:-lhe)?"
    r"\s+o\s+nome\s+de|o\s+nome\s+(?:dela|dele)\s+(?:e|vai\s+ser|ficou)(?:\s+de)?)"
    r"\s+(?=\S)"
)
# An animal the user says they got or have, its kind as written: "we got a puppy", "we pick up
# a potcake", "our new kitten", "adotámos uma gata", "temos agora uma cadelinha".
# The animal's words as said: up to two before its kind ("a green iguana", "a coonhound pup").
_KIND = (
    r"(?P<phrase>(?:(?!(?:of|de|do|da|dos|das|from|and|e|that|que)\b)[^\W\d_][\w'-]*\s+){0,2}?"
    rf"(?:{PET}|{BREED}))(?!\s+(?:called|named|chamad[oa]))\b"
)
_YOUNG = (
    r"\s+(?:(?:pet|animal|bicho)(?:\s+now|\s+agora)?,?\s+(?:a|an|um|uma)\s+)?"  # "a pet now, a …"
    r"(?:(?:new|little|tiny|baby|rescue|young|wee|small|stray|nov[oa]|pequen[oa])\s+)*"
)
_GOT = re.compile(
    r"\b(?:(?:we|i)(?:'ve|\s+have|'d|\s+had|'re|\s+are|'m|\s+am)?\s+(?:(?:just|finally|also|now"
    r"|done|went\s+and)\s+)?(?:got|get|getting|gotten|adopted|adopt|adopting|rescued|rescue"
    r"|picked\s+up|pick\s+up|brought(?:\s+home)?|bring(?:\s+home)?|took\s+in|take\s+in|bought"
    r"|found|welcomed|fostering|fostered|inherited|have|has)"
    r"\s+(?:ourselves\s+|myself\s+|home\s+)?(?:a|an|one)"
    r"|(?:gave|got|bought|brought|found)\s+(?:us|me)\s+(?:a|an)|(?:there'?s|there\s+is)\s+(?:a|an)"
    r"|(?:eu\s+|nos\s+|a\s+gente\s+)?(?:adotamos|adotei|adoptamos|adoptei|ganhamos|ganhei"
    r"|compramos|comprei|trouxemos|trouxe|resgatamos|resgatei|recolhemos|acolhemos|acolhi"
    r"|apanhamos|pegamos|peguei|arranjamos|arranjei|temos|tenho|herdamos|herdei)"
    r"(?:\s+agora)?\s+(?:um|uma)"
    r"|a\s+gente\s+(?:adotou|adoptou|ganhou|comprou|trouxe|resgatou|pegou|arranjou|acolheu|tem)"
    r"(?:\s+agora)?\s+(?:um|uma)"
    r"|(?:deram|deu|compraram|comprou|trouxeram|trouxe)-(?:nos|me)\s+(?:um|uma)"
    r"|(?:nos|me)\s+(?:deram|deu|comprou|trouxe)\s+(?:um|uma)"
    r"|(?:our|my|o\s+nosso|a\s+nossa|o\s+meu|a\s+minha|nosso|nossa|meu|minha))" + _YOUNG + _KIND
)
# ...or that came to them: "a kitten showed up", "apareceu-nos uma cadela", "chegou um cabrito".
_CAME = (
    re.compile(
        r"\b(?:a|an)" + _YOUNG + _KIND + r"\s+(?:showed\s+up|turned\s+up|arrived"
        r"|followed\s+(?:me|us)\s+home|moved\s+in)"
    ),
    re.compile(
        r"\b(?:apareceu|chegou|veio)(?:-nos|-me)?\s+(?:(?:ca|la|aqui)\s+(?:a|em)\s+casa\s+)?"
        r"(?:um|uma)" + _YOUNG + _KIND
    ),
)
# ...or that someone got, for the household: the user's partner or children ("my husband
# found a stray", "o mê marido arranjou um cão"), for the family ("trouxe uma jumenta pras
# crianças"), or named by the user and theirs ("... Pusemos-lhe o nome de Chicharro").
_THEIRS = re.compile(
    r"\b(?:got|brought|bought|found|adopted|rescued|picked\s+up|took\s+in|arranjou|trouxe|achou"
    r"|comprou|adotou|adoptou|ganhou|encontrou|resgatou|apanhou|pegou)\s+(?:home\s+)?(?:a|an|um|uma)"
    + _YOUNG
    + _KIND
)
_HOUSEHOLD = re.compile(
    rf"\b(?:{kin.PARTNER}|{kin.CHILDREN}|kids|criancas|miudos|meninos|buzicos)(?:\s+[^\W\d_]+)?\s+$"
)
_FOR_US = re.compile(
    r"\b(?:for\s+(?:us|me|the\s+(?:kids|children|family))|pra\s+gente|para\s+(?:nos|mim)"
    r"|pr[ao]s\s+(?:criancas|meninos|miudos)|para\s+(?:as\s+criancas|os\s+(?:meninos|miudos)))\b"
)
_WE_NAMED = re.compile(
    r"\b(?:we|a\s+gente|nos)\s+$|^(?:pusemos|demos|chamamos|batizamos|baptizamos|botamos)"
)
# A Portuguese breed after its kind, on the message as written: "cão de fila de São Miguel",
# "cão de água", "gata de rua" (not "cão da quinta do meu tio").
_BREED_AFTER = re.compile(
    r"\s+de\s+[^\W\d_]+(?:\s+d[eoa]s?\s+[A-Z\u00c0-\u00de]\w+(?:\s+[A-Z\u00c0-\u00de]\w+)?)?"
)
_NAME_WORD = re.compile(r"[^\W\d_][\w'-]*")


def _pet_named(message: str, before: Sequence[str]) -> ExtractedFact | None:
    """Return the pet `message` names by a pronoun, its kind told in `before` (newest last)."""
    folded = fold(message)
    naming = _NAMING.search(folded)
    if naming is None:
        return None
    words = []
    for m in _NAME_WORD.finditer(message, naming.end()):
        if message[naming.end() if not words else words[-1].end() : m.start()].strip():
            break  # punctuation ends the name
        if len(words) == 3 or not m.group()[:1].isupper():
            break
        words.append(m)
    value = " ".join(m.group() for m in words)
    if not value or not looks_like_name(value):
        return None
    # The animal is the latest one got before the naming: earlier in this message, or in the
    # messages before it.
    ours = _WE_NAMED.search(folded[max(0, naming.start() - 12) : naming.start()]) or (
        _WE_NAMED.match(folded, naming.start())
    )
    for text in (message[: naming.start()], *reversed(before)):
        said = fold(text)
        got = [m for found in (_GOT, *_CAME) for m in found.finditer(said)]
        got += [
            m
            for m in _THEIRS.finditer(said)
            if ours or _FOR_US.search(said) or _HOUSEHOLD.search(said, 0, m.start())
        ]
        if got:
            m = max(got, key=lambda m: m.start())
            end = m.end("phrase")
            if breed := _BREED_AFTER.match(text, end):  # "um cão de fila de São Miguel"
                end = breed.end()
            kind = " ".join(text[m.start("phrase") : end].split())
            portuguese = detect(f"{text} {message}") == "pt"
            said = (
                f"Animal de estimação do usuário ({kind}): {value}."
                if portuguese
                else f"The user has a {kind} called {value}."
            )
            return ExtractedFact("pet", value, said, False)
    return None


# The user quoting the assistant's question before answering it: "you asked what I do:", "to
# your question about my work —", "Tu perguntou o que eu faço:", "perguntaste onde moro".
_QUOTED_QUESTION = re.compile(
    r"\b(?:you\s+(?:asked|wanted\s+to\s+know)(?:\s+me)?|(?:to|about|as\s+for|re)\s+your\s+question"
    r"|(?:to\s+)?answer(?:ing)?\s+(?:your\s+question|what\s+you\s+asked)"
    r"|(?:voce|tu|o\s+senhor|a\s+senhora)\s+(?:me\s+)?(?:perguntou|quis\s+saber|queria\s+saber)"
    r"|perguntaste|(?:quanto|sobre)\s+a\s+(?:sua|tua)\s+pergunta"
    r"|respondendo\s+(?:a|à)\s+(?:sua|tua)\s+pergunta)"
    r"(?P<question>[^:\u2014\u2013.!?;]{0,60}?)"
    r"(?:\s*[:\u2014\u2013]\s*|\s+-\s+|,\s*|\s+(?=(?:i'm|im|i\s+am|eu\s+sou)\b))"
)
# What a question asks, by attribute, and the statement a bare answer to it stands for.
_ASKS = (
    (
        "name",
        re.compile(
            r"\b(?:(?:your|my)\s+name|what\s+(?:should|shall|can|do)\s+i\s+call\s+you"
            r"|como\s+(?:te\s+chamas|(?:voce\s+|o\s+senhor\s+|a\s+senhora\s+)?se\s+chama"
            r"|(?:te|o|a)\s+(?:posso\s+)?chamo)|(?:seu|teu|meu)\s+nome)\b"
        ),
        ("My name is {}", "O meu nome é {}"),
    ),
    (
        "workplace",
        re.compile(
            r"\b(?:who\s+do\s+(?:you|i)\s+work\s+for|where\s+do\s+(?:you|i)\s+work"
            r"|(?:your|my)\s+(?:employer|company)|onde\s+(?:(?:voce|tu|eu)\s+)?trabalh\w*"
            r"|para\s+quem\s+(?:voce\s+|tu\s+|eu\s+)?trabalh\w*|(?:sua|tua|minha)\s+empresa)\b"
        ),
        ("I work at {}", "Trabalho em {}"),
    ),
    (
        "job",
        re.compile(
            r"\b(?:what\s+(?:do\s+|did\s+)?(?:you|i)\s+do\b(?!\s+(?:with|about|if|when))"
            r"|(?:your|my)\s+(?:work|job|profession|occupation|trade|line\s+of\s+work)"
            r"|for\s+(?:a\s+)?living|o\s+que\s+(?:(?:voce|tu|eu)\s+)?(?:faco|fazes|faz)\b"
            r"|(?:seu|sua|teu|tua|meu|minha)\s+(?:trabalho|profissao|oficio|emprego)"
            r"|em\s+que\s+(?:e\s+que\s+)?(?:(?:voce|tu|eu)\s+)?trabalh\w*)"
        ),
        ("I'm {}", "Sou {}"),
    ),
    (
        "home",
        re.compile(
            r"\b(?:where\s+(?:do\s+)?(?:you|i)\s+(?:live|stay)|where\s+(?:are\s+you|am\s+i)\s+"
            r"(?:based|living|staying)|where\s+(?:you|i)(?:'re|\s+are|'m|\s+am)\s+based"
            r"|(?:your|my)\s+(?:city|town|home\s+town)"
            r"|onde\s+(?:e\s+que\s+)?(?:(?:voce|tu|eu)\s+)?(?:mora|moras|moro|vive|vives|vivo)"
            r"|(?:sua|tua|minha)\s+cidade)\b"
        ),
        ("I live in {}", "Moro em {}"),
    ),
)
# A bare reply: a few words, no question ("Nairobi.", "loans officer at Copperbelt").
_BARE_WORDS = 8
_NOT_VALUES = frozenset(
    "yes yeah yep no nope ok okay sure thanks thank cheers sim nao ok obrigado obrigada claro "
    "talvez maybe why porque".split()
)
_ARTICLE = re.compile(r"(?:a|an|the|um|uma|o|a)\s", re.IGNORECASE)


def _asked(question: str) -> tuple[str, tuple[str, str]] | None:
    """Return the attribute `question` asks for and its statements (English, Portuguese)."""
    folded = fold(question)
    for attribute, asks, said in _ASKS:
        if asks.search(folded):
            return attribute, said
    return None


def _answer(question: str, reply: str, portuguese: bool) -> list[ExtractedFact]:
    """Return the facts of `reply` read as the answer to `question`: its asked attribute only.

    A reply that is a statement of its own ("...: sou carpinteira") gives what it states.
    """
    reply = reply.strip(" \t\n-\u2014\u2013:,")
    if not reply or fold(reply.split()[0]).strip(".,!") in _NOT_VALUES:
        return []
    asked = _asked(question)
    found = extract_facts(reply[:1].upper() + reply[1:])  # "sou pedreiro": "Sou pedreiro"
    if asked is None:
        return found
    attribute, (english, portuguese_said) = asked
    if not found:
        if attribute == "job" and not portuguese and not _ARTICLE.match(reply):
            english = "I'm a {}"
        found = extract_facts((portuguese_said if portuguese else english).format(reply))
    # Its own attribute, and where a job is done ("loans officer at Copperbelt Savings").
    keep = {attribute, "workplace"} if attribute == "job" else {attribute}
    return [fact for fact in found if fact.attribute in keep]


def _answers(message: str, before: Sequence[tuple[str, str]]) -> list[ExtractedFact]:
    """Return the facts `message` gives as the answer to a question, quoted or just asked."""
    portuguese = detect(message) == "pt"
    folded = fold(message)
    if quoted := _QUOTED_QUESTION.search(folded):
        portuguese = portuguese or quoted.group().startswith(("voce", "tu", "o ", "a ", "pergunt"))
        return _answer(quoted.group(), message[quoted.end() :], portuguese)
    if not before or before[-1][0] != "ai" or "?" in message:
        return []
    if len(message.split()) > _BARE_WORDS:
        return []
    asked = [s for s in re.split(r"(?<=[.!?])\s+", before[-1][1]) if s.rstrip().endswith("?")]
    if not asked:
        return []
    question = asked[-1]
    portuguese = detect(question) == "pt"
    # The answer is the reply's first sentence ("Nairobi. And you?" gives Nairobi).
    reply = re.split(r"[.!\n]", message, maxsplit=1)[0]
    return _answer(question, reply, portuguese)


def across(message: str, before: Sequence[tuple[str, str]]) -> list[ExtractedFact]:
    """Return the facts `message` tells with what came before it in its thread.

    Args:
        message: The user's message.
        before: The thread's messages before it, oldest first, as (role, text), role "human"
            or "ai".

    Returns:
        The pet it names whose kind was told before ("we got a puppy" ... "we called her
        Keza"), and what it answers of the assistant's last question or of a question it
        quotes ("You asked what I do: ...").
    """
    users = [text for role, text in before if role == "human"]
    pet = _pet_named(message, users[-3:])
    return [*([pet] if pet else []), *_answers(message, before)]


def may_need_earlier(message: str) -> bool:
    """Return whether `message` may tell a fact only with the thread's earlier messages."""
    return _NAMING.search(fold(message)) is not None or len(message.split()) <= _BARE_WORDS


async def facts_across(
    conn: AsyncConnection, ident: Identity, message: str, message_id: str
) -> list[ExtractedFact]:
    """Return `across` for a stored user message, reading its thread's earlier messages."""
    before: list[tuple[str, str]] = []
    if may_need_earlier(message):
        cur = conn.cursor(row_factory=tuple_row)
        params = {"session": ident.session_id, "message_id": message_id, "n": EARLIER_MESSAGES}
        rows = await (await cur.execute(_EARLIER, params)).fetchall()
        before = [(role, text) for role, text in reversed(rows) if text]
    return across(message, before)
