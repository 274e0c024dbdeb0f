"""Who deleted it: the commit that removed the file defining a revision (``git log``)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alembic_lint.branch import Commit, Deletion

if TYPE_CHECKING:  # subprocess & co. are imported only when a revision is looked up
    from alembic_lint.git.process import Repository

__all__ = ["Archive"]

#: Seconds all the lookups of one run may take together, and commits one lookup may
#: list: on a huge repository the search gives up quietly (the finding stays as it is).
BUDGET = 3.0
MAX_COMMITS = 2000
#: Deleted files read to find a revision whose file name does not contain its id.
MAX_BLOBS = 200


class Archive:
    """The git repository of a history, asked lazily: nothing runs until a revision is
    looked up (a history without a missing parent costs nothing)."""

    def __init__(self, locations: Sequence[Path], repo: Repository | None = None) -> None:
        self.locations = [Path(p) for p in locations]
        self._repo = repo
        self._owned = repo is None
        self._opened = repo is not None
        self._deadline: float | None = None
        self._found: dict[str, Deletion | None] = {}

    def _repository(self) -> Repository | None:
        if not self._opened:
            from alembic_lint.git.process import GitError, open_repository

            self._opened = True
            try:
                self._repo = open_repository(self.locations[0]) if self.locations else None
            except GitError:
                self._repo = None
        return self._repo

    def close(self) -> None:
        if self._owned and self._repo is not None:
            self._repo.close()

    def deleted(self, revision: str) -> Deletion | None:
        from alembic_lint.git.process import GitError

        if revision not in self._found:
            try:
                self._found[revision] = self._search(revision)
            except (GitError, OSError, ValueError):
                self._found[revision] = None
        return self._found[revision]

    def _left(self) -> float:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + BUDGET
        return self._deadline - now

    def _search(self, revision: str) -> Deletion | None:
        repo = self._repository()
        if repo is None or not revision or self._left() <= 0:
            return None
        # Usually the file is named after the id (Alembic's default template), wherever
        # it lived; else it was one of the files deleted from the version locations.
        safe = re.sub(r"([*?\[\]\\])", r"\\\1", revision)
        named = self._deletions(repo, [f":(glob)**/*{safe}*.py"])
        found = self._first_defining(repo, revision, named)
        if found is not None or self._left() <= 0:
            return found
        places = []
        for location in self.locations:
            try:
                rel = location.resolve().relative_to(repo.top.resolve()).as_posix()
            except ValueError:
                continue
            places.append(f":(literal){rel}" if rel != "." else ":/")
        if not places:
            return None
        anywhere = [d for d in self._deletions(repo, places) if d not in named]
        return self._first_defining(repo, revision, anywhere[:MAX_BLOBS])

    def _deletions(self, repo: Repository, pathspecs: list[str]) -> list[tuple[str, str, Commit]]:
        """(commit id, path, commit) of each deletion of a file matching ``pathspecs`` in
        any branch, newest first."""
        from alembic_lint.git.process import LOG_FORMAT, log_records

        left = self._left()
        if left <= 0:
            return []
        out = repo.run(
            [
                "log",
                "--all",
                "--full-history",
                "--no-renames",
                "--diff-filter=D",
                "--no-show-signature",
                f"--max-count={MAX_COMMITS}",
                LOG_FORMAT,
                "--name-only",
                "-z",
                "--",
                *pathspecs,
            ],
            timeout=left,
        )
        found = []
        for oid, short, date, subject, names in log_records(out):
            commit = Commit(short, date, subject)
            found += [(oid, path, commit) for path in names if path.endswith(".py")]
        return found

    def _first_defining(
        self, repo: Repository, revision: str, deletions: list[tuple[str, str, Commit]]
    ) -> Deletion | None:
        from alembic_lint.engine import read_facts

        for oid, path, commit in deletions:
            if self._left() <= 0:
                return None
            found = repo.read_object(f"{oid}^:{path}")
            if found is None or found[1] != "blob":
                continue
            if revision.encode("utf-8", "surrogateescape") not in found[2]:
                continue
            if read_facts(path, found[2]).revision_id == revision:
                return Deletion(path, commit)
        return None
