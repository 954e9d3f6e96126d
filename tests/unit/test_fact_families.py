"""Phrasing families the offline extractor reads since session 12, in English and Portuguese.

Each family is tested with phrasings of its own (none from the chat eval sets), and with the
look-alikes that must stay fact-free, so a wider rule does not store a wrong value.
"""

import pytest

from memory.fact_extraction import extract_facts
from memory.fact_questions import asked_attributes


def pairs(message: str) -> list[tuple[str, str]]:
    return [(f.attribute, f.value) for f in extract_facts(message)]


@pytest.mark.parametrize(
    ("message", "attribute", "value"),
    [
        # a household's home, said "a gente mora" or "moved in to / into"
        ("A gente mora em Niterói faz dois anos.", "home", "Niterói"),
        ("Desde que a gente mora em Maricá o trânsito piorou.", "home", "Maricá"),
        ("a gente agora vive no Crato, perto da serra", "home", "Crato"),
        ("We moved into Swansea in March.", "home", "Swansea"),
        ("Ever since we moved in to Truro the commute is a dream.", "home", "Truro"),
        # a workplace said as where the user now is: a foundation, a co-op, a council
        (
            "Agora que estou na Cooperativa Vale Verde, saio mais cedo.",
            "workplace",
            "Cooperativa Vale Verde",
        ),
        (
            "Desde que tô na Associação Mãos Dadas, o horário mudou.",
            "workplace",
            "Associação Mãos Dadas",
        ),
        # a new partner after a break-up said the way people talk
        ("Me and Dev are done, I seeing Kofi now.", "partner", "Kofi"),
        ("me and Leroy done for good, I seeing Marcus now", "partner", "Marcus"),
        ("Dean and me split up, I dating Aaron these days", "partner", "Aaron"),
        # the name first, then the relation
        ("Declan's my husband, he does the cooking.", "partner", "Declan"),
        ("Priscila é a minha esposa desde 2010.", "partner", "Priscila"),
        ("O Vasco é o meu noivo, casamos em maio.", "partner", "Vasco"),
        ("Bella is our beagle and she hates the postman.", "pet", "Bella"),
        # an animal the user has, named after it
        ("We've got a wee rescue greyhound called Nessie.", "pet", "Nessie"),
        ("we have a hamster, his name is Nibbles", "pet", "Nibbles"),
        ("Tenho outra gata, a Mimi, que dorme o dia todo.", "pet", "Mimi"),
        ("Temos uma vaca leiteira, a Estrela, que dá vinte litros.", "pet", "Estrela"),
        ("I've got a goldfish called Bubbles.", "pet", "Bubbles"),
    ],
)
def test_each_family_gives_its_fact(message, attribute, value):
    assert (attribute, value) in pairs(message)


@pytest.mark.parametrize(
    ("message", "attribute"),
    [
        # a flat is no town; a hobby is no home
        ("We moved into a bigger flat last month.", "home"),
        ("Agora que estou na Cooperativa Vale Verde, saio mais cedo.", "home"),
        # "e" is "and", a relative's relative is not the user's
        ("O Rui e a minha irmã vêm jantar.", "family:sister"),
        ("Tom is my husband's brother.", "partner"),
        ("This is my dog, look.", "pet"),
        # someone else's animal, a person the user has, a wish
        ("My sister has a cat, Tigger.", "pet"),
        ("I have a dog walker, Sam, who comes at noon.", "pet"),
        ("If we get a puppy, Milo would be his name.", "pet"),
        # work done is no pastime; a golf handicap is no job; "na mesma" is no game
        ("Sou padeira, faço broas e bolos de aniversário.", "hobby"),
        ("I'm a dispatcher now, I do the late loads and the rota.", "hobby"),
        ("I do the invoice chasing for the whole office.", "hobby"),
        ("Eu cá só faço o pão, a minha irmã é que vende.", "hobby"),
        ("Jogo na mesma, chova ou faça sol.", "hobby"),
        ("I'm a 12 handicap these days.", "job"),
        ("I'm seeing the physio on Friday.", "job"),
    ],
)
def test_look_alikes_give_no_such_fact(message, attribute):
    assert attribute not in [a for a, _ in pairs(message)]


@pytest.mark.parametrize(
    ("message", "value"),
    [
        ("I'm a nurse and I do pottery at weekends.", "pottery"),
        ("Sou enfermeira e faço natação.", "natação"),
        ("I do yoga before work.", "yoga"),
    ],
)
def test_a_pastime_beside_the_users_job_is_still_a_hobby(message, value):
    assert ("hobby", value) in pairs(message)


