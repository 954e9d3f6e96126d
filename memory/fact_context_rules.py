"""Rules tried only in some context: after a job change, after the user's name, after "I … and".

The clause rules (`memory/fact_rules.py`) read a clause on its own. Some phrasings state a
fact only beside another: "agora estou na Vale Norte" names an employer only in a message
saying the job changed (else it is a visit), "professor de química" is the user's trade only
right after "Sou o Celso,", "relocated to Ibadan" is the user's move only after "we've packed
up and". `memory/fact_extraction.py` decides when each applies.
"""

from __future__ import annotations

import re

from memory.fact_rules import JOB_REJECT, ORG, ORG_WORDS, rule
from memory.fact_words import AWAY, JOB_WORDS, PARTNER, PET, PROFESSION

# The place a job is held at, said with the job ("I'm a nurse at St James's", "sou chef no
# Hotel Maré Alta"): a name after "at/with/for/no/na/em".
JOB_PLACE = rule(
    "workplace",
    True,
    "The user works at {value}.",
    # not "aqui em": where the user lives ("sou alfaiate aqui em Bissau")
    r".*?\s(?:at|with|for|no|na|nos|nas|(?<!aqui\s)(?<!\sca\s)em|pela|pelo"
    # "in" only before a workplace's word: "carer in Larkfield Nursing Home", not "nurse in Leeds"
    r"|in(?=\s+(?:the\s+)?(?:[a-z&'.-]+\s+){0,3}(?:" + ORG + r"|(?:care|nursing)\s+home\b)))\s+"
    r"(?:the\s+)?",
    max_words=5,
    names=True,
)

# A message that says the user changed jobs ("Troquei de emprego!", "new job!")...
NEW_JOB = re.compile(
    r"\b(?:(?:troquei|mudei)\s+de\s+(?:emprego|trabalho|empresa|patrao|chefe|escola|hospital"
    r"|clinica|loja|escritorio)|(?:moved|changed|switched)\s+(?:schools|hospitals|clinics)"
    r"|(?:um\s+)?novo\s+emprego|new\s+job|(?:changed|switched)\s+(?:jobs|companies|employers)"
    # "I left X…", "quit", "saí da clínica", "larguei a empresa": the old job ended.
    r"|(?:i|i've|i\s+have)\s+(?:just\s+)?(?:left|quit|resigned)|handed\s+in\s+my\s+notice"
    r"|sai\s+d[aoe]s?|larguei|deixei\s+(?:o|a)|despedi-me|pedi\s+(?:a\s+)?demissao"
    # "mudei de kaisha de novo": a change of anything but a home, a mind or a plan
    r"|(?:troquei|mudei)\s+de\s+(?!(?:casa|cidade|bairro|pais|rua|apartamento|ideia|opiniao"
    r"|planos?|vida|assunto|roupa|canal)\b)[a-z]+)\b"
)
# ...names the new place where it says where the user is now ("Agora tô na Vale Norte").
NEW_JOB_PLACE = rule(
    "workplace",
    True,
    "The user works at {value}.",
    r"(?:(?:agora|now|a\s+partir\s+d\w+\s+\w+|from\s+\w+)\s+)?(?:to|tou|estou|i'?m|i\s+am)\s+"
    r"(?:now\s+|agora\s+)?(?:na|no|nos|nas|em|at|with)\s+"
    r"(?:the\s+)?",
    # "Starting at Harbourfront Re on Monday", "começo na Aquaterm segunda".
    r"(?:(?:i'?m|i\s+am|and)\s+)?(?:starting|i\s+start)\s+(?:at|with)\s+(?:the\s+)?",
    r"(?:(?:eu\s+)?(?:comeco|vou\s+comecar)\s+(?:a\s+trabalhar\s+)?(?:na|no|em)\s+)",
    max_words=4,
    names=True,
)

