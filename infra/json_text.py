"""JSON text read by orjson (2-3x quicker than the json module), json's reading kept.

For what orjson refuses and the json module accepts (NaN, Infinity, lone surrogates)
the json module reads it. One more difference: orjson reads an integer beyond 64 bits
as a float; callers whose shapes check their numbers' types then refuse it (a bus
message's event: no sequence or count comes near 2**63), or read such text with the
json module themselves (the webhook route). Used for bus messages, the JSON columns of
report listings and webhook bodies: one rule.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(text: str | bytes) -> Any:
    """The value of JSON text; raises ValueError (as json.loads does) for anything else."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
