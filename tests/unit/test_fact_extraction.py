import dataclasses

import pytest

from memory.fact_extraction import ExtractedFact, extract_facts


def pairs(message: str) -> list[tuple[str, str]]:
    return [(f.attribute, f.value) for f in extract_facts(message)]


@pytest.mark.parametrize(
    ("message", "attribute", "value"),
    [
        # name
        ("my name is Ana", "name", "Ana"),
        ("My name's Ana Maria.", "name", "Ana Maria"),
        ("I'm called Ana", "name", "Ana"),
        ("call me Ana", "name", "Ana"),
        ("o meu nome é Ana", "name", "Ana"),
        ("meu nome é Ana", "name", "Ana"),
        ("meu nome e Ana", "name", "Ana"),
        ("chamo-me Ana", "name", "Ana"),
        ("me chamo Ana", "name", "Ana"),
        ("eu me chamo Ana", "name", "Ana"),
        ("Olá, chamo-me João!", "name", "João"),
        # home
        ("I live in Porto", "home", "Porto"),
        ("I moved to Lisbon", "home", "Lisbon"),
        ("I've moved to Lisbon", "home", "Lisbon"),
        ("I have been living in Faro", "home", "Faro"),
        ("I’ve moved to Lisbon", "home", "Lisbon"),
        ("I just moved to Lisbon", "home", "Lisbon"),
        ("I'm based in Berlin", "home", "Berlin"),
        ("I relocated to New York City", "home", "New York City"),
        ("moro em Lisboa", "home", "Lisboa"),
        ("moro no Porto", "home", "Porto"),
        ("vivo em Lisboa", "home", "Lisboa"),
        ("vivo no Porto", "home", "Porto"),
        ("mudei-me para Lisboa", "home", "Lisboa"),
        ("me mudei para Lisboa", "home", "Lisboa"),
        ("mudei para Lisboa", "home", "Lisboa"),
        ("MORO EM ÉVORA", "home", "ÉVORA"),
        ("I live in Rio de Janeiro", "home", "Rio de Janeiro"),
        # workplace
        ("I work at Acme", "workplace", "Acme"),
        ("I work for Acme", "workplace", "Acme"),
        ("trabalho na Acme", "workplace", "Acme"),
        ("trabalho no Banco X", "workplace", "Banco X"),
        ("trabalho em Sintra", "workplace", "Sintra"),
        ("trabalho para a Acme", "workplace", "Acme"),
        # job
        ("I am a nurse", "job", "nurse"),
        ("I'm a software engineer", "job", "software engineer"),
        ("I'm an architect", "job", "architect"),
        ("I work as a nurse", "job", "nurse"),
        ("trabalho como enfermeira", "job", "enfermeira"),
        # age
        ("I am 34 years old", "age", "34"),
        ("I'm 34", "age", "34"),
        ("tenho 34 anos", "age", "34"),
        # preference
        ("I prefer tea", "preference", "tea"),
        ("I like jazz", "preference", "jazz"),
        ("I love hiking", "preference", "hiking"),
        ("I'm a big fan of Radiohead", "preference", "Radiohead"),
        ("prefiro chá", "preference", "chá"),
        ("eu prefiro chá", "preference", "chá"),
        ("gosto de jazz", "preference", "jazz"),
        ("adoro caminhadas", "preference", "caminhadas"),
        # favourite
        ("my favourite colour is green", "favourite:colour", "green"),
        ("My favorite food is sushi!", "favourite:food", "sushi"),
        ("a minha cor favorita é verde", "favourite:cor", "verde"),
        ("minha cor preferida é verde", "favourite:cor", "verde"),
        # language
        ("I speak Portuguese", "language", "Portuguese"),
        ("falo português", "language", "português"),
        # fillers before the statement
        ("Well, I live in Porto", "home", "Porto"),
        ("btw I work at Acme", "workplace", "Acme"),
        ("by the way, my name is Ana", "name", "Ana"),
        ("Então, moro em Braga", "home", "Braga"),
        ("aliás, trabalho na Sonae", "workplace", "Sonae"),
        ("hi, I'm 34", "age", "34"),
        ("actually I'm 34", "age", "34"),
        ("e também gosto de jazz", "preference", "jazz"),
    ],
)
def test_a_clear_self_statement_gives_its_fact(message, attribute, value):
    assert pairs(message) == [(attribute, value)]


