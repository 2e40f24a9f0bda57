"""The webhook body is read by orjson where it reads as the json module does, and by the
json module otherwise: each body here is read both ways and the readings compared."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from graph.webhook_route import _json_object
from infra.llm_payloads import InvalidJobPayload

BODIES = {
    "plain": b'{"type": "workflow.progress", "sequence": 3, "data": {"progress": 12.5}}',
    "unicode": '{"text": "\u00e9t\u00e9 \u2603 \U0001f600", "esc": "\\u00e9\\n"}'.encode(),
    "2**63 - 1": b'{"n": 9223372036854775807}',
    "-2**63": b'{"n": -9223372036854775808}',
    "2**64 - 1": b'{"n": 18446744073709551615}',
    "2**70": b'{"n": 1180591620717411303424}',
    "-2**70": b'{"n": -1180591620717411303424}',
    "19 digits in a string": b'{"s": "1234567890123456789"}',
    "NaN": b'{"n": NaN}',
    "Infinity": b'{"n": -Infinity}',
    "1e400": b'{"n": 1e400}',
    "lone surrogate": b'{"s": "\\ud800"}',
    "byte order mark": b'\xef\xbb\xbf{"a": 1}',
    "duplicate keys": b'{"a": 1, "a": 2}',
    "nested 200 deep": b'{"a": ' + b"[" * 200 + b"]" * 200 + b"}",
}
REFUSED = {
    "not json": b"not json",
    "empty": b"",
    "trailing text": b'{"a": 1} x',
    "an array": b"[1, 2]",
    "nested a million deep": b"[" * 1_000_000,
    "unterminated": b'{"a": "b',
}


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types throughout (1 == 1.0, but not for the range checks)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("name", list(BODIES))
def test_a_body_reads_as_the_json_module_reads_it(name: str) -> None:
    body = BODIES[name]
    assert same(_json_object(body), json.loads(body))


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_body_that_is_no_json_object_is_refused(name: str) -> None:
    with pytest.raises(InvalidJobPayload):
        _json_object(REFUSED[name])