def test_a_partner_named_first_in_portuguese_reads_back_in_portuguese():
    (fact,) = [f for f in extract_facts("A Joana é a minha mulher há vinte anos.")]
    assert fact.attribute == "partner"
    assert "usuário" in fact.text and "Joana" in fact.text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # the trade after the word for work, and where it is held
        (
            "Since you ask about my job: warehouse supervisor at Dunmore Freight.",
            [("job", "warehouse supervisor"), ("workplace", "Dunmore Freight")],
        ),
        (
            "O meu trabalho: rececionista no Hotel Baía, turnos da noite.",
            [("job", "rececionista"), ("workplace", "Hotel Baía")],
        ),
        (
            "I work shift supervisor at Kestrel Foods, mostly lates.",
            [("job", "shift supervisor"), ("workplace", "Kestrel Foods")],
        ),
        ("O meu trabalho é de caixa, numa loja de bairro.", [("job", "caixa")]),
        (
            "Sou assessor de imprensa na Vidraria Lusa.",
            [("job", "assessor de imprensa"), ("workplace", "Vidraria Lusa")],
        ),
        # "in" before a workplace's own word, a bulleted profile
        (
            "I'm a senior carer in Larkfield Nursing Home.",
            [("job", "senior carer"), ("workplace", "Larkfield Nursing Home")],
        ),
        (
            "About me:\n- job: receptionist\n- husband: Osei",
            [("job", "receptionist"), ("partner", "Osei")],
        ),
        # introductions with where the user writes from, and a name signed with a kiss
        (
            "Boa tarde! Cá a Marta, do Barreiro. Preciso de uma lista.",
            [("name", "Marta"), ("home", "Barreiro")],
        ),
        (
            "Chris speaking, from Derby. Quick one about lists.",
            [("name", "Chris"), ("home", "Derby")],
        ),
        (
            "hiya this is Kerry-Ann from Mandeville up in the hills, need help",
            [("name", "Kerry-Ann"), ("home", "Mandeville")],
        ),
        ("Can I share a list with my sister? Thanks a million. Shauna x", [("name", "Shauna")]),
    ],
)
def test_work_labels_and_introductions(message, expected):
    found = pairs(message)
    assert all(pair in found for pair in expected), found


@pytest.mark.parametrize(
    ("message", "attribute"),
    [
        ("I'm a nurse in Leeds, on the wards.", "workplace"),
        ("My job is a nightmare this month.", "job"),
        ("O trabalho é de loucos esta semana.", "job"),
        ("Cheers for that. Sorted x", "name"),
        ("All done now. Lovely x", "name"),
    ],
)
def test_work_and_introduction_look_alikes_give_nothing(message, attribute):
    assert attribute not in [a for a, _ in pairs(message)]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Agora ando a namorar o Caetano, veja lá.", ("partner", "Caetano")),
        ("Tou namorando a Luíza desde o carnaval.", ("partner", "Luíza")),
        ("Priya, the wife, says the app is great.", ("partner", "Priya")),
        ("Hello, here is Małgorzata, I write from Cork.", ("name", "Małgorzata")),
        ("Fala! Aqui é o Jefferson, lá do Jardim Ângela.", ("home", "Jardim Ângela")),
        ("Olá, sou a Bia, cá de Setúbal.", ("home", "Setúbal")),
    ],
)
def test_partners_names_and_homes_said_loosely(message, expected):
    assert expected in pairs(message)


@pytest.mark.parametrize(
    ("message", "attribute"),
    [
        ("Mark, the plumber, came round today.", "partner"),
        ("Here is the list I promised you.", "name"),
    ],
)
def test_loose_look_alikes_give_nothing(message, attribute):
    assert attribute not in [a for a, _ in pairs(message)]


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("O Trovão, o meu cavalo lusitano, ganhou a prova.", "cavalo lusitano"),
        ("Temos uma cadela perdigueira, a Pimenta, que caça tudo.", "cadela perdigueira"),
    ],
)
def test_a_portuguese_pet_keeps_the_breed_said_after_the_animal(message, kind):
    (fact,) = [f for f in extract_facts(message) if f.attribute == "pet"]
    assert f"({kind})" in fact.text


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("A minha mina, a Thaís, faz faculdade de direito", "Thaís"),
        ("Minha mina se chama Luana, ela que me mostrou o app", "Luana"),
    ],
)
def test_a_girlfriend_called_minha_mina_is_the_partner_and_asked_as_one(said, value):
    assert [(f.attribute, f.value) for f in extract_facts(said)] == [("partner", value)]
    assert "partner" in asked_attributes("e a minha mina, como se chama?")
    assert extract_facts("Trabalhei numa mina de carvão em Aljustrel") == []
