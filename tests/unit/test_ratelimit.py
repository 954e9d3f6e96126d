import pytest

from access.ratelimit import Limit, parse_limit


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("5/minute", Limit(5, 60)),
        (" 600 / Minute ", Limit(600, 60)),
        ("1/second", Limit(1, 1)),
        ("100/hour", Limit(100, 3600)),
        ("off", None),
        ("", None),
        (None, None),
    ],
)
def test_limits_parse_from_settings_text(text, limit):
    assert parse_limit(text) == limit


@pytest.mark.parametrize("text", ["5", "5/day", "0/minute", "-1/minute", "five/minute"])
def test_a_malformed_limit_says_what_is_expected(text):
    with pytest.raises(ValueError, match="expected N/second, N/minute, N/hour or off"):
        parse_limit(text)


def test_a_limit_prints_as_it_is_written():
    assert str(Limit(5, 60)) == "5/minute"
