"""Which facts a question about the user asks for, and whether a text states them (pure).

The offline counterpart of the extractor (`memory/fact_extraction.py`), in the same
attributes and both languages: "what's my dog called?" asks for a `pet`; "my beagle Simba
says hi" uses the words that state one, "can I add a teammate?" does not.
"""

from __future__ import annotations

import re
import unicodedata

from memory.fact_extraction import extract_facts
from memory.fact_words import (
    BREEDS,
    CANONICAL,
    CONDITION,
    CONDITION_ADJECTIVE,
    DRINK,
    HOBBY,
    JOB_WORDS,
    NOT_THING,
    PROFESSION,
)
from memory.favourite_things import names_thing
from text.words import fold

# What a question about the user asks for, by the words it uses (accent-folded), most
# specific first: "where do I work" is the workplace, "what do I do for work" the job.
# fmt: off
_PLACE = (
    r"(empresa|escola|hospital|farmacia|escritorio|agencia|loja|restaurante|clinica|firma|"
    r"company|school|hospital|pharmacy|office|agency|shop|store|restaurant|clinic|firm|lab)"
)
_ASKED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (attribute, re.compile(pattern)) for attribute, pattern in (
        ("name", r"\b(my (first |full |middle )?name|what('?s| is| do \w+) call(ed)? me"
                 r"|what name|name (did )?i (gave|give|told|tell|said)|who (you'?re|you are) "
                 r"(talking|chatting|speaking) (to|with)|quem (esta|ta) (falando|a falar)"
                 r"|nome (que )?(eu )?(te |lhe )?(dei|disse)"
                 r"|what i'?m called|who am i(?=\W*$)|(o )?meu nome|como (e que )?(eu )?me chamo"
                 r"|me chamam|who am i\b(?=\W*$|\s*,|\s+(again|then|exactly|remember|lol)\b)"
                 r"|(my|meu|o meu) (good name|surname|last name|family name"
                 r"|sobrenome|apelido|nome completo)|what should you call me|call me\?)\b"
                 # how the user signed, and who is writing: "what did I sign myself as?",
                 # "com que nome assinei?", "who's texting?", "quem está a escrever?"
                 r"|\bsign(ed)? (myself |me )?(off )?as\b|how did i sign\b|\bassinei como\b"
                 r"|\b(como|com que nome) (e que )?(eu )?(me )?assin(ei|o|ava)\b"
                 r"|\bwho('?s| is)? (talking|writing|texting|typing|this|dis)"
                 r"(?=\W*$|\s*,|\s+(talking|writing|texting|typing|speaking|chatting|now|here|rn)\b)"
                 r"|\bquem (e que )?((esta|ta) (a )?)?(fala|falar|falando|escreve|escrever"
                 r"|escrevendo)(?=\W*$|\s+(consigo|contigo|comigo|com (voce|vc))\W*$)"
                 # "sabes quem sou?", "what's me name?", "wetin be ma name?"
                 r"|\bquem (e que )?(eu )?sou( eu)?(?=\W*$|,)|\b(ma|mah|mi) name\b"
                 r"|\b(what'?s|what is|wetin be|know|remember) me name\b"
                 # "you know who this is?", "remember who's talking?"
                 r"|\b(know|remember|guess|remind me|tell me) who('?s| is)? (this|dis|talking"
                 r"|writing|i am)"
                 r"(?=\W*$| is\W*$)"),
        ("hometown", r"\b(where am i from|where i'?m from|grew up|de onde (e que )?(eu )?sou"
                     r"|sou de onde|cidade natal|where was i born|onde nasci)\b"),
        ("workplace", r"\b(where do i work|who (do i work for|employs me)|my (employer|company)"
                      r"|(where|who) am i (employed|working)|employed (at|by)"
                      r"|(which|what) " + _PLACE + r"\b|(em|para|pra) (qual|que) " + _PLACE
                      + r"|(which|what) \w+ (company|firm|outfit)\b"
                      + r"|onde (e que )?(eu )?trabalh\w*|para quem (e que )?(eu )?trabalho"
                      r"|(minha|a minha) empresa|outfit|pays my (wages|salary)|who pays me"
                      r"|(which|what) (practice|firm|agency) |current employer"
                      r"|(estou a|to|estou|ando a) trabalhar"
                      r"|em que (clinica|oficina|escritorio|loja)"
                      r"|(que|qual) (e a )?empresa)\b"),
        ("job", r"\b(my (job|profession|occupation|trade|role|career|job title|line of work)"
                r"|what (do i do(?=\W*$)|kind of work|is it i do|work do i|am i by)"
                r"|do for (a living|work)"
                r"|(minha|a minha) (profissao|ocupacao|area|lida|funcao)"
                r"|(meu|o meu) (cargo|oficio|trabalho|posto)|my (position|post)(?! on| about)"
                r"|(que|qual) (materia|disciplina|cadeira) (e que )?(eu )?(ensino|dou|leciono)"
                r"|(what|which) (subject|class) do i teach"
                r"|com o que (e que )?(eu )?trabalho|o que (e que )?(eu )?fa(co|zia)(?=\W*$)"
                r"|em que (e que )?(eu )?trabalho|for a crust|did i train as|(my|current) role"
                r"|what (type|kind) of \w+ am i|trabalho com o que|(meu|o meu) trampo"
                r"|(em )?que area|me dedico|faco profissionalmente|que cargo|o que (e que )?(eu )?"
                r"faco (da vida|profissionalmente|no trabalho))\b"),
        ("home", r"\b(where do i live|where i live|(city|town|place) (do|am) i|i live in"
                 r"|live now|living (in|at the moment|now)|call home|is home|where am i based"
                 r"|onde (e que )?(eu )?(moro|vivo)|(que|qual) cidade|a viver|morando|whereabouts"
                 r"|where('?s| is) home|(stay|staying) in|(moro|vivo) (onde|em que)|que terra"
                 r"|onde fica a minha casa|where am i (living|staying)|(which|what) (city|town)"
                 r"|city'?s home)\b"),
        ("pet", r"\b(pets?|animal\w*|bicho\w*|estimacao|raca|breed|dog|cat|puppy|kitten"
                r"|rabbit|parrot|budgie|hamster|cao|cachorr[oa]|cadela|gat[oa]|coelh[oa]"
                r"|papagaio|periquito|calopsita|tartaruga|goat|pig|donkey|hedgehog|bird"
                r"|cabrit[oa]|cabra|burr[oa]|porc[oa]|ourico)\b"),
        ("partner", r"\b(husband|wife|partner|boyfriend|girlfriend|fiance\w*|spouse|married"
                    r"|other half|going out with|seeing|share my life|missus|madam|hubby"
                    r"|cara[ -]metade|minha mina"
                    r"|who (am i|i'?m) dating|com quem (e que )?(eu )?(ando|estou|saio|namoro)"
                    r"|marido|esposa|mulher|namorad[oa]|companheir[oa]|noiv[oa]|casa[rd]\w*)\b"),
        ("family", r"\b(sisters?|brothers?|sons?|daughters?|kids?|children|mum|mom|mother|dad"
                   r"|father|siblings?|irmas?|irmaos?|filh[oa]s?|mae|pai|sobrinh[oa]s?)\b"),
        ("allergy", r"\b(allerg\w*|intoleran\w*|can'?t (eat|take|have|digest)|medicine|react\w*"
                    r"|medication|health|medical|condition|dietary|avoid|alergi\w*|alergic[oa]"
                    r"|remedio|medicamento|saude|doenca|condicao|sofro|faz(em)? mal|epipen|managing"
                    r"|problema de \w+|cansad\w*)\b"),
        ("hobby", r"\b(hobby|hobbies|sports?|free time|spare time|weekends?|for fun|play|train"
                  r"|desporto|esporte|tempo livre|fins? de semana|para me divertir|jogo|pratico"
                  r"|treino|luta|league|dance\w*|danc\w+|class(es)?|aulas?|learning|aprend\w+)\b"),
        ("age", r"\b(how old|my age|(minha|a minha) idade|quantos anos|birthday|aniversario"
                r"|faco anos)\b"),
        ("favourite", r"\b(favou?rite|fave|preferid[oa]|favorit[oa]|predilect[oa]"
                      r"|[a-z]{2,} que (eu )?mais gosto|mais gosto de (comer|beber))\b"),
        ("preference", r"\b(do i (like|prefer|love|drink|eat|take)|what (do )?i (like|prefer)"
                       r"|(usual|regular|go-to|morning|evening) (drink|coffee|tea|order)|bebida"
                       r"|(gosto|costumo) de (beber|tomar)|brew|cuppa|caffeine|(what|which) drink"
                       r"|" + DRINK
                       + r"|(eu )?(gosto|prefiro|bebo|curto)\b)"),
    )
)
# fmt: on


