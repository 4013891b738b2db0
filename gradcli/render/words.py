"""Counted nouns in agreement: ``1 path``, ``2 paths``, ``1 pass``, ``3 passes``."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None, number: str | None = None) -> str:
    """``count word`` with the plural form past one; ``number`` replaces the count's text if given."""
    many = many or (word + "es" if word.endswith(("s", "x", "ch", "sh")) else word + "s")
    return f"{count if number is None else number} {word if count == 1 else many}"
