"""What a branch changed against the revision it merges into (plain data for the rules)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from alembic_lint.model import Migration, Span

__all__ = ["Archive", "Branch", "Commit", "Conflict", "Deletion", "Edit", "Origin"]


class Origin(Enum):
    """Where a file of the predicted merge comes from, relative to the fork point."""

    UNCHANGED = "unchanged"
    ADDED_HERE = "added here"
    CHANGED_HERE = "changed here"
    RENAMED_HERE = "renamed here"
    DELETED_HERE = "deleted here"
    ADDED_THERE = "added there"
    CHANGED_THERE = "changed there"
    RENAMED_THERE = "renamed there"
    DELETED_THERE = "deleted there"
    CHANGED_BOTH = "changed on both sides"
    CONFLICT = "conflict"


#: Files this branch is answerable for: file rules report on them, and graph findings
#: are reported on them (see Branch.reported).
HERE = frozenset({Origin.ADDED_HERE, Origin.CHANGED_HERE, Origin.CHANGED_BOTH, Origin.CONFLICT})


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit of the target since the fork, as a message names it."""

    short: str
    date: str
    subject: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """A path where ``git merge`` will stop."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Edit:
    """The first statement of ``upgrade()`` / ``downgrade()`` that differs from the fork
    point's version of an already merged migration (a position in the merged file)."""

    path: str
    function: str
    span: Span


@dataclass(frozen=True)
class Branch:
    """The current work (the branch) against ``target``: how each file of the predicted
    merge came to be, the fork point's facts of the files the branch changed or deleted,
    edited function bodies and conflicts. Attached to the merged History."""

    target: str  # the revision as the user named it (origin/main)
    fork: str  # the merge base, abbreviated
    top: str = ""  # the work tree's top directory
    aliases: tuple[str, ...] = ()  # other names of it (through symlinks)
    origins: Mapping[str, Origin] = field(default_factory=dict)  # absolute path -> origin
    #: The target's commit that added a file since the fork, by path.
    added_in: Mapping[str, Commit] = field(default_factory=dict)
    #: Facts at the fork point of the files this branch changed or deleted.
    base: tuple[Migration, ...] = ()
    edits: tuple[Edit, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    #: Everything above, hashed: part of the cache keys of results that depend on it.
    key: str = ""

    def origin(self, path: str) -> Origin:
        return self.origins.get(path, Origin.UNCHANGED)

    def here(self, path: str) -> bool:
        """Whether the branch added or changed this file (it answers for it)."""
        return self.origin(path) in HERE

    def reported(self) -> frozenset[str]:
        """The paths findings are reported on: the files the branch added or changed,
        and those it deleted (findings about a deletion point at the deleted path)."""
        return frozenset(
            p for p, o in self.origins.items() if o in HERE or o is Origin.DELETED_HERE
        )

    def describe(self, path: str) -> str | None:
        """How a file came into the merge, for messages (None: it was there at the fork)."""
        origin = self.origin(path)
        if origin in (Origin.ADDED_HERE, Origin.CHANGED_HERE, Origin.RENAMED_HERE):
            return f"{origin.value.split()[0]} on this branch"
        if origin is Origin.ADDED_THERE:
            text = f"added on {self.target} since this branch forked"
            commit = self.added_in.get(path)
            if commit is not None:
                text += f', in {commit.short} "{commit.subject}"'
            return text
        if origin in (Origin.CHANGED_THERE, Origin.RENAMED_THERE):
            return f"{origin.value.split()[0]} on {self.target} since this branch forked"
        if origin is Origin.CHANGED_BOTH:
            return f"changed on this branch and on {self.target}"
        if origin is Origin.CONFLICT:
            return "in conflict"
        return None

    def shown(self, path: str) -> str:
        """``path`` as git names it: relative to the top of the work tree."""
        for top in (self.top, *self.aliases):
            if top and (path == top or path.startswith(top + os.sep)):
                return os.path.relpath(path, top).replace(os.sep, "/")
        return path

    def name(self, path: str) -> str:
        """``filename`` or ``filename, added on this branch``."""
        how = self.describe(path)
        base = os.path.basename(path)
        return f"{base}, {how}" if how else base


@dataclass(frozen=True, slots=True)
class Deletion:
    """The commit that deleted the file defining a revision (git's history knows)."""

    path: str  # relative to the top of the work tree, as git names it
    commit: Commit

    def describe(self, revision: str) -> str:
        c = self.commit
        return (
            f"{revision} was defined in {self.path}, deleted in {c.short} ({c.date}, "
            f'"{c.subject}"); restore it with: git checkout {c.short}^ -- {self.path}'
        )


class Archive(Protocol):
    """Where a history's deleted revisions can be looked up (its git repository)."""

    def deleted(self, revision: str) -> Deletion | None:
        """The deletion of the file that defined ``revision``; None when not found
        (or when looking would take too long)."""
        ...
