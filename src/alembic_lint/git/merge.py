"""The predicted merge: per path, the three-way decision git makes, never a guess.

Changed on one side only: that side. Deleted on one side and untouched on the other:
deleted. Changed on both sides: git's own text merge (``git merge-file``, on copies
outside the repository), and a conflict when it has one. Renames are found by git's own
rename detection: the other side's edit follows the file to its new name, and a rename
meeting a deletion or another rename is a conflict, as in git.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from alembic_lint.git.trees import DIR, FILE, LINK, MODULE, Node, Side

__all__ = ["Merge", "Outcome"]

OURS, THEIRS, FORK, MERGED = "ours", "theirs", "fork", "merged"

#: (base, ours, theirs) -> the merged bytes, or None when the text merge conflicts.
TextMerge = Callable[[bytes, bytes, bytes], bytes | None]
#: (deleted files' old bytes, added files' bytes), by path -> old path: new path, as
#: git's rename detection pairs them.
RenameDetection = Callable[[dict[str, bytes], dict[str, bytes]], dict[str, str]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one path holds after the merge, and where from."""

    kind: str | None  # DIR, FILE, LINK, ... or None: not there after the merge
    source: str  # OURS, THEIRS or MERGED: whose bytes (an absent path: OURS)
    fork: Node | None
    ours: Node | None
    theirs: Node | None
    #: Why ``git merge`` stops at this path (None: it does not).
    conflict: str | None = None
    #: The path the bytes are read from on ``source``'s side (a rename: the old path).
    origin: str | None = None
    #: A renamed file's other name: (side that renamed it, the path on the other end).
    renamed: tuple[str, str] | None = None
    data: bytes | None = None  # the text merge's result (source MERGED)


