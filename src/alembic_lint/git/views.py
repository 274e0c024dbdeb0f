"""The predicted merge as a file system for discovery (``discover.FileSystem``)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic_lint.discover import DISK, FileSystem
from alembic_lint.git.merge import Merge
from alembic_lint.git.trees import DIR, FILE, LINK

__all__ = ["MergedView"]

#: Symlinks followed in a row before giving up (as the kernel's ELOOP).
_MAX_LINKS = 40


class MergedView(FileSystem):
    """Paths inside the work tree answer from the merge; others from the disk."""

    def __init__(self, top: str, merge: Merge, aliases: tuple[str, ...] = ()) -> None:
        self.top = os.path.normpath(top)
        self.merge = merge
        #: Other names of the top (through a symlink, as the current directory may be).
        self.aliases = tuple(os.path.normpath(a) for a in aliases if a != top)

    def rel(self, path: str) -> str | None:
        """``path`` relative to the work tree's top (``/``-separated), or None outside."""
        path = os.path.normpath(path)
        for top in (self.top, *self.aliases):
            if path == top:
                return ""
            if path.startswith(top + os.sep):
                rel = path[len(top) + 1 :].replace(os.sep, "/")
                return None if rel == ".git" or rel.startswith(".git/") else rel
        return None

    def absolute(self, rel: str) -> str:
        return self.top + os.sep + rel.replace("/", os.sep) if rel else self.top

    def _resolve(self, rel: str) -> str | None:
        """``rel`` with every symlink in the merge followed: a path relative to the top, or
        an absolute path where a link leads out of the work tree (the merged link points
        there on disk, as Alembic will follow it); None when the links loop."""
        parts = [p for p in rel.split("/") if p]
        done: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if not done:
                    return os.path.normpath(os.path.join(self.top, "..", *parts))
                done.pop()
                continue
            current = "/".join([*done, part])
            outcome = self.merge.outcome(current)
            if outcome is not None and outcome.kind == LINK:
                hops += 1
                if hops > _MAX_LINKS:
                    return None
                target = os.fsdecode(self.merge.read(current))
                if target.startswith("/"):
                    inside = self.rel(target)
                    if inside is None:
                        return os.path.normpath(os.path.join(target, *parts))
                    parts = [p for p in inside.split("/") if p] + parts
                    done = []
                else:
                    parts = [p for p in target.split("/") if p and p != "."] + parts
                continue
            done.append(part)
        return "/".join(done)

    def kind(self, path: str) -> str | None:
        rel = self.rel(path)
        if rel is None:
            return DISK.kind(path)
        real = self._resolve(rel)
        if real is None:
            return None
        if os.path.isabs(real):
            return DISK.kind(real)
        outcome = self.merge.outcome(real)
        if outcome is None or outcome.kind is None:
            return None
        if outcome.kind == DIR:
            return "dir" if self.merge.listing(real) else None
        return "file" if outcome.kind == FILE else "other"

    def entries(self, path: str) -> list[tuple[str, bool, bool]]:
        rel = self.rel(path)
        if rel is None:
            return DISK.entries(path)
        real = self._resolve(rel)
        if real is not None and os.path.isabs(real):
            return DISK.entries(real)
        listing = self.merge.listing(real) if real is not None else None
        if listing is None:
            raise NotADirectoryError(20, "Not a directory", path)
        found = []
        for name, outcome in listing.items():
            child = f"{real}/{name}" if real else name
            if outcome.kind == LINK:
                found.append((name, self.kind(self.absolute(child)) == "dir", True))
            elif outcome.kind == DIR:
                if self.merge.listing(child):  # git keeps no empty directory
                    found.append((name, True, False))
            else:
                found.append((name, False, False))
        return found

    def read_bytes(self, path: str) -> bytes:
        rel = self.rel(path)
        if rel is None:
            return DISK.read_bytes(path)
        real = self._resolve(rel)
        if real is None:
            raise FileNotFoundError(2, "No such file or directory", path)
        if os.path.isabs(real):
            return DISK.read_bytes(real)
        outcome = self.merge.outcome(real)
        if outcome is None or outcome.kind != FILE:
            raise IsADirectoryError(21, "Not a file", path)
        return self.merge.read(real)

    def head(self, path: str, size: int) -> bytes | None:
        if self.rel(path) is None:
            return DISK.head(path, size)
        try:
            return self.read_bytes(path)[:size]
        except OSError:
            return None

    def realpath(self, path: str) -> str:
        rel = self.rel(path)
        if rel is None:
            return DISK.realpath(path)
        real = self._resolve(rel)
        if real is not None and os.path.isabs(real):
            return DISK.realpath(real)
        return self.absolute(real) if real is not None else os.path.normpath(path)

    def package_roots(self, top: str, search: list[Path]) -> list[Path]:
        """Package ``top`` in the merge: in ``search`` (prepend_sys_path) first, then
        where the installed package is, when that is inside the work tree."""
        if not top.isidentifier():
            return []
        found: list[Path] = []
        for place in search:
            candidate = place / top
            if self.kind(str(candidate)) == "dir":
                found.append(candidate)
            elif self.kind(str(candidate) + ".py") == "file":
                found.append(place)
            if found:
                return found
        for root in DISK.package_roots(top, search):
            if self.rel(str(root)) is not None and self.kind(str(root)) == "dir":
                found.append(root)
        return found