# A verb whose subject, the user, opened the clause before ("we've packed up and relocated to
# Ibadan", "I quit and joined Bluefin"): tried only on such a clause.
AFTER_I = (
    rule("home", True, "The user lives in {value}.",
         r"(?:(?:then|just|finally)\s+)?(?:moved|relocated|shifted)\s+(?:house\s+)?" + AWAY
         + r"to\s+",
         r"(?:(?:depois|entao)\s+)?(?:me\s+mudei|mudei-me|nos\s+mudamos|mudamo-nos)\s+para\s+",
         max_words=4, names=True),
    rule("workplace", True, "The user works at {value}.",
         r"(?:(?:then|just|finally)\s+)?(?:joined|started\s+at)\s+", max_words=4, names=True),
)  # fmt: skip
# A trade right after the user's name: "Sou o Celso, professor de química", "Gareth here —
# train driver": tried only on the clause after one that named the user.
AFTER_NAME = (
    rule("job", True, "The user works as {value}.", r"(?:(?:um|uma|an?)\s+)?", max_words=4,
         check=r"(?:" + PROFESSION + r")|(?:[a-z-]+\s+){0,2}" + JOB_WORDS),
)  # fmt: skip
# Clauses that open with the user as the subject (after fillers).
I_OPENS = re.compile(r"(?:i|we|eu|nos)(?:'ve|'m|'re|\s|$)")
# Where the user is now, said on the way to something else ("ever since we came to Hubballi
# the students…", "agora que tô no Colégio Sepé Tiaraju só dou aula de manhã"): tried only on
# a clause opening with "since", "now that", "agora que" or "desde que", which tells a change.
ASIDE_RULES = (
    rule("workplace", True, "The user works at {value}.",
         r"(?:i'?m|i\s+am)\s+(?:now\s+)?(?:at|with)\s+(?:the\s+)?",
         r"(?:eu\s+)?(?:estou|to|tou)\s+(?:agora\s+)?(?:na|no|nos|nas|em)\s+(?=" + ORG + ")",
         max_words=4, names=True),
    rule("home", True, "The user lives in {value}.",
         r"(?:i|we)\s+(?:came|got|came\s+back|got\s+back)\s+(?:here\s+)?to\s+",
         r"(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:now\s+)?in\s+",
         r"(?:eu\s+)?(?:vim|viemos|voltei|voltamos|cheguei|chegamos)\s+(?:morar\s+)?"
         r"(?:para|pra|a|ao|em|no|na)\s+",
         r"(?:eu\s+)?(?:estou|to|tou|estamos)\s+(?:agora\s+)?(?:em|no|na)\s+(?!" + ORG + ")",
         # "since our removal to Ilkley", "since moving to Galway", "desde a mudança pra Ilhéus"
         r"(?:(?:our|my|the)\s+)?(?:move|removal|relocation|moving|relocating)\s+(?:back\s+)?to\s+",
         r"(?:a\s+)?(?:(?:nossa|minha)\s+)?mudanca\s+(?:para|pra)\s+(?:(?:o|a)\s+)?",
         max_words=4, names=True),
)  # fmt: skip

# Said after every clause rule: a job someone else gave the user ("the county's got me as
# dispatcher", "o patrão fez-me maioral"), a title ("my title is now X"), a move
# said with where from ("mudamo de Mossoró pra Natal"; not "mudei de emprego pra…").
LAST_RULES = (
    rule("job", True, "The user is {value}.",
         r"(?:[^,;]*?\s)?[a-z]+(?:'s|\s+has|\s+have)\s+(?:got|made|put)\s+me\s+(?:on\s+)?as\s+"
         r"(?:(?:the|an?)\s+)?",
         r"(?:[^,;]*?\s)?(?:patra[o]|patroa|chef[ea]|dono|dona|gerente|boss|manager)\s+"
         r"(?:fez-me|me\s+fez|made\s+me)\s+(?:(?:o|a|the|an?)\s+)?",
         r"(?:[^,;]*?\s)?my\s+(?:(?:job|new)\s+)?title\s+is\s+(?:now\s+)?(?:(?:the|an?)\s+)?",
         max_words=4, reject="same " + " ".join(JOB_REJECT.split())),
    rule("home", True, "The user lives in {value}.",
         r"(?:nos\s+)?(?:me\s+)?(?:mudamos|mudamo|mudei)\s+de\s+(?!(?:emprego|trabalho|empresa|firma"
         r"|escola|ideia|casa)\b)[a-z]+(?:\s+[a-z]+){0,3}?\s+(?:para|pra)\s+(?:(?:o|a)\s+)?",
         max_words=4, names=True),
)  # fmt: skip

