"""Text from outside (webhooks, job status, model output) made storable everywhere.

PostgreSQL refuses NUL in text and JSON columns, and no database driver can encode
a lone UTF-16 surrogate as UTF-8: either one in a stored string turns a single bad
result into a failed write that is retried forever. So outside text passes through
`clean_text` where it enters, and nothing behind that point has to care.
"""

from __future__ import annotations

import re

# One character class, no repetition operators: linear on any input.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"


def clean_text(text: str) -> str:
    """`text` without NUL characters, and with U+FFFD for each lone surrogate.

    A valid astral character is one code point in a Python str, so any code point
    left in U+D800..U+DFFF is a surrogate that has lost its pair.
    """
    if text.isascii() and "\x00" not in text:
        return text
    return _UNSTORABLE.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else REPLACEMENT_CHARACTER