class Merge:
    """The merge of ``ours`` (the work tree) into ``theirs``, from their ``fork`` (the
    merge base), worked out one directory at a time as discovery asks for it."""

    def __init__(
        self,
        fork: Side,
        ours: Side,
        theirs: Side,
        text_merge: TextMerge,
        *,
        here: str = "this branch",
        there: str = "the target",
    ) -> None:
        self.sides = {FORK: fork, OURS: ours, THEIRS: theirs}
        self.text_merge = text_merge
        self.names = {OURS: here, THEIRS: there}
        self._listings: dict[str, dict[str, Outcome] | None] = {}
        self._overrides: dict[str, Outcome] = {}

    # ------------------------------------------------------------------ reading

    def listing(self, rel: str) -> dict[str, Outcome] | None:
        """The merged entries of directory ``rel`` (absent ones left out), or None."""
        found = self._full_listing(rel)
        if found is None:
            return None
        return {name: o for name, o in found.items() if o.kind is not None}

    def outcome(self, rel: str) -> Outcome | None:
        """What ``rel`` holds after the merge (None: nothing, on any side)."""
        if rel in self._overrides:
            return self._overrides[rel]
        if rel == "":
            return Outcome(DIR, OURS, Node(DIR), Node(DIR), Node(DIR))
        parent, _, name = rel.rpartition("/")
        entries = self._full_listing(parent)
        return entries.get(name) if entries is not None else None

    def read(self, rel: str) -> bytes:
        """The bytes a merged file holds (a conflicted one: this branch's side, or the
        target's where this branch deleted it)."""
        outcome = self.outcome(rel)
        if outcome is None or outcome.kind is None:
            raise FileNotFoundError(2, "No such file or directory", rel)
        if outcome.data is not None:
            return outcome.data
        data = self.read_side(outcome.source, outcome.origin or rel)
        if data is None:
            raise FileNotFoundError(2, "No such file or directory", rel)
        return data

    def read_side(self, side: str, rel: str) -> bytes | None:
        """The bytes of ``rel`` on one side (FORK, OURS, THEIRS), or None when absent."""
        parent, _, name = rel.rpartition("/")
        entries = self.sides[side].listing(parent)
        node = entries.get(name) if entries is not None else None
        if node is None or node.kind not in (FILE, LINK):
            return None
        return self.sides[side].read(rel, node)

    def walk(self, rel: str, *, recursive: bool) -> Iterator[tuple[str, Outcome]]:
        """Every file-like path below directory ``rel`` on any side (deleted ones too),
        with its outcome; subdirectories only when ``recursive``."""
        entries = self._full_listing(rel)
        for name in sorted(entries or {}):
            child = f"{rel}/{name}" if rel else name
            outcome = self._overrides.get(child, (entries or {})[name])
            if _is_dir(outcome):
                if recursive:
                    yield from self.walk(child, recursive=True)
            else:
                yield child, outcome

    # ------------------------------------------------------------------ deciding

    def _full_listing(self, rel: str) -> dict[str, Outcome] | None:
        if rel in self._listings:
            return self._listings[rel]
        listed = {side: self.sides[side].listing(rel) for side in (FORK, OURS, THEIRS)}
        if all(entries is None for entries in listed.values()):
            self._listings[rel] = None
            return None
        names: dict[str, None] = {}
        for entries in listed.values():
            names.update(dict.fromkeys(entries or {}))
        result: dict[str, Outcome] = {}
        for name in names:
            child = f"{rel}/{name}" if rel else name
            nodes = [(listed[side] or {}).get(name) for side in (FORK, OURS, THEIRS)]
            result[name] = self._overrides.get(child) or self._decide(child, *nodes)
        self._listings[rel] = result
        return result

    def _decide(
        self, rel: str, fork: Node | None, ours: Node | None, theirs: Node | None
    ) -> Outcome:
        base = Outcome(None, OURS, fork, ours, theirs)
        present = [n for n in (fork, ours, theirs) if n is not None]
        if any(n.kind == DIR for n in present):
            if all(n.kind == DIR for n in present):
                return replace(base, kind=DIR)
            other = next(n.kind for n in present if n.kind != DIR)
            what = {MODULE: "a submodule", LINK: "a symlink"}.get(other, "a file")
            return replace(
                base,
                kind=FILE if ours is not None and ours.kind != DIR else DIR,
                conflict=f"a directory on one side and {what} on the other",
            )
        # Unchanged on the target's side: whatever this branch has (no hashing needed).
        if _same(fork, theirs):
            return replace(base, kind=ours.kind if ours is not None else None)
        mine = self._identity(OURS, rel, ours)
        if mine == _identity(theirs):
            return replace(base, kind=ours.kind if ours is not None else None)
        if mine == _identity(fork):
            return replace(base, kind=theirs.kind if theirs is not None else None, source=THEIRS)
        return self._both_changed(rel, base)

    def _both_changed(self, rel: str, base: Outcome) -> Outcome:
        fork, ours, theirs = base.fork, base.ours, base.theirs
        here, there = self.names[OURS], self.names[THEIRS]
        if ours is None:
            assert theirs is not None
            return replace(
                base,
                kind=theirs.kind,
                source=THEIRS,
                conflict=f"deleted on {here} and changed on {there}",
            )
        if theirs is None:
            return replace(
                base, kind=ours.kind, conflict=f"changed on {here} and deleted on {there}"
            )
        what = "added" if fork is None else "changed"
        conflict = replace(
            base, kind=ours.kind, conflict=f"{what} on both {here} and {there}, differently"
        )
        if ours.kind != FILE or theirs.kind != FILE or (fork is not None and fork.kind != FILE):
            return conflict
        original = self.sides[FORK].read(rel, fork) if fork is not None else b""
        merged = self.text_merge(
            original, self.sides[OURS].read(rel, ours), self.sides[THEIRS].read(rel, theirs)
        )
        if merged is None:
            return conflict
        return replace(base, kind=FILE, source=MERGED, data=merged)

    def _identity(self, side: str, rel: str, node: Node | None) -> tuple[str, str] | None:
        if node is None:
            return None
        if node.kind not in (FILE, LINK):
            return (node.kind, node.oid or "")
        return (node.kind, self.sides[side].oid(rel, node))

    # ------------------------------------------------------------------ renames

    def follow_renames(self, scope: list[tuple[str, bool]], detect: RenameDetection) -> bool:
        """Apply git's renames among the files below ``scope`` (directories, each with
        whether to look into subdirectories). A rename only changes the merge where the
        other side changed (or deleted) the file that moved, so git's rename detection
        (``detect``) runs for those files only: usually for none, at no cost. Returns
        whether any rename changed the merge."""
        paths: dict[str, Outcome] = {}
        for rel, recursive in scope:
            for child, outcome in self.walk(rel, recursive=recursive):
                paths[child] = outcome
        renames: dict[str, dict[str, str]] = {}
        for side, other in ((OURS, THEIRS), (THEIRS, OURS)):
            renames[side] = self._renames(side, other, paths, detect)
        before = len(self._overrides)
        for side, other in ((OURS, THEIRS), (THEIRS, OURS)):
            for old, new in renames[side].items():
                self._apply_rename(side, other, old, new, renames[other].get(old), paths)
        if len(self._overrides) == before:
            return False
        self._listings.clear()
        return True

    def _renames(
        self, side: str, other: str, paths: dict[str, Outcome], detect: RenameDetection
    ) -> dict[str, str]:
        def node(o: Outcome, which: str) -> Node | None:
            return o.ours if which == OURS else o.theirs

        sources = [
            rel
            for rel, o in paths.items()
            if o.fork is not None and o.fork.kind == FILE and node(o, side) is None
        ]
        # (The work tree's ids are worked out here: its nodes come without them.)
        relevant = [
            rel
            for rel in sources
            if self._identity(other, rel, node(paths[rel], other)) != _identity(paths[rel].fork)
        ]
        targets = [
            rel
            for rel, o in paths.items()
            if o.fork is None and (mine := node(o, side)) is not None and mine.kind == FILE
        ]
        if not relevant or not targets:
            return {}
        # As git's merge does it: exact renames first, among all of this side's files
        # (the same content under a new name); then similar ones, for the files that
        # matter only (those the other side changed or deleted).
        by_oid: dict[str, list[str]] = {}
        for rel in sorted(targets):
            mine = node(paths[rel], side)
            assert mine is not None
            by_oid.setdefault(self.sides[side].oid(rel, mine), []).append(rel)
        found: dict[str, str] = {}
        for rel in sorted(sources):
            before = paths[rel].fork
            assert before is not None
            candidates = by_oid.get(before.oid or "", [])
            if candidates:
                same = [c for c in candidates if c.rsplit("/", 1)[-1] == rel.rsplit("/", 1)[-1]]
                match = (same or candidates)[0]
                candidates.remove(match)
                found[rel] = match
        taken = set(found.values())
        left = [rel for rel in relevant if rel not in found]
        rest = [rel for rel in targets if rel not in taken]
        if left and rest:
            old = {rel: self._bytes(FORK, rel, paths[rel].fork) for rel in left}
            new = {rel: self._bytes(side, rel, node(paths[rel], side)) for rel in rest}
            found.update(detect(old, new))
        return {o: n for o, n in found.items() if o in relevant}

    def _bytes(self, side: str, rel: str, node: Node | None) -> bytes:
        assert node is not None
        return self.sides[side].read(rel, node)

    def _apply_rename(
        self,
        side: str,
        other: str,
        old: str,
        new: str,
        other_new: str | None,
        paths: dict[str, Outcome],
    ) -> None:
        at_old, at_new = paths[old], paths[new]
        other_old = at_old.ours if other == OURS else at_old.theirs
        other_at_new = at_new.ours if other == OURS else at_new.theirs
        who, whom = self.names[side], self.names[other]
        gone = replace(at_old, kind=None, conflict=None, renamed=(side, new))
        if other_new is not None:
            if other_new != new:  # renamed differently on each side: git stops at all three
                message = f"renamed to {new} on {who} and to {other_new} on {whom}"
                self._overrides[new] = replace(at_new, conflict=message)
                self._overrides[old] = replace(gone, conflict=message)
            return
        if other_old is None:
            self._overrides[new] = replace(
                at_new, conflict=f"renamed on {who} (from {old}) and deleted on {whom}"
            )
            self._overrides[old] = gone
            return
        if other_at_new is not None:
            return  # an add/add at the new path, decided as such
        # The other side's edit follows the file to its new name: a three-way merge of the
        # fork's old file, this side's new one and the other side's old one.
        fork_bytes = self._bytes(FORK, old, at_old.fork)
        moved = self._bytes(side, new, at_new.ours if side == OURS else at_new.theirs)
        edited = self._bytes(other, old, other_old)
        if moved == fork_bytes:
            self._overrides[new] = replace(
                at_new, kind=other_old.kind, source=other, origin=old, renamed=(side, old)
            )
        else:
            ours, theirs = (moved, edited) if side == OURS else (edited, moved)
            merged = self.text_merge(fork_bytes, ours, theirs)
            if merged is None:
                self._overrides[new] = replace(
                    at_new,
                    conflict=f"renamed and changed on {who} (from {old}), changed on {whom}",
                    renamed=(side, old),
                )
            else:
                self._overrides[new] = replace(
                    at_new, kind=FILE, source=MERGED, data=merged, renamed=(side, old)
                )
        self._overrides[old] = gone


def _same(one: Node | None, other: Node | None) -> bool:
    """Same content for certain (git ids known on both; the work tree's are not)."""
    if one is None or other is None:
        return one is other
    return one.kind == other.kind and one.oid is not None and one.oid == other.oid


def _identity(node: Node | None) -> tuple[str, str] | None:
    if node is None:
        return None
    return (node.kind, node.oid or "")


def _is_dir(outcome: Outcome) -> bool:
    nodes = [n for n in (outcome.fork, outcome.ours, outcome.theirs) if n is not None]
    return outcome.kind == DIR or (outcome.kind is None and any(n.kind == DIR for n in nodes))