@pytest.mark.parametrize(
    ("message", "value"),
    [
        ("I live in Porto now", "Porto"),
        ("I moved to Lisbon last week", "Lisbon"),
        ("I moved to Lisbon this year.", "Lisbon"),
        ("I moved to Lisbon two years ago", "Lisbon"),
        ("I moved to Lisbon in 2020", "Lisbon"),
        ("mudei-me para Lisboa há dois meses", "Lisboa"),
        ("I live in Lisbon with my wife", "Lisbon"),
        ("I live in Lisbon since March", "Lisbon"),
        ("I live in Lisbon because of work", "Lisbon"),
        ("I live in Lisbon, Portugal", "Lisbon"),
        ("I live in Lisbon!", "Lisbon"),
        ("moro no Porto agora", "Porto"),
        ("moro em Lisboa desde 2020", "Lisboa"),
        ("moro em Lisboa com a minha mulher", "Lisboa"),
        ("vivo em Lisboa porque gosto do mar", "Lisboa"),
        ("vivo em Lisboa mas trabalho fora", "Lisboa"),
    ],
)
def test_a_value_stops_before_trailing_words(message, value):
    # The value stops where the statement does; a reason that states more is a fact of its own.
    assert pairs(message)[0] == ("home", value)
    assert all(attribute != "home" for attribute, _ in pairs(message)[1:])


def test_trailing_words_trim_other_attributes_too():
    assert pairs("I work at Acme as an engineer") == [("workplace", "Acme")]
    assert pairs("I like jazz a lot") == [("preference", "jazz")]
    assert pairs("I'm a nurse at the local hospital") == [("job", "nurse")]


def test_a_value_keeps_the_users_casing_and_accents():
    assert pairs("MY NAME IS José") == [("name", "José")]
    assert pairs("moro em São Paulo") == [("home", "São Paulo")]


def test_a_value_longer_than_five_words_or_without_a_word_is_rejected():
    assert pairs("I live in the big old yellow house near Gaia") == []
    assert pairs("I live in a very small house") == []  # "a", cut at "very"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("My name is Ana and I live in Porto.", [("name", "Ana"), ("home", "Porto")]),
        ("I'm called Ana. I work at Acme!", [("name", "Ana"), ("workplace", "Acme")]),
        ("moro em Lisboa e trabalho na Acme", [("home", "Lisboa"), ("workplace", "Acme")]),
        ("chamo-me Ana; tenho 34 anos", [("name", "Ana"), ("age", "34")]),
        ("I like jazz\nI speak Portuguese", [("preference", "jazz"), ("language", "Portuguese")]),
        ("I don't live in Porto, but I work at Acme", [("workplace", "Acme")]),
        ("Where do I live? I work at Acme.", [("workplace", "Acme")]),
        ("I'm a teacher, and I love my job", [("job", "teacher")]),
        ("Não, moro em Lisboa", [("home", "Lisboa")]),
    ],
)
def test_each_statement_in_a_message_gives_its_own_fact(message, expected):
    assert pairs(message) == expected


def test_the_same_fact_is_kept_once_per_message():
    assert pairs("I live in Porto. I live in porto!") == [("home", "Porto")]
    assert pairs("I like jazz. I prefer tea.") == [("preference", "jazz"), ("preference", "tea")]


