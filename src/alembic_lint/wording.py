"""Small pieces of English shared by messages: counts with the right noun form."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 finding``, ``2 findings``, ``0 findings`` (``plural_form`` for irregular nouns)."""
    if count == 1:
        return f"{count} {singular}"
    return f"{count} {plural_form or singular + 's'}"
