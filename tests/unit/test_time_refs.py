"""Relative dates resolved from when a message was said (LoCoMo's temporal answers)."""

from datetime import UTC, datetime

import pytest

from memory.time_refs import resolve_time_refs

SAID = datetime(2023, 5, 25, 13, 14, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I went to a LGBTQ support group yesterday.", ["yesterday: 24 May 2023"]),
        ("I ran a charity race last Sunday", ["last sunday: 21 May 2023"]),
        ("my school event last week was great", ["last week: the week of 15 May 2023"]),
        ("I'm going to a conference this month!", ["this month: May 2023"]),
        ("we went camping last weekend", ["last weekend: the weekend of 20 May 2023"]),
        ("I started 2 days ago", ["2 days ago: about 23 May 2023"]),
        ("We moved here a few years ago", ["a few years ago: about 2020"]),
        ("Next month I'll visit Sweden", ["next month: June 2023"]),
        ("Painting is my favourite thing", []),
    ],
)
def test_relative_phrases_get_the_date_they_mean(text, expected):
    assert resolve_time_refs(text, SAID) == expected


def test_month_arithmetic_crosses_the_year():
    said = datetime(2023, 1, 3, tzinfo=UTC)
    assert resolve_time_refs("last month and last year", said) == [
        "last month: December 2022",
        "last year: 2022",
    ]
