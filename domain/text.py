"""Text from outside, decided once: what is storable, what is blank, what is forbidden.

`clean_text` makes text from webhooks, job status and model output storable:
PostgreSQL refuses NUL in text and JSON columns, and no database driver can encode
a lone UTF-16 surrogate as UTF-8, so either one in a stored string would turn a
single bad result into a failed write retried forever. Outside text passes through
it where it enters, and nothing behind that point has to care.

`is_blank` and `forbidden_character` decide what "blank" and "control character"
mean for every text a user sends: wizard answers and token subjects alike.
"""

from __future__ import annotations

import re
import unicodedata

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


# Cc: C0/C1 controls; Cs: lone surrogates (valid in a Python str, unencodable as
# UTF-8, so they would break JSON and the database); Zl/Zp: U+2028/U+2029, which
# end lines in JavaScript and in log viewers.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Bidi embeddings, overrides and isolates reorder how text is displayed
# ("Trojan Source"). Other format characters (ZWJ, ZWNJ) stay allowed: names in
# several scripts and emoji sequences need them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Characters that draw nothing. By category: separators (Zs, Zl, Zp), controls (Cc),
# format characters (Cf: zero-width space and joiners, BOM, word joiner, soft hyphen,
# tag characters U+E0000-E007F). Plus letters and marks that render as nothing: the
# Hangul fillers, the braille blank, the combining grapheme joiner, variation selectors.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
_INVISIBLE_CHARACTERS = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul choseong/jungseong fillers, Hangul filler, halfwidth
    "\u2800"  # braille pattern blank
    "\u034f"  # combining grapheme joiner
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u180b\u180c\u180d\u180f"  # Mongolian free variation selectors
)


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def is_invisible(char: str) -> bool:
    """True for a character that shows nothing on its own."""
    return (
        unicodedata.category(char) in _INVISIBLE_CATEGORIES
        or char in _INVISIBLE_CHARACTERS
        or _is_variation_selector(ord(char))
    )


def is_blank(text: str) -> bool:
    """Empty, or made only of characters that show nothing: what a form calls empty."""
    return all(is_invisible(char) for char in text)


def forbidden_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first control, lone surrogate, line separator or bidi control not in `allowed`."""
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES or char in BIDI_CONTROLS:
            return char
    return None


def is_format_character(char: str) -> bool:
    """Zero-width and other format characters (Cf): invisible inside an identifier."""
    return unicodedata.category(char) == "Cf"
