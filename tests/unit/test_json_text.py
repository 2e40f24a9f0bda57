"""infra.json_text reads what the json module reads, by orjson where it can."""

from __future__ import annotations

import json
import math

import pytest

from infra import json_text


@pytest.mark.parametrize(
    "text", ['{"a":[1,2.5,"\\u00e9",null,true]}', '"caf\\u00e9"', "[]", '{"big": 9007199254740993}']
)
def test_the_same_values_as_the_json_module(text: str) -> None:
    assert json_text.loads(text) == json.loads(text)


def test_what_orjson_refuses_the_json_module_reads() -> None:
    assert math.isnan(json_text.loads('{"x": NaN}')["x"])
    assert json_text.loads('"\\ud800"') == "\ud800"  # a lone surrogate


@pytest.mark.parametrize("text", ["", "{", "nope", '{"a":1,}'])
def test_anything_else_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        json_text.loads(text)
