"""The three trees of a merge, one directory at a time: two commits' trees and the work tree."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Any, Protocol

from alembic_lint.git.process import GitError, Repository
from alembic_lint.inputs import MAX_CONFIG_BYTES, TooLarge

__all__ = ["Commit", "Index", "Node", "Side", "WorkTree", "object_id"]

#: Kinds of entry, as git stores them (a submodule is a "module": never a migration).
DIR, FILE, LINK, MODULE = "dir", "file", "link", "module"
_MODES = {b"40000": DIR, b"100644": FILE, b"100755": FILE, b"120000": LINK, b"160000": MODULE}


@dataclass(frozen=True, slots=True)
class Node:
    """One entry of a tree: what it is, and the git id of its content (a file's bytes, a
    link's target); None where not worked out yet (the work tree's files, see WorkTree)."""

    kind: str
    oid: str | None = None


class Side(Protocol):
    """One of the three trees. ``rel`` is a path relative to the work tree's top, with
    ``/`` separators (``""`` is the top)."""

    def listing(self, rel: str) -> dict[str, Node] | None:
        """The entries of a directory, or None when ``rel`` is not one."""
        ...

    def oid(self, rel: str, node: Node) -> str:
        """The git id of an entry's content."""
        ...

    def read(self, rel: str, node: Node) -> bytes:
        """A file's bytes (a link's target)."""
        ...


def object_id(kind: str, data: bytes, object_format: str = "sha1") -> str:
    """The id git gives an object (``git hash-object``), without running git."""
    header = f"{kind} {len(data)}\0".encode("ascii")
    h = _hasher(object_format)(header)
    h.update(data)
    return str(h.hexdigest())


def _hasher(object_format: str) -> Any:
    """CPython's own SHA modules: hashlib's import would load OpenSSL's bindings first."""
    try:
        if object_format == "sha256":
            from _sha256 import sha256  # type: ignore[import-not-found, unused-ignore]

            return sha256
        from _sha1 import sha1  # type: ignore[import-not-found, unused-ignore]

        return sha1
    except ImportError:  # another Python than CPython, or a newer one
        import hashlib

        return hashlib.sha256 if object_format == "sha256" else hashlib.sha1


class Commit:
    """The tree of a commit, read lazily through the repository's ``cat-file`` process."""

    def __init__(self, repo: Repository, commit: str) -> None:
        self.repo = repo
        self.commit = commit
        self._trees: dict[str, dict[str, Node] | None] = {}
        self._root: str | None = None

    def _tree(self, oid: str, where: str) -> dict[str, Node]:
        try:
            found = self.repo.read_object(oid, limit=MAX_CONFIG_BYTES)
        except TooLarge as exc:
            raise GitError(f"git tree {where} is too large to read ({exc})") from None
        if found is None:
            raise GitError(f"git object {oid} is missing (a partial or damaged clone?)")
        if found[1] != "tree":
            raise GitError(f"git tree {where} is a {found[1]} (a damaged or forged repository)")
        return parse_tree(found[2], self.repo.oid_size, where)

    def listing(self, rel: str) -> dict[str, Node] | None:
        if rel in self._trees:
            return self._trees[rel]
        if rel == "":
            found = self.repo.read_object(f"{self.commit}^{{tree}}")
            if found is None:
                raise GitError(f"git object {self.commit} is missing")
            entries: dict[str, Node] | None = parse_tree(found[2], self.repo.oid_size)
        else:
            parent, _, name = rel.rpartition("/")
            above = self.listing(parent)
            node = above.get(name) if above is not None else None
            entries = None
            if node is not None and node.kind == DIR and node.oid:
                entries = self._tree(node.oid, rel)
        self._trees[rel] = entries
        return entries

    def oid(self, rel: str, node: Node) -> str:
        assert node.oid is not None
        return node.oid

    def read(self, rel: str, node: Node) -> bytes:
        assert node.oid is not None
        try:
            # Never more in memory than of a file on disk (inputs.read_regular): git's
            # merge of a blob of gigabytes is not predicted, but said so.
            found = self.repo.read_object(node.oid, limit=MAX_CONFIG_BYTES)
        except TooLarge as exc:
            raise GitError(f"{rel} at {self.commit[:10]}: {exc}; --against stops here") from None
        if found is None:
            raise GitError(f"git object {node.oid} ({rel}) is missing (a partial clone?)")
        return found[2]