# The thing a favourite is asked with: after "favourite" in English, before "favorito" in
# Portuguese, where the possessive stands before it ("a minha bebida preferida", never "meu").
_FAVOURITE_KEY = re.compile(
    "|".join((
        r"\b(?:favou?rite|fave)\s+" + NOT_THING + r"([a-z]+(?:\s+[a-z]+)?)\b",
        r"\b(?:minha|meu|nossa|nosso)\s+([a-z]+)(?:\s+[a-z]+)?\s+(?:favorit|preferid)[oa]s?\b",
        r"\b" + NOT_THING + r"([a-z]+)\s+(?:(?:favorit|preferid)[oa]s?"
        r"|(?:de\s+)?que\s+(?:eu\s+)?mais\s+gosto)\b",
        r"\bmais\s+gosto\s+de\s+(comer|beber)\b",
    ))
)  # fmt: skip


# Where the user studied or used to work, not where they work now ("em que escola andei?",
# "which school did I teach at?"): the current workplace is no answer.
_NOT_WORKING_NOW = re.compile(
    r"\b(go to|went to|attend(ed)?|stud(y|ied)|graduat\w+|andei|estudei|frequentei"
    r"|me formei|tirei o curso|did i (work|teach)|used to (work|teach)|trabalhei|ensinei"
    r"|dei aulas)\b"
)