@pytest.mark.parametrize(
    "message",
    [
        # questions
        "where do I live?",
        "do you know where I live?",
        "do you know where I live",
        "What's my name",
        "I live in Porto?",
        "onde é que eu moro?",
        "você sabe onde eu moro",
        "sabes onde moro",
        "qual é o meu nome",
        "Can you tell me where I work",
        # negations
        "I don't live in Porto",
        "I do not live in Porto",
        "I never lived in Porto",
        "I'm not a nurse",
        "I no longer work at Acme",
        "não moro em Lisboa",
        "eu não moro no Porto",
        "nunca morei no Porto",
        "I don't like jazz",
        "não gosto de jazz",
        # hypotheticals
        "if I lived in Porto",
        "If I moved to Lisbon I would be happier",
        "se eu morasse no Porto",
        "I'd like to move to Lisbon",
        "I want to live in Porto",
        "Imagine I'm 34 and I live in Porto",
        "Se me mudar para Lisboa, trabalho na Acme",
        "Quando for para Lisboa, trabalho na Acme",
        "Do you remember, I work at Acme",
        # other people
        "my friend lives in Porto",
        "my wife lives in Porto",
        "a minha mãe mora em Lisboa",
        "minha mãe mora em Lisboa",
        "my wife's name is Ana",
        "my friend's favourite colour is green",
        "He works at Acme",
        "She's a nurse",
        "o meu irmão trabalha na Acme",
        "ele chama-se Pedro",
        # the past
        "I used to live in Porto",
        "vivia no Porto",
        "morei no Porto",
        # not facts
        "I like it",
        "I love you",
        "call me back later",
        "I'm a bit tired",
        "I have like three cats",
        "I'm a morning person",
        "I'm 5 minutes away",
        "tenho 3 anos de experiência",
        "I work at home",
        "trabalho em casa",
        "falo com a minha mãe",
        "I live in",
        "hello there",
        "",
    ],
)
def test_no_fact_from_questions_negations_hypotheticals_or_others(message):
    assert extract_facts(message) == []


@pytest.mark.parametrize(
    ("message", "text", "single_valued"),
    [
        ("my name is Ana", "The user's name is Ana.", True),
        ("I moved to Lisbon", "The user lives in Lisbon.", True),
        ("I work at Acme", "The user works at Acme.", True),
        ("I work as a nurse", "The user works as a nurse.", True),
        ("I'm a nurse", "The user is a nurse.", True),
        ("I'm 34", "The user is 34 years old.", True),
        ("tenho 34 anos", "O usuário tem 34 anos.", True),
        ("I like jazz", "The user likes jazz.", False),
        ("I prefer tea", "The user prefers tea.", False),
        ("my favourite colour is green", "The user's favourite colour is green.", True),
        ("a minha cor favorita é verde", "Favorito do usuário (cor): verde.", True),
        ("I speak Portuguese", "The user speaks Portuguese.", False),
        ("falo português", "O usuário fala português.", False),
    ],
)
def test_text_and_single_valued(message, text, single_valued):
    [fact] = extract_facts(message)
    assert (fact.text, fact.single_valued) == (text, single_valued)


def test_extracted_fact_is_frozen():
    fact = ExtractedFact("home", "Porto", "The user lives in Porto.", True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.value = "Lisbon"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("message", "attribute", "value"),
    [
        # identity, in greetings and sign-offs
        ("Hi! I'm Priya, first time here.", "name", "Priya"),
        ("Hello, this is Tomás from accounts.", "name", "Tomás"),
        ("Oi, aqui é o Lucas!", "name", "Lucas"),
        ("Olá, sou a Beatriz.", "name", "Beatriz"),
        ("Rafa aqui, tudo certo?", "name", "Rafa"),
        # home and moves, one person or a household
        ("We've just moved to Manchester.", "home", "Manchester"),
        ("we live in Galway these days", "home", "Galway"),
        ("Mudámos para Coimbra em março.", "home", "Coimbra"),
        ("nos mudamos pra Curitiba", "home", "Curitiba"),
        ("I'm from Dublin originally.", "hometown", "Dublin"),
        ("sou de Recife", "hometown", "Recife"),
        # work and employer
        ("I've been working at Lumen Labs for six years.", "workplace", "Lumen Labs"),
        ("Sou enfermeira há dez anos.", "job", "enfermeira"),
        ("sou engenheiro informático", "job", "engenheiro informático"),
        # health
        ("Just so you know, I'm allergic to penicillin.", "allergy", "penicillin"),
        ("I have a peanut allergy", "allergy", "peanut"),
        ("Tenho alergia a camarão.", "allergy", "camarão"),
        ("sou alérgica ao glúten", "allergy", "glúten"),
        # pets
        ("My cat Mochi keeps stepping on the keyboard.", "pet", "Mochi"),
        ("I have a dog named Rex.", "pet", "Rex"),
        ("meu cachorro se chama Thor", "pet", "Thor"),
        ("O meu cão chama-se Bolinha.", "pet", "Bolinha"),
        ("tenho uma gata chamada Mia", "pet", "Mia"),
        # partner and family
        ("My husband Dev wants a shared list.", "partner", "Dev"),
        ("my girlfriend is called Ana", "partner", "Ana"),
        ("A minha namorada chama-se Sofia.", "partner", "Sofia"),
        ("O meu marido é o Paulo.", "partner", "Paulo"),
        ("My sister Ana lives in Coimbra.", "family:sister", "Ana"),
        # the wider family and a partner however named (`text.kin`, one list for every reader)
        ("My cousin Tasha keeps a parrot.", "family:cousin", "Tasha"),
        ("o meu cunhado Edinho também é pedreiro", "family:brother-in-law", "Edinho"),
        ("Ciaran, my other half, says hello.", "partner", "Ciaran"),
        # hobbies and sports
        ("I play tennis on Saturdays.", "hobby", "tennis"),
        ("I go bouldering most weekends.", "hobby", "bouldering"),
        ("jogo futebol às quintas", "hobby", "futebol"),
        ("faço corrida ao domingo", "hobby", "corrida"),
        ("pratico ioga", "hobby", "ioga"),
        # a statement inside a longer sentence
        ("Busy week — I work as a nurse, so shifts are long.", "job", "nurse"),
        ("remind them that I'm allergic to latex", "allergy", "latex"),
    ],
)
def test_common_phrasings_of_each_family_give_their_fact(message, attribute, value):
    assert (attribute, value) in pairs(message)


