"""The opt-in head file (``head-file`` setting): a committed file that lists the current
head(s), so that two branches that each add a migration both change its line and git
refuses to merge the second until it is rebased."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from alembic_lint.atomic import write_atomic

__all__ = ["applies", "content", "listed", "update"]


def content(heads: Iterable[str]) -> str:
    """What the file holds: the head ids, sorted, one per line."""
    return "".join(f"{head}\n" for head in sorted(set(heads)))


def listed(text: str) -> list[str]:
    """The ids a head file lists (blank lines and ``#`` comments aside)."""
    found = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            found.append(line)
    return found


def applies(head_file: str, locations: Sequence[Path | str]) -> bool:
    """Whether the head file belongs to the history with these version locations: it
    sits in one of their directories or above (``db/migrations/head.txt`` for
    ``db/migrations/versions``), so each history of a repository can have its own."""
    folder = os.path.dirname(os.path.abspath(head_file))
    return any(
        os.path.abspath(loc) == folder or os.path.abspath(loc).startswith(folder + os.sep)
        for loc in locations
    )


def update(head_file: str, heads: Iterable[str]) -> bool:
    """Write the current heads, unless the file already lists them; whether it wrote."""
    text = content(heads)
    try:
        with open(head_file, encoding="utf-8") as handle:
            if sorted(set(listed(handle.read()))) == sorted(set(heads)):
                return False
        mode: int | None = os.stat(head_file).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    write_atomic(head_file, text.encode("utf-8"), mode=mode)
    return True
