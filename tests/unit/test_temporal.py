from datetime import UTC, datetime

import pytest

from retrievers.temporal import asks_when, time_window

NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "inside", "outside"),
    [
        ("what did I say yesterday about the dentist?", "2026-11-21T10:00", "2026-11-19T10:00"),
        ("o que eu disse ontem?", "2026-11-21T23:00", "2026-11-22T16:00"),
        ("what did we decide last week?", "2026-11-12T09:00", "2026-11-01T09:00"),
        ("o que combinamos na semana passada?", "2026-11-15T09:00", "2026-10-30T09:00"),
        ("what did I tell you in May 2023?", "2023-05-08T13:56", "2023-06-01T00:00"),
        ("o que falamos em maio de 2023?", "2023-05-31T23:59", "2023-04-30T23:59"),
        ("where did I travel in 2022?", "2022-07-01T00:00", "2023-01-02T00:00"),
        ("what did I say 3 days ago?", "2026-11-19T12:00", "2026-11-10T12:00"),
    ],
)
def test_time_window_covers_the_period_the_question_names(query, inside, outside):
    start, end = time_window(query, NOW)
    assert start <= datetime.fromisoformat(inside).replace(tzinfo=UTC) < end
    assert not start <= datetime.fromisoformat(outside).replace(tzinfo=UTC) < end


def test_no_window_without_a_time_phrase():
    assert time_window("What is my dog called?", NOW) is None
    assert time_window("Did Maya go to the market?", NOW) is None  # "may" inside a name


def test_asks_when_in_english_and_portuguese():
    assert asks_when("When did Caroline go to the support group?")
    assert asks_when("Quando é que eu fui ao dentista?")
    assert not asks_when("What did Caroline paint?")
