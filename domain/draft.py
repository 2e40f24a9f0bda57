"""The plan's text while the model writes it: deltas, the draft they build, their size.

One rule places every delta: it ends at `draft_length`, so it starts at
`draft_length - len(delta)` (lengths count code points, as Python's `len`). The
API appends a delta only where it continues its draft exactly; a subscriber or a
replay of the log rebuilds the same text by placing each logged delta at its
offset (`place_delta`), which also starts a new attempt over at 0.

A delta is also cut into pieces small enough that a progress event carrying one
fits a bus message (PostgreSQL NOTIFY's 8,000 bytes, `infra.bus.MAX_WIRE_BYTES`)
with room for the rest of the event: the sender sends pieces, and the API cuts
any larger delta a sender may send anyway.
"""

from __future__ import annotations

from collections.abc import Iterator

from domain.plan import MAX_PLAN_CHARS

# At most this many characters of plan text per progress event.
MAX_DELTA_CHARS = 2000
# And at most this many bytes once written as a JSON string (ASCII, escapes and all).
# The bus message quotes the event's JSON once more, which at most doubles it: 2 x 2,400
# plus the event's other fields stays under the bus's 7,000 bytes.
MAX_DELTA_JSON_BYTES = 2400

_SHORT_ESCAPES = frozenset('"\\\b\f\n\r\t')


def json_cost(char: str) -> int:
    """The bytes `char` takes inside a JSON string written with `ensure_ascii` (the default)."""
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return 2
    if code < 0x20 or code == 0x7F:
        return 6  # \u00XX: json.dumps escapes all but " " to "~"
    if code < 0x80:
        return 1
    return 6 if code < 0x10000 else 12  # \uXXXX, or a surrogate pair of them


def delta_pieces(
    text: str, max_chars: int = MAX_DELTA_CHARS, max_json_bytes: int = MAX_DELTA_JSON_BYTES
) -> Iterator[str]:
    """`text` in consecutive pieces within both limits; joined, they are `text`. Linear."""
    start = 0
    while start < len(text):
        end, cost = start, 0
        limit = min(len(text), start + max_chars)
        while end < limit:
            cost += json_cost(text[end])
            if cost > max_json_bytes:
                break
            end += 1
        yield text[start:end]
        start = end


def appended(draft: str, delta: str, draft_length: int) -> str | None:
    """The draft with `delta` appended when it continues `draft` exactly, else None.

    None for a duplicate or an older delta (it ends at or before the draft's end),
    for one after a gap (an earlier delta has not come), and for one that would
    take the draft past a plan's size (`MAX_PLAN_CHARS`): a later delta cannot
    fill a gap, so the draft stays as it is until the completed plan replaces it.
    """
    if not delta or draft_length - len(delta) != len(draft) or draft_length > MAX_PLAN_CHARS:
        return None
    return draft + delta


def place_delta(draft: str, delta: str | None, draft_length: int) -> str:
    """What a reader of logged progress events does with each: the text so far after it.

    In the log each delta starts where the draft ended (or at 0, a new attempt), so
    this rebuilds the API's draft; a delta that would leave a hole is ignored.
    """
    text = delta or ""
    start = draft_length - len(text)
    if start < 0 or start > len(draft):
        return draft
    return draft[:start] + text
