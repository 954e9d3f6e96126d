"""Pooled connections decode json with orjson, to the same values as `json.loads`."""

from __future__ import annotations

import json

import pytest

from storage.pool import load_json


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [1.5, "x", null, true], "c": {"d": "Você"}}',
        '{"big": 123456789012345678901234, "neg": -9223372036854775809}',
        '{"max": 9223372036854775807, "min": -9223372036854775808, "id": "1234567890123456789"}',
        '{"v": "00000000000000000000000000000012.0.5", "n": [1, 12345678901234567890]}',
        "[\n  -123456789012345678901]",
        "123456789012345678901",
        '{"a":{"b":99999999999999999999}}',
        "1e400",
        '"\\ud800"',
        "[]",
    ],
)
def test_load_json_reads_as_json_loads(text: str):
    loaded = load_json(text.encode())
    assert loaded == json.loads(text)
    assert type(loaded) is type(json.loads(text))