@pytest.mark.parametrize(
    "message",
    [
        "I'm tired",
        "I'm going to bed",
        "I'm not sure",
        "sou casada",
        "My sister's dog is called Rex.",
        "Is my cat called Mochi?",
        "I don't play tennis anymore.",
        "my dog is very sweet",
    ],
)
def test_lookalikes_give_no_such_fact(message):
    assert not [p for p in pairs(message) if p[0] in ("name", "pet", "hobby", "job")]


def test_facts_told_in_portuguese_read_back_in_portuguese_under_english_keys():
    [fact] = extract_facts("O meu cão chama-se Bolinha.")
    assert fact.text == "Animal de estimação do usuário (cão): Bolinha."
    assert fact.attribute == "pet"
    [fact] = extract_facts("A minha namorada chama-se Sofia.")
    assert fact.text == "Namorada do usuário: Sofia." and fact.single_valued
    assert fact.attribute == "partner"
    [fact] = extract_facts("Sou diabética, por isso meço a glicemia todos os dias.")
    assert (fact.attribute, fact.text) == ("health", "O usuário é diabética.")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a pet named by its breed keeps the breed and records the animal
        ("Sorry I'm late, my golden retriever Waffles woke me at 5.", ("pet", "Waffles")),
        ("o meu vira-lata Bolinha adora a praia", ("pet", "Bolinha")),
        # a new job or employer, told as news
        ("Big news: I've been made head of design!", ("job", "head of design")),
        ("I got promoted to senior editor last week", ("job", "senior editor")),
        ("Update: I accepted an offer from Kestrel Labs!", ("workplace", "Kestrel Labs")),
        ("Started at Indeed on Monday, new team.", ("workplace", "Indeed")),
        ("fui contratada pela Natura semana passada", ("workplace", "Natura")),
        ("Fui promovido a gerente de loja!", ("job", "gerente de loja")),
        # where the user is, said in passing; "last month" is not part of the place
        ("too hot here in Austin today, heading out", ("home", "Austin")),
        ("frio de rachar aqui em Curitiba hoje", ("home", "Curitiba")),
        ("me mudei pra São Paulo mês passado", ("home", "São Paulo")),
    ],
)
def test_news_breeds_and_places_in_passing_give_their_fact(message, expected):
    assert expected in pairs(message)


def test_a_bred_pet_fact_says_breed_and_animal():
    (fact,) = extract_facts("my ragdoll Miso sleeps all day")
    assert fact.text == "The user has a ragdoll (cat) called Miso."