# A message that says the user's home moved with their work ("Mudança grande: a empresa abriu
# uma filial", "they opened a branch and transferred me")...
RELOCATED = re.compile(
    r"\b(?:mudanca|mudamos|mudei|transferi\w*|transfer\w*|relocat\w*|filial|branch"
    r"|move[ds]?\s+(?:me|us|house|home|again|away|cities|countries)"
    r"|for\s+good|de\s+vez|instalados|settled)\b"
)
# ...names the new home where it says they were sent there ("mandaram-me para Nampula") or
# are now ("now we in Abaco").
SENT_TO = rule(
    "home",
    True,
    "The user lives in {value}.",
    r"(?:[^,;]*?\s)?(?:(?:mandaram|transferiram|enviaram)-(?:me|nos)|(?:me|nos)\s+(?:mandaram"
    r"|transferiram|enviaram))\s+(?:para|pra)\s+(?:(?:o|a)\s+)?",
    r"(?:[^,;]*?\s)?(?:sent|transferred|posted|relocated)\s+(?:me|us)\s+(?:(?:up|down|out|over)\s+)?"
    r"to\s+(?:the\s+)?",
    # "now we in Marsh Harbour" after "the boss moved us again": where they are now
    r"(?:we|i)(?:'re|'m|\s+are|\s+am)?\s+(?:now\s+)?in\s+",
    max_words=3,
    names=True,
    reject=ORG_WORDS,
)

# A message that says the user and their partner parted ("Travis and I are done", "me and
# Leroy done", "me separei
# do Damião", "o Nélio foi trabalhar para um cruzeiro e acabámos")...
BROKE_UP = re.compile(
    r"\b(?:broke\s+up|split\s+up|(?:(?:and\s+i|we)\s+(?:are|'re)|(?:me|i)\s+and\s+\w+"
    r"(?:\s+(?:are|is))?)\s+(?:done|over|finished)"
    r"|(?:got\s+)?divorced|(?:engagement|relationship)\s+(?:with\s+\w+\s+)?is\s+off"
    r"|acab(?:amos|ei\s+com)|termin(?:amos|ei\s+com)|(?:me\s+)?separ(?:ei|amos)|separei-me"
    # "acabou tudo", "já era", "I dumped him", "we called it off"
    r"|acabou(?:\s+tudo|\s+o\s+namoro|-se)|ja\s+era|levei\s+um\s+pe|dumped|called\s+it\s+off"
    r"|broke\s+it\s+off|ended\s+(?:it|things)|went\s+back\s+to\s+(?:his|her|their)\s+ex"
    r"|voltou\s+(?:pro|para\s+o|pra\s+o)\s+ex"
    r"|separamo-nos|divorciei|divorciamos)\b"
)
# ...names the new partner where it says who the user is with now ("I'm with Dwayne now",
# "estou agora com a Benedita", "agora ando com o Rúben").
NEW_PARTNER = rule(
    "partner",
    True,
    "The user's partner is called {value}.",
    r"(?:i'?m|i\s+am)\s+(?:now\s+)?with\s+",
    # "I seeing Marcus now" (the copula dropped), "I'm dating Kofi now"
    r"i(?:'?m|\s+am)?\s+(?:now\s+)?(?:seeing|dating|going\s+out\s+with)\s+",
    r"(?:eu\s+)?(?:estou|to|tou|ando)\s+(?:agora\s+)?com\s+(?:(?:o|a)\s+)?",
    max_words=3,
    names=True,
)

# A profile written as a list ("name Shwetha, city Mysuru, husband Prashanth, dog Benne",
# "nome: Rui; cidade: Braga")...
PROFILE = re.compile(
    r"(?:^|[,;:.\n(]\s*)(?:[-*\u2022]\s*)?(?:name|city|town|job|work|husband|wife|partner|dog|cat|nome|cidade"
    r"|trabalho|profissao|marido|esposa|mulher|cao|gato)\s*:?\s+\w"
)
# ...whose items are read only in a message holding two or more of them: "name Shwetha" is a
# name there, "Dog Benne" a dog.
PROFILE_RULES = (
    rule("name", True, "The user's name is {value}.", r"(?:name|nome)\s*:?\s+", max_words=3,
         names=True, whole=True),
    rule("home", True, "The user lives in {value}.", r"(?:city|town|cidade)\s*:?\s+",
         max_words=4, names=True, whole=True),
    rule("partner", True, "The user's {kin} is called {value}.", PARTNER + r"\s*:?\s+",
         max_words=3, names=True, whole=True),
    rule("pet", False, "The user has a {species} called {value}.", PET + r"\s*:?\s+",
         max_words=3, names=True, whole=True),
    rule("job", True, "The user works as {value}.", r"(?:job|work|trabalho|profissao)\s*:?\s+",
         max_words=4, check=r"(?:" + PROFESSION + r")|(?:[a-z-]+\s+){0,2}" + JOB_WORDS),
)  # fmt: skip
