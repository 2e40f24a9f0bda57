"""Small helpers for writing English sentences from lists."""

from __future__ import annotations

from collections.abc import Sequence

from llm_service.plan_request import Member


def join_words(words: Sequence[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def join_phrases(phrases: Sequence[str]) -> str:
    """Like join_words, but phrases that contain commas or "and" are kept apart by ";"."""
    if len(phrases) > 2 and any("," in p or " and " in p for p in phrases):
        return f"{'; '.join(phrases[:-1])}; and {phrases[-1]}"
    return join_words(phrases)


def names_of(members: Sequence[Member]) -> list[str]:
    return [m.label for m in members]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    """Unlike str.capitalize, leaves the rest alone ("McKay" stays "McKay")."""
    return text[:1].upper() + text[1:]


def verb_for(members: Sequence[Member], singular: str, plural: str) -> str:
    """Agreement with a list of names: "Luis needs", "Luis and Ana need"."""
    return singular if len(members) == 1 else plural


def count_of(number: int, noun: str) -> str:
    """(1, "gallon") -> "1 gallon"; (3, "gallon") -> "3 gallons"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
