"""A change of home, workplace, job or partner, in the phrasings session 13 found unread.

A change the rules do not read leaves the old value standing as the current fact, and the
old value is then quoted first when the user asks what holds now. These families, in English
and Portuguese, each with a look-alike that must stay unread: a move said as a noun ("since
our move to…", "desde a mudança para…"), a move to a workplace ("moved over to the Harbour
Hotel" is an employer, not a town), a transfer by the employer ("mandaram-me para…"), a
change of employer said as "mudei de <anything>", a break-up said in other words ("acabou
tudo", "called it off"), and a job said with "the" and "now".
"""

from __future__ import annotations

import pytest

from memory.fact_extraction import extract_facts


def facts(message: str) -> set[tuple[str, str]]:
    return {(f.attribute, f.value) for f in extract_facts(message)}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a move said as a noun, on the way to something else
        (
            "Since our relocation to Stirling the school run is a nightmare, any tips?",
            {("home", "Stirling")},
        ),
        ("Ever since moving to Penzance I've been swimming daily.", {("home", "Penzance")}),
        (
            "Desde a mudança pra Ilhéus a minha rotina mudou toda.",
            {("home", "Ilhéus")},
        ),
        # a household's home said with "reside" or without its "are"
        ("We reside in Aberystwyth these days, by the pier.", {("home", "Aberystwyth")}),
        ("we livin in Kingstown since the spring", {("home", "Kingstown")}),
        # look-alike: the move of something else
        ("Since the move to the cloud our backups are slower.", set()),
    ],
)
def test_a_move_said_as_a_noun_or_in_passing(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a move to a place whose name says it is a workplace
        (
            "Quick update, I moved over to Ridgeway Dental Clinic, fewer night shifts.",
            {("workplace", "Ridgeway Dental Clinic")},
        ),
        (
            "so I move over to Harbour View Hotel now, better tips",
            {("workplace", "Harbour View Hotel")},
        ),
        ("Mudei-me para a Farmácia Avenida em março.", {("workplace", "Farmácia Avenida")}),
        # a street of the same word is still a home
        ("We moved to Bank Street in June.", {("home", "Bank Street")}),
        ("I moved to Coimbra last year.", {("home", "Coimbra")}),
    ],
)
def test_a_move_to_a_workplace_is_an_employer(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # the employer sent the user to live elsewhere
        (
            "Grande novidade: abriram uma filial no norte e transferiram-me para Bragança.",
            {("home", "Bragança")},
        ),
        (
            "They opened a new branch and relocated us to Darwin, we're settled now.",
            {("home", "Darwin")},
        ),
        # where they are now, after saying they were moved again
        ("The firm moved us again, we in Kirkwall now since May.", {("home", "Kirkwall")}),
        # look-alikes: sent somewhere for a while, moving furniture, a trip
        ("Work sent me to Madrid for a trade fair, back on Thursday.", set()),
        ("We moved the piano, we're in Aldi now for snacks.", set()),
        ("We're in Lucca this week, gorgeous.", set()),
        # a change of employer said as "mudei de" anything but a home
        (
            "Mudei de firma outra vez! Agora estou na Tecnoforma Lda, perto da estação.",
            {("workplace", "Tecnoforma Lda")},
        ),
        ("Mudei de casa, agora estou na Rua Direita.", set()),
    ],
)
def test_a_transfer_or_a_change_of_employer(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "O Tiago foi estudar para fora e acabou tudo. Agora estou com o Renan.",
            {("partner", "Renan")},
        ),
        ("Com a Larissa já era. Tô com a Bruna agora.", {("partner", "Bruna")}),
        ("We called it off in May. I'm seeing Imogen now.", {("partner", "Imogen")}),
        # look-alike: "acabou" of something else leaves company as company
        ("O jogo acabou cedo, estou com a Rita no bar.", set()),
    ],
)
def test_a_break_up_in_other_words(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a job someone else gave the user, or a title said as such
        ("Good news: the trust's got me as ward manager from June.", {("job", "ward manager")}),
        ("A chefe fez-me encarregada, agora faço as escalas.", {("job", "encarregada")}),
        (
            "Since spring my title is senior archivist, same building.",
            {("job", "senior archivist")},
        ),
        # look-alikes: a cake made, a role in a wedding
        ("My gran's made me a jumper for winter.", set()),
        ("Olha, a minha tia fez-me um bolo de laranja.", set()),
        # a move said with where from, in spoken Portuguese; a change of job is no move
        (
            "Mudamo de Caruaru pra Garanhuns em abril, mais fresquinho.",
            {("home", "Garanhuns")},
        ),
        ("Mudei de emprego pra ganhar mais.", set()),
        # a partner gone back to an ex, then the new one
        (
            "O Vítor voltou pro ex dele. Agora tô com a Bia, da natação.",
            {("partner", "Bia")},
        ),
    ],
)
def test_a_change_given_by_someone_else(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("They bumped me up, I'm the head baker now at Crumbs.", {("job", "head baker")}),
        ("Agora sou ajudante de cozinha no restaurante.", {("job", "ajudante de cozinha")}),
    ],
)
def test_a_new_job_said_with_now(message: str, expected: set[tuple[str, str]]) -> None:
    assert expected <= facts(message)