def parse_tree(data: bytes, oid_size: int, where: str = "") -> dict[str, Node]:
    """Entries of a raw tree object: ``<mode> <name>\\0<raw id>`` each. ``where`` is the
    tree's path, for messages. A tree git itself would refuse to check out (a name such
    as ``..`` or ``a/b``, or broken bytes) is a GitError: its paths would lead out of
    the directory they name."""
    entries: dict[str, Node] = {}
    at, end = 0, len(data)
    while at < end:
        space = data.find(b" ", at)
        nul = data.find(b"\0", space + 1) if space >= 0 else -1
        raw = data[nul + 1 : nul + 1 + oid_size]
        if nul < 0 or len(raw) != oid_size:
            raise GitError(f"git tree {where or '/'} is malformed (a damaged repository)")
        name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
        if not _valid_name(name):
            raise GitError(
                f"git tree {where or '/'} holds an entry named {name!r}, a path git "
                "refuses to check out (a damaged or forged repository)"
            )
        entries[name] = Node(_MODES.get(data[at:space], FILE), raw.hex())
        at = nul + 1 + oid_size
    return entries


def _valid_name(name: str) -> bool:
    """What git's ``verify_path`` accepts for one path component (the essentials)."""
    return name not in ("", ".", "..") and "/" not in name and name.lower() != ".git"