def asked_attributes(question: str) -> list[str]:
    """Return the fact attributes a question about the user asks for, most likely first.

    Attributes as facts record them, as prefixes ("pet" asks for "pet", "family" for
    "family:sister"); a favourite is asked with its thing ("favourite:colour").
    """
    folded = fold(unicodedata.normalize("NFC", question))
    found = []
    for attribute, pattern in _ASKED:
        if attribute == "workplace" and _NOT_WORKING_NOW.search(folded):
            continue  # "which school did I go to?" asks where the user studied
        if pattern.search(folded) or (attribute == "name" and _asks_name_only(folded)):
            if attribute == "favourite" and (key := _FAVOURITE_KEY.search(folded)):
                thing = next(g for g in key.groups() if g).strip()
                attribute = f"favourite:{CANONICAL.get(thing, thing)}"
            found.append(attribute)
            if attribute == "allergy":
                found.append("health")  # "any health problem?" asks for both
    return found


# A name asked in words no pattern above lists ("What do I go by?", "you remember what people
# call me?", "Qual nome eu te falei?", "Bu sabe nha nomi?"): a word of naming, the user, and
# nothing else a name could belong to ("what do I call my dog?", "o nome da empresa?").
_NAMING = re.compile(r"\b(names?|named|nomes?|nomi|call(s|ed)?|go by|known as|cham(o|a|am|ava))\b")
_SELF = re.compile(r"\b(i|me|my|ma|mi|eu|meu|minha|nha|mim)\b")
_ONLY_ASKING = frozenset(
    """
    what whats wat wot which who how do does did you u ya know remember recall still again
    then now the a is it are that by as go known people everyone everybody folks friends they
    all tell me i my ma mi so and please can could lol hey ok sorry mate s have got saved
    under down stored mates pals
    qual quais que o a e como nome nomes nomi me eu meu minha nha mim te voce vc tu sabe sabes
    lembra lembras ainda mesmo de do da pelo por dei disse falei contei chamo chamam chamava
    todo toda mundo gente pessoal amigos meus os entao afinal bu ja com conhecem conhece
    """.split()
)


def _asks_name_only(folded: str) -> bool:
    """Return whether a question asks only how the user is called, in any words."""
    words = re.findall(r"[a-z]+", folded)
    return bool(_NAMING.search(folded) and _SELF.search(folded)) and all(
        w in _ONLY_ASKING or _NAMING.fullmatch(w) for w in words
    )


# A name asked of something or someone of the user's ("whats my bros name", "the name of my
# boat", "o nome do meu mano"): not the user's own name, whichever attribute it is.
_ANOTHERS_NAME = re.compile(
    r"\b(my|ma|mi|meu|minha|nha)\s+(?!(first|full|middle|last|real|own|good|sur|family|"
    r"nick|user|display|proper|legal|whole|complete|maiden)\b)[a-z]+('?s)?\s+(name|nome)\b"
    r"|\b(name|nome)\s+(of|for|do|da|dos|das|de)\s+(my|ma|mi|the|o|a|meu|minha|nha)\b"
)


