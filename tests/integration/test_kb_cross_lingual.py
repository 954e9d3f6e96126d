"""Knowledge-base questions across languages, over real Postgres: the page that answers wins.

A question's words are stemmed in its language and only meet passages written in it; a
page in the other language is found by meaning alone. That silence must not sink it below
a page of the question's language that merely shares its words.
"""

from __future__ import annotations

import uuid

import pytest

from graph.resources import Resources
from graph.routing import decision
from storage.identity import Identity
from tests.support import index_texts as index

pytestmark = pytest.mark.integration

# A recipe app's help pages, each chunk one topic; English and Portuguese pages side by side.
ENGLISH = [
    "Printing a recipe card: open the recipe and press Ctrl+Alt+P. Cards print on A5 paper "
    "unless you pick another size under Preferences > Printing.",
    "Muting the oven timer: open Settings > Sounds and switch off Timer alarm. The timer "
    "still counts down and shows a banner when it ends.",
    "Your recipes sync between the phone and the tablet every few minutes while the app is "
    "open; a grey cloud means the last sync has not finished yet.",
    "Recipes can be tagged with a cuisine and a course, and the list can be filtered by tag.",
    "A recipe's history keeps every earlier version of the recipe for 30 days; open the "
    "recipe's menu and choose History to bring one back.",
    "Deleted recipes wait in the bin for two weeks before they are gone for good.",
    "Shopping lists are made from a recipe's ingredients: tap Add to list on any recipe.",
    "Recipe books can be exported as a PDF from the book's menu, one recipe per page.",
]
PORTUGUESE = [
    "Cada receita guarda a data em que foi criada e a data da última alteração; veja as "
    "duas em Detalhes da receita, com o autor da receita e o número de porções.",
    "A balança da cozinha liga-se por Bluetooth: ligue a balança, abra a receita e toque "
    "em Pesar ingredientes. A balança desliga-se sozinha depois de dois minutos parada.",
    "Para convidar a família para um livro de receitas, abra o livro e escolha Partilhar; "
    "cada pessoa recebe um convite por email.",
    "As fotografias dos pratos ficam anexadas à receita e contam para o espaço da conta.",
    "Uma receita pode ter várias versões: a versão anterior da receita fica guardada e pode "
    "ser recuperada no menu da receita.",
    "As receitas apagadas ficam no lixo durante duas semanas e depois desaparecem.",
    "Cada ingrediente da receita pode ir para a lista de compras com um toque.",
    "O modo de cozinhar mantém o ecrã ligado e mostra a receita passo a passo, com letra grande.",
]


@pytest.fixture(scope="module")
async def bilingual_tenant(resources: Resources) -> str:
    tenant = f"kbx-{uuid.uuid4().hex[:8]}"
    await index(resources, tenant, "help-en.txt", ENGLISH)
    await index(resources, tenant, "ajuda-pt.txt", PORTUGUESE)
    return tenant


async def passages(res: Resources, tenant: str, question: str, language: str) -> list[str]:
    """Return the knowledge base's passages for `question`, best first."""
    ident = Identity(tenant_id=tenant, user_id=f"u-{uuid.uuid4().hex[:8]}", thread_id="t")
    route = {**decision("hybrid", "test", {}), "sources": ["knowledge_base"]}
    found = await res.retriever.retrieve(ident, question, route, fetch_k=20, language=language)
    return [c["content"] for c in found]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # The English pages share "recipe", "step", "book" with it; the Portuguese one answers.
        ("Can the screen stay on while I follow a recipe step by step?", "ecrã ligado"),
        ("Do the photos of my dishes use up my account's storage space?", "fotografias"),
    ],
)
async def test_an_english_question_is_answered_first_by_the_portuguese_page(
    resources: Resources, bilingual_tenant: str, question: str, answer: str
):
    assert answer in (await passages(resources, bilingual_tenant, question, "en"))[0]


async def test_a_portuguese_question_reaches_the_english_page_past_pages_sharing_its_words(
    resources: Resources, bilingual_tenant: str
):
    # Every Portuguese page says "receita"; the English one that answers shares no word.
    # It is among the passages handed to the answer, where the answer orders passages of
    # two languages by meaning.
    found = await passages(
        resources, bilingual_tenant, "Como imprimo a ficha de uma receita?", "pt"
    )
    assert any("Ctrl+Alt+P" in text for text in found[:3])


async def test_a_question_still_prefers_its_own_languages_page_when_both_answer(
    resources: Resources, bilingual_tenant: str
):
    # Words shared with the question still count where the question could meet them.
    found = await passages(
        resources, bilingual_tenant, "How often do my recipes sync to the tablet?", "en"
    )
    assert "grey cloud" in found[0]
