"""Real git repositories for the tests: built with ``git fast-import`` (one process per
repository, not one per file), then checked out; and the real ``git merge`` to compare with.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

#: Files of one commit: path -> content (bytes or text); None deletes the path.
Tree = Mapping[str, "bytes | str | None"]

#: git variables kept from the caller's environment; the rest (GIT_DIR, GIT_INDEX_FILE, ...,
#: set when the tests run from inside a git hook) would point git at the wrong repository.
GIT_KEEP = ("GIT_EXEC_PATH",)


def environ() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not (key.startswith("GIT_") and not key.startswith(GIT_KEEP))
    }
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "alembic-lint tests"
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "tests@alembic-lint.invalid"
    return env


def git(cwd: Path, *args: str, ok: tuple[int, ...] = (0,), data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=environ(),
        input=data,
        capture_output=True,
        check=False,
        timeout=120,
    )
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in ok, f"git {' '.join(args)} failed ({proc.returncode}):\n{out}{err}"
    return out


def _blob(content: bytes | str) -> bytes:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return b"data %d\n%s\n" % (len(data), data)


class Builder:
    """Commits for ``git fast-import``, written as one stream."""

    def __init__(self) -> None:
        self.stream: list[bytes] = []
        self.marks = 0
        self.time = 1_700_000_000

    def commit(self, branch: str, files: Tree, message: str, parents: tuple[str, ...] = ()) -> str:
        """Add a commit on ``branch`` (after ``parents``: marks or branch names, the first
        one its base); returns its mark."""
        self.marks += 1
        self.time += 60
        mark = f":{self.marks}"
        out = [
            f"commit refs/heads/{branch}\n".encode(),
            f"mark {mark}\n".encode(),
            f"committer T <t@t.invalid> {self.time} +0000\n".encode(),
            _blob(message),
        ]
        for index, parent in enumerate(parents):
            ref = parent if parent.startswith(":") else f"refs/heads/{parent}"
            out.append(f"{'from' if index == 0 else 'merge'} {ref}\n".encode())
        for path, content in sorted(files.items()):
            if content is None:
                out.append(f"D {path}\n".encode())
            else:
                out.append(f"M 100644 inline {path}\n".encode() + _blob(content))
        out.append(b"\n")
        self.stream.extend(out)
        return mark

    def write(self, repo: Path) -> None:
        git(repo, "fast-import", "--quiet", data=b"".join(self.stream) + b"done\n")


def init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def two_branches(
    path: Path,
    base: Tree,
    target: Tree,
    branch: Tree,
    *,
    work: Tree | None = None,
    target_message: str = "target work",
) -> Path:
    """A repository whose ``main`` holds ``base`` then ``target``'s changes, and whose
    ``feature`` (checked out) holds ``base`` then ``branch``'s changes; ``work`` is left
    uncommitted in the work tree (None deletes a file)."""
    init(path)
    build = Builder()
    fork = build.commit("main", base, "base")
    if target:
        build.commit("main", target, target_message, parents=(fork,))
    build.commit("feature", branch, "feature work", parents=(fork,))
    build.write(path)
    git(path, "checkout", "-q", "-f", "feature")
    for rel, content in (work or {}).items():
        file = path / rel
        if content is None:
            file.unlink()
            continue
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def real_merge(path: Path, target: str = "main") -> tuple[bool, str]:
    """Commit the work tree, then ``git merge`` ``target`` into it, as a user would:
    (merged cleanly, git's output). Changes the repository: call it last."""
    git(path, "add", "-A")
    git(path, "commit", "-q", "--allow-empty", "-m", "work tree")
    proc = subprocess.run(
        ["git", "merge", "--no-edit", "-q", target],
        cwd=path,
        env=environ(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return proc.returncode == 0, proc.stdout + proc.stderr


def conflicted(path: Path) -> set[str]:
    """Paths git left in conflict after a failed merge."""
    out = git(path, "diff", "--name-only", "--diff-filter=U", "-z")
    return {p for p in out.split("\0") if p}
