"""The words self-statements are made of: animals and breeds, relations, professions.

Shared by the offline extractor (`memory/fact_extraction.py`) and the questions that ask for
facts (`memory/fact_questions.py`); English and Portuguese, accent-folded.
"""

from __future__ import annotations

import re

from memory import animal_words
from text import kin

# The animals' words are `memory.animal_words`' (one list, shared with the questions).
PET = (
    "(?P<species>"
    + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in animal_words.WORDS)
    + ")"
)
# Common breeds, named instead of the animal ("my golden retriever Waffles"), with their kind.
_DOG_BREEDS = (
    "labrador retriever|golden retriever|retriever|labrador|beagle|border collie|collie|"
    "jack russell|yorkshire terrier|yorkie|staffordshire terrier|staffie|staffy|terrier|"
    "cocker spaniel|springer spaniel|spaniel|cavalier|poodle|cockapoo|labradoodle|husky|corgi|"
    "greyhound|whippet|lurcher|dachshund|sausage dog|pug|french bulldog|frenchie|bulldog|boxer|"
    "rottweiler|german shepherd|schnauzer|chihuahua|shih tzu|maltese|pomeranian|doberman|"
    "great dane|dalmatian|basset hound|sheepdog|pastor alemao|vira-lata|salsicha|pinscher|"
    "kelpie|blue heeler|heeler|cattle dog|alsatian|weimaraner|vizsla|samoyed|shiba|akita|"
    "rafeiro|perdigueiro|podengo|serra da estrela|pit bull|pitbull|bernese mountain dog|bernese|"
    "cao de agua|mutt|mongrel|potcake"
)
_CAT_BREEDS = (
    "maine coon|ragdoll|siamese|persian|bengal|sphynx|british shorthair|burmese|abyssinian|"
    "tabby|siames|persa"
)
BREEDS: dict[str, str] = {
    **dict.fromkeys(_DOG_BREEDS.split("|"), "dog"),
    **dict.fromkeys(_CAT_BREEDS.split("|"), "cat"),
}
BREED = r"(?P<breed>" + "|".join(re.escape(b) for b in BREEDS).replace(r"\ ", r"\s+") + ")"
# The kin whose names are recorded (`text.kin`: one list for every reader).
PARTNER = rf"(?P<kin>{kin.PARTNER})"
RELATIVE = rf"(?P<kin>{kin.FAMILY})"
# Relations and animals are recorded in English, whatever the message's language.
CANONICAL = {
    **animal_words.RECORDED,
    "marido": "husband", "esposa": "wife", "mulher": "wife", "companheiro": "partner",
    "companheira": "partner", "namorado": "boyfriend", "namorada": "girlfriend",
    "mina": "girlfriend", "noivo": "fiance", "noiva": "fiancee", "filho": "son",
    "filha": "daughter",
    "irma": "sister", "irmao": "brother", "mae": "mother", "pai": "father", "mum": "mother",
    "mom": "mother", "dad": "father",
    "hubby": "husband", "missus": "wife", "fella": "partner", "esposo": "husband",
    "other half": "partner", "gemeo": "twin", "gemea": "twin", "primo": "cousin",
    "prima": "cousin", "tio": "uncle", "tia": "aunt", "sobrinho": "nephew", "sobrinha": "niece",
    "cunhado": "brother-in-law", "cunhada": "sister-in-law", "sogro": "father-in-law",
    "sogra": "mother-in-law", "avo": "grandparent", "neto": "grandson", "neta": "granddaughter",
    # the favourite thing said by its verb ("o que mais gosto de comer é bacalhau")
    "comer": "food", "eat": "food", "beber": "drink",
}  # fmt: skip
# What stands before "favorito"/"preferido" but is no favourite thing: "o meu favorito é o azul"
# names none (the possessive is not the thing).
NOT_THING = (
    r"(?!(?:o|a|os|as|um|uma|de|do|da|dos|das|meu|minha|meus|minhas|nosso|nossa|teu|tua|seu|sua|e|mais|qual"
    r"|que|eu|the|my|your|our|is|coisa|thing|too|also|now|ever|again|one|by|of|in|for)\b)"
)
# A job named with no article ("sou enfermeira", "sou engenheiro informático"): Portuguese
# professions mostly end like these; anything else ("sou casada", "sou de Braga") is not one.
PROFESSION = (
    r"(?:[a-z]+(?:eir[oa]|ista|dor|dora|tor|tora|sor|sora|ente|ico|ica|ogo|oga|ario|aria|grafo"
    r"|grafa)"
    r"|professor|professora|medico|medica|chef|designer|developer|programador|programadora|"
    r"advogado|advogada|arquiteto|arquiteta|arquitecto|arquitecta|piloto|juiz|juiza|agronom[oa]"
    r"|sommelier|guarda(?!-redes)|policia|empregad[oa]|auxiliar|ajudante|chefe|mestre|alfaiate|pastor"
    # a partner of a firm, not a member of a club
    r"|soci[oa](?=-gerente|\s+(?:d[oa]\s+)?(?:escritorio|firma|empresa|clinica|consultorio|agencia"
    r"|atelier|estudio)))\b.*"
)
# Health conditions a user states ("I have asthma", "tenho rinite", "sou diabética"), as said
# after "I have"/"tenho" (CONDITION) or "I'm"/"sou" (CONDITION_ADJECTIVE); accent-folded.
CONDITION = (
    r"(?:(?:type\s+[12]\s+)?diabetes|asthma|migraines?|hay\s+fever|high\s+blood\s+pressure"
    r"|hypertension|c(?:o)?eliac\s+disease|eczema|psoriasis|arthritis|epilepsy|anxiety"
    r"|depression|adhd|a\s+(?:bad\s+)?back|(?:a\s+)?(?:lactose|gluten)\s+intolerance"
    r"|diabetes(?:\s+tipo\s+[12])?|asma|enxaquecas?|rinite(?:\s+alergica)?|sinusite|bronquite"
    r"|pressao\s+alta|hipertensao|doenca\s+celiaca|artrite|epilepsia|gastrite|ansiedade"
    r"|depressao|dermatite|intolerancia\s+(?:a|à)\s+(?:lactose|gluten))\b"
)
CONDITION_ADJECTIVE = (
    r"(?:diabetic|asthmatic|c(?:o)?eliac|epileptic|an(?:a)?emic|(?:lactose|gluten)\s+intolerant"
    r"|diabetic[oa]|asmatic[oa]|celiac[oa]|hipertens[oa]|epileptic[oa]|anemic[oa]"
    r"|intolerante\s+(?:a|à)\s+(?:lactose|gluten)|colou?r[\s-]?blind|daltonic[oa])\b"
)
# Sports and pastimes people mention in passing ("off to badminton with my cousins", "aula de
# forró hoje"): a statement naming one is evidence of a hobby (accent-folded).
HOBBY = (
    r"(?:football|soccer|rugby|cricket|tennis|badminton|squash|padel|pickleball|basketball"
    r"|volleyball|baseball|softball|hockey|(?:disc\s+)?golf|netball|handball|futsal|swim\w*"
    r"|jogging|marathons?|parkrun|cycling|biking|mountain\s+bik\w+|climbing|bouldering"
    r"|hiking|hillwalking|munros?|trekking|yoga|pilates|crossfit|boxing|kickboxing|karate|judo"
    r"|jiu[\s-]?jitsu|capoeira|fencing|rowing|kayak\w*|canoe\w*|surf\w*|bodyboard\w*|skat\w+"
    r"|ski(?:ing)?|snowboard\w*|sailing|fishing|chess|salsa|tango|forro|samba|ballet|danc\w+"
    r"|zumba|gardening|photography|painting|knitting|crochet|birdwatching|baking|pottery"
    r"|guitar|piano|drums|choir|futevolei|volei|corrida|natacao|ciclismo|escalada|caminhad\w+"
    r"|trilhas?|musculacao|academia|ginasio|gym|remo|vela|pesca\w*|xadrez|tenis|futebol"
    r"|basquete\w*|andebol|handebol|hoquei|luta|muay\s+thai|btt|jardinagem|fotografia|pintura"
    r"|trico|croche|violao|guitarra|bateria|coro|danca)\b"
)
# Drinks and foods a preference names ("a bica de manhã", "Earl Grey, can't stand coffee").
DRINK = (
    r"(?:coffee|tea|flat\s+white|latte|espresso|cappuccino|earl\s+grey|chai|matcha|beer|wine"
    r"|cider|whisky|whiskey|gin|juice|smoothie|kombucha|cocoa|hot\s+chocolate|cafe\w*|cha"
    r"|chimarrao|mate|terere|guarana|bica|galao|meia\s+de\s+leite|cerveja|vinho|suco|sumo"
    r"|caipirinha|agua\s+de\s+coco|cha\s+\w+|refrigerante)\b"
)
# Work said without "I work as": the trade's nouns and the workplaces' (English; Portuguese
# professions are caught by PROFESSION's endings).
JOB_WORDS = (
    r"(?:nurse|doctor|gp|surgeon|teacher|lecturer|professor|engineer|developer|programmer"
    r"|driver|electrician|plumber|pharmacist|chef|cook|baker|lawyer|solicitor|accountant"
    r"|analyst|designer|researcher|architect|mechanic|firefighter|paramedic|vet|dentist"
    r"|physio\w*|carpenter|builder|farmer|pilot|journalist|writer|photographer|barista"
    r"|waiter|waitress|cashier|manager|consultant|scientist|librarian|cleaner|midwife"
    r"|therapist|psychologist|social\s+worker|police\w*|soldier|student|intern|freelanc\w+"
    r"|technician|surveyor|hygienist|biologist|chemist|executive|officer|assistant|clerk"
    r"|receptionist|administrator|coordinator|supervisor|director|lead|sparky|tradie|optician"
    r"|self[\s-]employed|drive\s+a\s+(?:bus|cab|taxi|truck|lorry|van)|motorista|enfermeir\w"
    r"|professor\w*|plantao|turno|escala|actuary|dispatcher|agronomist|ranger|sommelier"
    r"|instructor|translator|interpreter|tutor|broker|banker|courier|carer|caregiver"
    r"|[a-z]+maker|merchandiser|tailor|shearer|reporter|stenographer|phlebotomist)\b"
)
# A move's direction, between the verb and "to"/"in": "moved down to Cork", "relocated up
# north to", "moved through to Glasgow", "we're up in Auckland", "moved into Leeds".
AWAY = (
    r"(?:(?:up|down|over|out|back|through|across)\s+(?:(?:north|south|east|west)\s+)?"
    r"|in\s*(?=to\b))?"  # "moved in to Truro", "we moved into Leeds"
)