def asks_anothers_name(question: str) -> bool:
    """Return whether `question` asks the name of something or someone of the user's."""
    return bool(_ANOTHERS_NAME.search(fold(question)))


# Words a message uses when it states an attribute (accent-folded, either language): without
# one, a message is no evidence of that attribute, however alike it reads.
# fmt: off
_STATED: dict[str, re.Pattern[str]] = {
    attribute: re.compile(pattern) for attribute, pattern in {
        "name": r"\b(name|call me|called|nome|chamo|chama)",
        "hometown": r"\b(from|originally|grew up|born|sou d[eoa]|natural d[eoa]|nasci|venho d)",
        "home": r"\b((good )?(morning|afternoon|evening|day|night|hello|hi|greetings|g'?day)"
                 r" from|(bom dia|boa tarde|boa noite|ola|oi) (de|desde|direto de|aqui de)"
                 r"|here in|traffic in|aqui (em|no|na)|ca em|live|living|lived|moved|move|based"
                 r"|flat|house|city|town|moro|morar|morando|mor(a|am|ava|avam)\b"
                r"|vivo|viver|viv(e|em|ia|iam)\b|mudei|mudamos|mudou|mudaram|cidade|casa"
                r"|apartamento|from)",
        "job": r"\b(" + JOB_WORDS + "|" + PROFESSION + r"|work|working|job|profession|career"
               r"|i'?m an? |promoted"
               r"|as an? |trabalho|trabalhar|trabalha(m|va)? (como|de)\b"
               r"|profissao|sou\b|promovid|emprego|cargo|turno|plantao|shift)",
        "workplace": r"\b(work|working|job|started at|employ|joined|company|trabalh"
                     r"|empresa|emprego|entrei|entrou|comecei|comecou)",
        "pet": r"\b(pet|dog|cat|puppy|kitten|rabbit|parrot|bird|tortoise|hamster|horse|cao"
               r"|cachorr|cadela|gat[oa]|coelh|papagaio|periquito|calopsita|passaro|tartaruga"
               r"|bicho|" + "|".join(re.escape(b) for b in BREEDS) + ")",
        "partner": r"\b(husband|wife|madam|partner|boyfriend|girlfriend|fiance|married"
                   r"|marido|esposa|mulher|namorad|companheir|noiv|casad)",
        "family": r"\b(sister|brother|son|daughter|kids?|children|mum|mom|mother|dad|father"
                  r"|twin|irma|irmao|filh|mae|pai|sobrinh|gemeo)",
        "allergy": r"\b(allerg|intoleran|coeliac|celiac|react|alergi|alergic|intoleran|celiac"
                   r"|doenca|condicao|remedio|medicament)",
        "health": r"\b(diagnos|condition|doctor|medico|saude|doenca|" + CONDITION + "|"
                  + CONDITION_ADJECTIVE + ")",
        "hobby": r"\b(" + HOBBY + r"|play|playing|go [a-z]+ing|every (sunday|saturday|weekend)"
                 r"|weekends?|club"
                 r"|training|race|jogo|jogar|faco|pratico|treino|corrida|domingos|sabados"
                 r"|fins? de semana|clube)",
        "age": r"\b(years old|birthday|turned|anos|aniversario|fiz \d)",
        "preference": r"\b(" + DRINK + r"|like|love|prefer|enjoy|hate|always|never|gosto"
                      r"|adoro|prefiro|detesto"
                      r"|odeio|sempre|nunca|bebo|curto)",
    }.items()
}
# fmt: on


def states(text: str, attribute: str) -> bool:
    """Return whether `text` uses the words that state `attribute` (a fact's or an asked one).

    Attributes are matched by their family ("family:sister" is "family"); "favourite:<thing>"
    needs the thing named ("favourite colour" is no evidence of a favourite film).
    """
    family, _, key = attribute.partition(":")
    folded = fold(text)
    if family == "favourite":
        return bool(key) and names_thing(folded, key)
    pattern = _STATED.get(family)
    if pattern and pattern.search(folded):
        return True
    # Or it says so in a form the extractor knows ("Marcus here", "I'm Priya").
    return any(f.attribute.partition(":")[0] == family for f in extract_facts(text))