class Index:
    """What git's index records of the work tree's files (``git ls-files --debug``, read
    one directory at a time). A file whose stat is the one recorded holds the staged
    blob, as ``git status`` judges it; that blob, not the file's bytes, is what a commit
    made now holds: git's clean conversions are in it (end of lines with
    ``core.autocrlf`` or ``eol``, ``ident``, filters), and applying them here could run
    programs."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._entries: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._read: set[str] = set()
        try:
            # A file changed as late as the index was written may still match its stat
            # ("racily clean", as git says): its bytes are hashed instead.
            self._written = os.stat(repo.index).st_mtime_ns if repo.index else -1
        except OSError:
            self._written = -1

    def staged(self, rel: str, st: os.stat_result) -> str | None:
        """The blob id the index records for ``rel`` when ``st`` (its lstat) is the one
        recorded with it; else None."""
        parent = rel.rpartition("/")[0]
        if parent not in self._read:
            self._read.add(parent)
            self._load(parent)
        found = self._entries.get(rel)
        if found is None or st.st_mtime_ns >= self._written:
            return None
        oid, (ctime, ctime_ns, mtime, mtime_ns, ino, size) = found
        same = (
            size == st.st_size
            and mtime == st.st_mtime_ns // 10**9
            and mtime_ns in (0, st.st_mtime_ns % 10**9)  # 0: a git without nanoseconds
            and ctime == st.st_ctime_ns // 10**9
            and ctime_ns in (0, st.st_ctime_ns % 10**9)
            and ino in (0, st.st_ino & 0xFFFFFFFF)
        )
        return oid if same else None

    def _load(self, parent: str) -> None:
        if self._written < 0:
            return
        spec = f":(top,literal){parent}/" if parent else ":(top)"
        try:
            out = self.repo.run(["ls-files", "--stage", "--debug", "-z", "--", spec])
        except GitError:
            return  # every file is then hashed from its bytes
        # "<mode> <oid> <stage>\t<path>\0", then its stat in lines ("  ctime: s:ns\n ...
        # size: n\tflags: f\n"), then the next entry: no path holds a NUL.
        chunks = out.split(b"\0")
        head = chunks[0]
        for chunk in chunks[1:]:
            found = _STAT.match(chunk)
            info, _, path = head.partition(b"\t")
            fields = info.split(b" ")
            if found is None or len(fields) != 3:
                return  # not the format expected: no entry further is trusted
            if fields[2] == b"0":  # (a conflicted path has no one blob)
                self._entries[path.decode("utf-8", "surrogateescape")] = (
                    fields[1].decode("ascii"),
                    tuple(int(n) for n in found.groups()),
                )
            head = chunk[found.end() :]


#: The stat ``git ls-files --debug`` prints of an index entry.
_STAT = re.compile(
    rb"  ctime: (\d+):(\d+)\n  mtime: (\d+):(\d+)\n  dev: \d+\tino: (\d+)\n"
    rb"  uid: \d+\tgid: \d+\n  size: (\d+)\tflags: [0-9a-f]+\n"
)


class WorkTree:
    """The files on disk (uncommitted changes and untracked files included): what a
    commit made now would hold (a file the index says is unchanged: its staged blob, see
    Index). Contents are hashed only when a merge needs their id."""

    def __init__(self, top: str, object_format: str = "sha1", index: Index | None = None) -> None:
        self.top = top
        self.object_format = object_format
        self.index = index
        self._oids: dict[str, str] = {}
        self._staged: dict[str, str | None] = {}
        self._listings: dict[str, dict[str, Node] | None] = {}

    def path(self, rel: str) -> str:
        # Concatenated: os.path.join costs more, for every file of every run.
        return self.top + os.sep + rel.replace("/", os.sep) if rel else self.top

    def listing(self, rel: str) -> dict[str, Node] | None:
        """The entries of a directory, listed once per run."""
        if rel not in self._listings:
            self._listings[rel] = self._list(rel)
        return self._listings[rel]

    def _list(self, rel: str) -> dict[str, Node] | None:
        entries: dict[str, Node] = {}
        try:
            with os.scandir(self.path(rel)) as listing:
                for entry in listing:
                    if rel == "" and entry.name == ".git":
                        continue
                    try:
                        if entry.is_symlink():
                            entries[entry.name] = Node(LINK)
                        elif entry.is_dir():
                            # A directory with its own .git is a nested repository: git
                            # records it as a submodule (or not at all), never its files.
                            nested = os.path.lexists(os.path.join(entry.path, ".git"))
                            entries[entry.name] = Node(MODULE if nested else DIR)
                        elif entry.is_file():
                            entries[entry.name] = Node(FILE)
                    except OSError:
                        continue
        except (NotADirectoryError, FileNotFoundError):
            return None
        except OSError as exc:
            raise GitError(f"{self.path(rel)}: {exc.strerror or exc}") from None
        return entries

    def oid(self, rel: str, node: Node) -> str:
        found = self._oids.get(rel)
        if found is None:
            found = self._blob(rel) or object_id("blob", self.read(rel, node), self.object_format)
            self._oids[rel] = found
        return found

    def _blob(self, rel: str) -> str | None:
        """The staged blob ``rel`` holds, as the index says (None: its bytes tell)."""
        if self.index is None:
            return None
        if rel not in self._staged:
            try:
                self._staged[rel] = self.index.staged(rel, os.lstat(self.path(rel)))
            except OSError:
                self._staged[rel] = None
        return self._staged[rel]

    def read(self, rel: str, node: Node) -> bytes:
        staged = self._blob(rel)
        if staged is not None and self.index is not None:
            found = self.index.repo.read_object(staged, limit=MAX_CONFIG_BYTES)
            if found is not None and found[1] == "blob":
                return found[2]
        path = self.path(rel)
        if node.kind == LINK:
            return os.fsencode(os.readlink(path))
        # Non-blocking: a FIFO named like a migration must not hang the run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{path}: not a regular file")
            return handle.read()