@pytest.mark.parametrize(
    "message",
    [
        "vivo no photoshop o dia todo",  # a figure of speech, not a home
        "we are here in the office",  # no place named
        "my boxer shorts are blue",  # a breed word, no name
        "I joined the gym",  # not an employer's name
    ],
)
def test_figures_of_speech_and_lookalikes_give_no_home_pet_or_employer(message):
    assert not [a for a, _ in pairs(message) if a in ("home", "pet", "workplace")]


@pytest.mark.parametrize(
    ("message", "name"),
    [
        ("Night shifts again. Priscilla, by the way — forgot to say.", "Priscilla"),
        ("Kofi, btw! does the free plan have a note limit?", "Kofi"),
        ("Tá bom. Ah, Renata, prazer", "Renata"),
        ("Obrigado. Joaquim Sousa, caso precise.", "Joaquim Sousa"),
    ],
)
def test_a_name_signed_in_passing_is_the_users_name(message, name):
    assert ("name", name) in pairs(message)


def test_a_capitalised_day_or_thanks_signed_in_passing_is_no_name():
    assert pairs("Monday, by the way, is a holiday. Thanks, btw!") == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # moves, as said in India, Brazil and Portugal
        ("Namaste! We shifted to Pune last week.", {("home", "Pune")}),
        ("atualização: a gente se mudou pra Campinas!", {("home", "Campinas")}),
        ("Fomos morar em Belo Horizonte em março.", {("home", "Belo Horizonte")}),
        # a job said with where it is held gives both
        (
            "Some news: I'm now a pharmacist at the Queen Elizabeth Hospital.",
            {("job", "pharmacist"), ("workplace", "Queen Elizabeth Hospital")},
        ),
        (
            "Aceitei uma proposta e agora sou chef no Hotel Maré Alta.",
            {("job", "chef"), ("workplace", "Hotel Maré Alta")},
        ),
        (
            "Sou professora na Escola Básica de Celas.",
            {("job", "professora"), ("workplace", "Escola Básica de Celas")},
        ),
        # a new job or a business of one's own
        ("I got a job at Deloitte.", {("workplace", "Deloitte")}),
        ("Left the agency and now I'm running Okoro Studio.", {("workplace", "Okoro Studio")}),
        ("Consegui um emprego na Natura.", {("workplace", "Natura")}),
        ("Eu dou aula no Colégio Santa Maria.", {("workplace", "Colégio Santa Maria")}),
        ("Also I have a severe allergy to peanuts.", {("allergy", "peanuts")}),
        (
            "I resigned from Julius Berger and resumed at Dangote Group.",
            {("workplace", "Dangote Group")},
        ),
        # "X here" is a name only when X is one
        ("Hi, Sunday morning here in Bangalore!", {("home", "Bangalore")}),
        ("Sad week here.", set()),
        (
            "Hello, good afternoon. Myself Shreya, working as MIS executive.",
            {("name", "Shreya"), ("job", "MIS executive")},
        ),
        # a new partner or pet replaces the old one
        ("Mia and I split up. I'm seeing Bec now, she's lovely.", {("partner", "Bec")}),
        ("Estou a namorar com o Tiago há três meses.", {("partner", "Tiago")}),
        ("My new puppy Dusty is chewing everything.", {("pet", "Dusty")}),
        ("O nosso cachorro novo se chama Paçoca.", {("pet", "Paçoca")}),
        ("We adopted a kitten called Mo.", {("pet", "Mo")}),
        ("Now working at Enercon.", {("workplace", "Enercon")}),
        # names and conditions
        ("Hello, Rahul this side. Is Pro charged in rupees?", {("name", "Rahul")}),
        ("I have asthma, so no early runs for me.", {("health", "asthma")}),
        ("Tenho rinite e o frio não ajuda.", {("health", "rinite")}),
        ("I'm diabetic, type 1.", {("health", "diabetic")}),
    ],
)
def test_phrasing_families(message, expected):
    assert {(f.attribute, f.value) for f in extract_facts(message)} == expected


@pytest.mark.parametrize(
    "message",
    [
        "I'm a developer at a startup.",  # no name after "at": no workplace
        "Sou enfermeira no plantão noturno.",
        "I'm a nurse in A&E.",
        "I'm seeing the doctor tomorrow.",
    ],
)
def test_no_named_place_or_person_records_nothing(message):
    assert not [f for f in extract_facts(message) if f.attribute in ("workplace", "partner")]
