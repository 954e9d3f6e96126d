"""A first-person question about the product is answered from the manual, not from memory.

"Which cards can I use?" says "I", yet what the product allows the user is the knowledge
base's to say: read as about the user, it was answered "you haven't told me". The real
default embedding model and the shipped attribute weights read the questions; none of
these sentences are in the chat eval sets.
"""

from __future__ import annotations

import pytest

from tests.answers import answer, page
from tests.answers import said as _said

PAYMENT = page(
    "k1",
    "## Paying for a plan\n\nWe accept Visa, Mastercard and American Express credit and debit "
    "cards, and PayPal. Prepaid cards are not accepted.",
    0.4,
    0.3,
)
RENEWAL = page(
    "k2",
    "## Student discount\n\nThe student price lasts one year. At renewal the plan is charged "
    "at the regular price unless you verify your student status again.",
    0.4,
    0.3,
)
PAGAMENTO = page(
    "k3",
    "## Pagamento\n\nAceitamos cartões de crédito e de débito Visa e Mastercard, e PayPal. "
    "Cartões pré-pagos não são aceites.",
    0.4,
    0.3,
)
TOLD = _said("m1", "I'm a nurse on night shifts, so I take notes at odd hours.", 0.3)
CONTADO = _said("m1", "Sou enfermeira e trabalho de noite, anoto tudo no telemóvel.", 0.3)

CASES = [
    ("What kinds of card can I use to pay for Plus?", [TOLD, PAYMENT], "Visa"),
    (
        "I signed up with the student discount. Will it renew at that price?",
        [TOLD, RENEWAL],
        "regular price",
    ),
    ("Que cartões é que eu posso usar para pagar?", [CONTADO, PAGAMENTO], "Visa"),
]


@pytest.mark.parametrize(("question", "context", "expected"), CASES)
def test_the_manual_answers_what_the_product_allows_the_user(
    model, classifier, question, context, expected
):
    _, citations = answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], citations


def test_what_the_user_told_is_still_asked_of_memory(model, classifier):
    # "I told you" asks the user's past, whatever the product could do.
    context = [_said("m1", "My favourite pen is a blue Lamy Safari.", 0.4), PAYMENT]
    _, citations = answer(
        model, classifier, "Which pen did I tell you I can't live without?", context
    )
    assert citations and "Lamy" in citations[0]["snippet"], citations


@pytest.mark.parametrize(
    ("question", "told", "expected"),
    [
        (
            "Which sweet can I never turn down?",
            "I can never turn down a slice of baklava.",
            "baklava",
        ),
        ("Que fruta eu não posso comer?", "Tenho alergia a kiwi, não posso nem tocar.", "kiwi"),
    ],
)
def test_a_limit_of_the_users_own_is_asked_of_memory(model, classifier, question, told, expected):
    # "Can I never…", "não posso…" ask what the user told of themselves, not the product.
    context = [_said("m1", told, 0.4), PAYMENT]
    _, citations = answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], citations


YEARLY = page(
    "k4",
    "## Switching to yearly billing\n\nThe yearly price starts at your next renewal date; "
    "until then the monthly plan runs as before.",
    0.4,
    0.3,
)
ABROAD = page(
    "k5",
    "## Reminders while travelling\n\nReminders arrive as push notifications in the local "
    "time of the device, wherever it is.",
    0.4,
    0.3,
)
DICTATION = page(
    "k6",
    "## Dictation\n\nDictation detects the spoken language by itself among 30 languages; "
    "there is nothing to set.",
    0.4,
    0.3,
)
PRECO = page(
    "k7",
    "## Mudar de plano\n\nO novo preço é cobrado a partir da próxima renovação; até lá "
    "continua a pagar o plano atual.",
    0.4,
    0.3,
)
ESTUDANTE = page(
    "k8",
    "## Desconto de estudante\n\nA condição de estudante é verificada uma vez por ano, "
    "com um e-mail da escola.",
    0.4,
    0.3,
)


@pytest.mark.parametrize(
    ("question", "context", "expected"),
    [
        # The "I" only sets the scene; something of the product is what is asked.
        (
            "If I switch to the yearly plan, when does the new price start?",
            [YEARLY, TOLD],
            "renewal",
        ),
        ("When I go abroad, how will the reminders reach me?", [ABROAD, TOLD], "push"),
        (
            "Se eu mudar de plano, a partir de quando pago o novo preço?",
            [PRECO, CONTADO],
            "renovação",
        ),
        # What the product requires of the user.
        ("Do I need to tell the dictation which language I'm speaking?", [DICTATION, TOLD], "30"),
        (
            "Tenho de voltar a provar que sou estudante todos os anos?",
            [ESTUDANTE, CONTADO],
            "uma vez por ano",
        ),
    ],
)
def test_a_first_person_that_only_sets_the_scene_asks_the_manual(
    model, classifier, question, context, expected
):
    reply, citations = answer(model, classifier, question, context)
    assert citations and expected in citations[0]["snippet"], reply.text


def test_a_question_about_the_user_after_a_scene_is_still_asked_of_memory(model, classifier):
    # The scene is the user's, and so is what is asked: "which sport do I play?".
    context = [_said("m1", "On Sundays I play hurling with the club.", 0.4), YEARLY]
    question = "When I'm off on a Sunday, which sport do I play?"
    _, citations = answer(model, classifier, question, context)
    assert citations and "hurling" in citations[0]["snippet"], citations
