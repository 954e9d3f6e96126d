"""How users say who they are without "my name is": signed, greeted, from somewhere, corrected.

The clause rules (`memory/fact_rules.py`) read "I'm Priya" and "Orla here". People also
introduce themselves as a line of a letter or a chat: a name signed in passing ("Callum, by
the way"), alone after a greeting ("Boas. Álvaro, de Bragança."), with the place they write
from ("Stelios from Cyprus.", "Aqui é Edivânia, de Campina Grande", "Cá a Marta, do Barreiro",
"Chris speaking, from Derby"), signed off at the end ("— Tom", "Cheers, Priya", "Shauna x"),
dictated or typed in lower case ("this is tatenda speaking", "hiii its yetunde") or set
right when the assistant got it wrong ("it's Ana, not Anna"). Each gives the user's name; a
place said beside the name ("… from Galway here", "…, de Bragança") gives their home.

A place alone is no name: "Ireland here", "Greetings from Lisbon." and "It's Lisbon, not
Porto" give nothing (`text.names`, and a correction must read as a respelling).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher

from text.kin import PEOPLE
from text.names import looks_like_name
from text.words import STOPWORDS, fold

_WORD = r"[A-Z\u00c0-\u00dd][\w'\u2019-]+"
_PLACE = rf"{_WORD}(?:\s+(?:(?:de|da|do|dos|das)\s+)?{_WORD})*"
_PERSON = rf"{_WORD}(?:\s+{_WORD})?"
_FROM = r"\s+(?i:from|de|do|da|dos|das)\s+"
_NEAR = rf"(?:\s+(?i:l[aá]|c[aá]|aqui))?{_FROM}"  # "Aqui é o Jefferson, lá do Jardim Ângela"

# A name signed in passing: "Callum, by the way", "Aroha, btw!", "Ah, Luana, prazer".
_SIGNED_NAME = re.compile(
    r"(?:^|[.!?;,:\u2013\u2014]\s*|\b(?:ah|oh|and|e)\s+)"
    rf"(?P<value>{_PERSON})"
    r"\s*[,!]?\s*(?:by the way|btw|for the record|if you need it|in case you need it|if it helps"
    r"|prazer|muito prazer|caso precise|caso interesse|se precisar(?:es)?|a\s+prop[oó]sito"
    r"|j[aá]\s+agora|ao\s+(?:seu|teu|vosso)\s+dispor|[aà]s\s+(?:suas\s+)?ordens)\b"
)
# A name opening a message, after a greeting and perhaps "it's" / "é a" / "fala o", standing
# alone up to a stop, a comma, a dash or "here": "Yo. Jake. I'm a firefighter", "Afternoon.
# Tom Fraser. Never used…", "G'day! Jess van der Berg here — …", "Boas. Diogo, chef de
# cozinha", "Olá outra vez, é a Carolina Sá da Bandeira.", "Oi, fala o Bené, de Natal". The
# greeting is any of the ways a message opens hello (and "again": "hi again", "olá de novo"),
# or any one word exclaimed ("Mantenha! Nilton di Soncent, …", "Kia ora!").
_GREETING = (
    r"(?:hi|hello|hey|hiya|howdy|yo|g'?day|gday|heya|hullo|evenin[g']?|afternoon|mornin[g']?"
    r"|good\s+(?:morning|afternoon|evening|day)|greetings|ol[aá]|oi+|boas|bom\s+dia"
    r"|boa\s+(?:tarde|noite)|viva|e\s+a[ií]|salve|ciao|kia\s+ora|aloha)"
    r"(?:\s+(?:there|all|everyone|folks|again|pessoal|gente|outra\s+vez|de\s+novo))*"
)
_ANNOUNCED = (
    r"(?:it'?s|its|this\s+is|[eé]\s+[oa]|aqui\s+[eé](?:\s+[oa])?|fala(?:-?lhe)?\s+[oa]"
    r"|sou\s+[oa]|quem\s+fala\s+[eé](?:\s+[oa])?)"
)
# A full name may hold joiners: "Jess van der Berg", "Carolina Sá da Bandeira".
_FULL_NAME = (
    rf"{_WORD}(?:\s+(?:(?:van|von|der|den|de|da|do|dos|das|di|du|le|la)\s+)*{_WORD}){{0,3}}"
)
# Saying who is writing: "Orla here", "Palesa writing", "Marcellus on the line", "Zé a falar".
_ON_THE_LINE = (
    r"(?i:here|aqui|speaking|falando|writing|texting|typing|calling|on\s+the\s+line"
    r"|a\s+(?:falar|escrever)|escrevendo|na\s+linha)\b"
)
_GREETED_NAME = re.compile(
    rf"^\W*(?:(?i:{_GREETING})(?:[\s,]+(?i:{_GREETING}))*\s*[.!,]+|[^\W\d_][\w'\u2019]*\s*!+)\s*"
    rf"(?:(?i:{_ANNOUNCED})\s+)?(?P<value>{_FULL_NAME})"
    r"(?=\s*(?:[.!,;\u2013\u2014]|\s-\s|$)|\s+(?i:from|de|do|da)\s+[A-Z\u00c0-\u00dd]"
    rf"|\s+{_ON_THE_LINE})"
)
# After any short first sentence (a greeting in any tongue: "How na?", "Dumela.", "Oxe, boa
# tarde!"), a name announced ("Quem fala é Jailson", "Fala-lhe o Albertino") or a name and
# where the user writes from ("Kagiso from Francistown, I grew up…", "Nkeng for Bamenda").
_OPENED_NAME = re.compile(
    r"^\W*[^.!?\n]{1,30}?[.!?]+\s*"
    rf"(?:(?i:{_ANNOUNCED})\s+(?P<announced>{_FULL_NAME})(?=\s*(?:[.!,;\u2013\u2014]|$))"
    rf"|(?P<value>{_PERSON}),?\s+(?i:from|for|de|da|do|(?:up|down|out|over)\s+in)\s+{_PLACE}"
    r"(?=\s*[.!?,;]|\s+\W)"
    rf"|(?P<line>{_PERSON})\s+{_ON_THE_LINE}(?=\s*[.!?,;]))"
)
# A name signed off at the end of a message: "… thanks! — Tom", "Cheers,\nPriya", "Bjs, Ana".
_SIGNED_OFF = re.compile(
    rf"(?:(?:^|\s)[\u2013\u2014-]+\s*|(?i:cheers|thanks|thank\s+you|regards|best|obrigad[oa]"
    rf"|abra[cç]os?|beijos?|bjs|abs|um\s+abra[cç]o)\s*[,!.]?\s+)(?P<value>{_PERSON})"
    r"\s*[.!]?\s*$"
)
# A name signed with a kiss at the end: "… thanks a million. Shauna x", "Obrigada! Lu xx".
# Not a word said with a kiss ("Sorted x", "Lovely x", "Night x").
_KISSED = re.compile(
    rf"(?:^|[.!?]\s+)(?!(?i:[\w'-]+(?:ed|ing|ly)|thanks|cheers|love|done|ta|bye|night|later"
    rf"|ok|okay|brill|ace|soon|obrigad[oa]|beijos?|bjs|ate\s+logo)\s+[xX])(?P<value>{_PERSON})"
    r"\s+[xX]{1,3}\s*$"
)
# The assistant's spelling set right: "it's Ana, not Anna", "é Shwetha, não Swetha".
_CORRECTED = re.compile(
    rf"(?:^|[.!?,]\s*|\b(?i:it'?s|its|é|sou(?:\s+[oa])?|i'?m)\s+)(?P<value>{_PERSON})\s*,?\s+"
    rf"(?i:not|n[aã]o)\s+(?P<wrong>{_PERSON})\b"
)
# How alike a correction and what it corrects are: a respelling, not another value ("it's
# Lisbon, not Porto"); "Ana"/"Anna" .86, "Shwetha"/"Swetha" .92, "Lisbon"/"Porto" .18.
_RESPELLING = 0.6
# Where the user introduces themselves from: "Aoife from Galway here", "Bernardo aqui, da
# Tijuca", "Boas. Álvaro, de Bragança.", "Sou a Catarina, do Porto", "Aqui é Edivânia, de
# Campina Grande". The name opens the message or a sentence, or follows "I'm"/"sou"/"aqui é".
_INTRODUCED_FROM = re.compile(
    rf"(?:(?:^|[.!?]\s+)\W*(?P<name>{_PERSON})(?:\s+(?i:here|aqui|falando|speaking))?\s*,{_NEAR}"
    rf"|(?:^|[.!?,]\s+)\W*(?P<here>{_PERSON}){_FROM}(?={_PLACE}\s+(?i:here)\b)"
    rf"|\b(?i:i'?m|this\s+is|(?:eu\s+)?sou(?:\s+[oa])?|aqui\s+[eé](?:\s+[oa])?|c[aá]\s+[oa]"
    rf"|fala\s+[oa])\s+"
    rf"(?P<intro>{_PERSON})\s*,?{_NEAR})"
    # "… from Mandeville up in the hills": a place may be placed further
    rf"(?P<value>{_PLACE})(?=\s*(?i:here|aqui)?\s*(?:[.!?,;]|$)|\s+(?i:up|down|out|over|near)\s)"
)
# A sentence that is only a name and where it is written from: "Stelios from Cyprus." The
# place may be a country, so it is no home.
_NAME_FROM = re.compile(
    rf"(?:^|[.!?]\s+)[^\w\s]*\s*(?P<value>{_PERSON})\s+(?i:from)\s+{_PLACE}\s*(?=[.!]|$)"
)
_NOT_SENDERS = frozenset(
    "greetings regards love news postcard photos pictures message note report update updates "
    "live straight fresh direct hello notes lists files tasks reminders".split()
)
# A name dictated in lower case ("hello this is senthil kumar speaking from coimbatore").
_SPEAKING = re.compile(
    r"\b(?:this\s+is|aqui\s+e(?:\s+[oa])?|it'?s)\s+(?P<value>[a-z][a-z'-]+(?:\s+[a-z][a-z'-]+)?)"
    r"\s+(?:speaking|falando)\b"
)
_KIN = re.compile(rf"(?:{PEOPLE})$")
# A naming phrase inside a run-on, where no clause opens ("…typing is slow for me my name is
# Gleice with a G…"), or an introduction announced and then made ("esqueci de me apresentar:
# Francinete, com t", "quick intro: 1) Zainab 2) …").
_NAMED_INSIDE = re.compile(
    r"(?i:\bmy\s+name\s+is|\bmy\s+name's|\bme\s+chamo|\bchamo-me|\bmeu\s+nome\s+[eé]"
    r"|\b(?:introduce\s+myself|intro|me\s+apresentar|apresentar-me|apresento-me)\b"
    r"[^.!?\n]{0,50}?[:\u2013\u2014]\s*(?:\d[).]\s*)?)"
    rf"\s*(?P<value>{_PERSON})"
)
# A writer who never capitalises ("hey. marcus here.", "heyyy its saoirse 👋", "meu nome é
# rosana, sou de Sorocaba" has one capital, in the place) says a name in lower case, and the
# capital that tells "I'm Priya" from "I'm tired" is missing: only the slots that hold a name
# and nothing else are read. A word said there as its own clause, or right after a naming
# phrase.
_NAMED_LOWER = re.compile(
    r"(?i:\bmy\s+name(?:\s+is|'s)|\b(?:me\s+chamo|chamo-me)|\b(?:o\s+)?meu\s+nome\s+[eé]"
    r"|\bi'?m\s+called|\bi\s+go\s+by|\bcall\s+me)\s+(?P<value>[a-zà-ÿ][a-zà-ÿ'-]+)\b"
)
_OPENING_LOWER = re.compile(
    rf"^\W*(?:(?i:{_GREETING})[\s.!,]*|[a-z]+[.!,]*\s+)?"  # "heyyy its saoirse", "yo. tom here"
    r"(?:(?:it'?s|this\s+is|aqui\s+[eé]\s+[oa]|[eé]\s+[oa]|fala\s+[oa])\s+"
    r"(?P<announced>[a-zà-ÿ][a-zà-ÿ'-]+)(?:\s+(?:here|aqui|again|de\s+novo))?"
    r"|(?P<here>[a-zà-ÿ][a-zà-ÿ'-]+)\s+(?:here|aqui))"
    r"(?=\s*(?:[.!,;:\u2013\u2014]|\s-\s|$)|\s+[^\w\s])"
)
# Words that open a clause in lower case with "here" or after "it's": "ok here", "its fine".
_NOT_LOWER_NAMES = frozenset(
    "ok okay fine done over back same cold hot late early ready free home away gone raining me "
    "true real fair bad good great cool weird mad crazy nice lovely quiet dead all him her them "
    "broken open closed empty full stuck down up off on wrong right sorted official fixed "
    "possible impossible hard easy fun funny simple urgent important normal strange "
    "tudo bem isso aqui ca assim isso verdade".split()
)


def _lower_case_name(message: str) -> str | None:
    """Return the name a writer who never capitalises gives, title-cased, if any."""
    opened = re.sub(r"(?:^|[.!?]\s+)\W*\w", "", message)  # a sentence's first letter
    if re.search(r"[A-Z\u00c0-\u00dd][a-z\u00e0-\u00ff]", opened):
        return None  # a writer who capitalises a word ("API", "EVERYTHING" are shouted)
    m = _NAMED_LOWER.search(message) or _OPENING_LOWER.match(message)
    if m is None:
        return None
    value = m.group("value") if "value" in m.groupdict() else m["announced"] or m["here"]
    word = fold(value)
    if (
        word in STOPWORDS
        or word in _NOT_LOWER_NAMES
        or _KIN.match(word)
        or re.search(r"(?:ing|ed|ly|in')$", word)
        or not looks_like_name(value.title())
    ):
        return None
    return value.title()


def _sender(name: str) -> bool:
    """Return whether a name read before "from" or "writing" may be who writes.

    "Hey! Writing from Brisbane —", "Notes from Monday": a verb in -ing is no name ("Ming",
    "Xing" are), nor what is sent.
    """
    first = fold(name.split()[0])
    return first not in _NOT_SENDERS and not (first.endswith("ing") and len(first) > 4)


def introductions(message: str) -> Iterator[tuple[str, str]]:
    """Yield ("name", value) and ("home", value) for each way the message introduces the user.

    Names first, in the order the families above are listed; a caller keeps the first name.
    """
    for m in _SIGNED_NAME.finditer(message):
        if looks_like_name(m.group("value")):
            yield "name", m.group("value")
    for m in _GREETED_NAME.finditer(message):
        if looks_like_name(m.group("value")) and _sender(m.group("value")):
            yield "name", m.group("value")
    if (m := _OPENED_NAME.match(message)) and looks_like_name(
        name := m["announced"] or m["value"] or m["line"]
    ):
        if _sender(name):
            yield "name", name
    for m in _INTRODUCED_FROM.finditer(message):
        name = m.group("name") or m.group("here") or m.group("intro")
        if looks_like_name(name) and looks_like_name(m.group("value"), person=False):
            yield "name", name
            yield "home", m.group("value")
    for m in _NAME_FROM.finditer(message):
        value = m.group("value")
        if looks_like_name(value) and fold(value.split()[0]) not in _NOT_SENDERS:
            yield "name", value
    for m in _CORRECTED.finditer(message):
        value, wrong = m.group("value"), m.group("wrong")
        alike = SequenceMatcher(None, fold(value), fold(wrong)).ratio() >= _RESPELLING
        if alike and looks_like_name(value):
            yield "name", value
    if m := _SIGNED_OFF.search(message.rstrip()) or _KISSED.search(message.rstrip()):
        if looks_like_name(m.group("value")):
            yield "name", m.group("value")
    for m in _NAMED_INSIDE.finditer(message):
        if looks_like_name(m.group("value")):
            yield "name", m.group("value")
    if name := _lower_case_name(message):
        yield "name", name
    if m := _SPEAKING.search(fold(message)):
        words = m.group("value").split()
        if not any(w in STOPWORDS or _KIN.match(w) for w in words):
            yield "name", message[m.start("value") : m.end("value")].title()


# "no", "sorry" correct only with a pause after them ("Thaís, não Taís" is no correction).
_MARKER = (
    r"(?:(?:(?:no|n[aã]o)\s+)*(?:no|nope|wrong|sorry|oops|n[aã]o|perd[aã]o|desculp[ae])\b"
    r"\s*[,.!\u2013\u2014-]"
    r"|(?:i\s+mean|quer\s+dizer|digo|ali[aá]s)\b)"
)
# A value set right as it is said: "I live in Limassol also — no no, wrong, Larnaca", "moro em
# Braga, quer dizer, em Guimarães".
_SET_RIGHT = (
    rf"(?i:\s+(?:also|too|tamb[eé]m))?(?:[\s,.!\u2013\u2014-]+(?i:{_MARKER}))+[\s,.!\u2013\u2014-]*"
)
_CORRECTION = re.compile(
    rf"{_SET_RIGHT}(?:(?i:in|em|de|do|da|at|na|no|it'?s|[eé])\s+)?(?P<value>{_PLACE})"
    r"(?=\s*(?:[,.!;]|$))"
)
# ...or a trade: "repórter — quer dizer, jornalista de política".
_WORDS_CORRECTION = re.compile(
    rf"{_SET_RIGHT}(?:(?:an?|um|uma)\s+)?(?P<value>[^\W\d_A-Z][\w'-]*(?:\s+[^\W\d_][\w'-]*){{0,3}})"
    r"(?=\s*(?:[,.!;]|$))"
)


def corrected(message: str, value: str, words: re.Pattern[str] | None = None) -> str | None:
    """Return what `value` is set right to right after one of its mentions, if any.

    A name by default; with `words`, lower-case words that pattern accepts (a job).
    """
    for said in re.finditer(re.escape(value), message):
        if words is None:
            m = _CORRECTION.match(message, said.end())
            if m and looks_like_name(m.group("value"), person=False):
                return m.group("value")
        elif (m := _WORDS_CORRECTION.match(message, said.end())) and words.fullmatch(
            fold(m.group("value"))
        ):
            return m.group("value")
    return None
