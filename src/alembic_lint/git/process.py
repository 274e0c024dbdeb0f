"""Run git as plumbing only: a clean environment, no hooks, no pager, no locks, no network."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

__all__ = ["GitError", "Repository", "clean_environment", "open_repository"]

#: git variables worth keeping from the caller (where git lives, which config files it
#: reads); every other ``GIT_*`` (GIT_DIR, GIT_INDEX_FILE, GIT_WORK_TREE, GIT_CONFIG_COUNT,
#: ... set by a hook that runs us, or by accident) would point git elsewhere.
_KEEP = (
    "GIT_EXEC_PATH",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)

#: Settings for every command: nothing that could run a program or reach the network.
_SAFE = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "protocol.allow=never",
    "-c",
    "core.pager=cat",
)


class GitError(Exception):
    """A one-line message naming the problem and, where there is one, the fix (exit 2)."""


def clean_environment() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") or key in _KEEP
    }
    env["GIT_OPTIONAL_LOCKS"] = "0"  # never refresh (write) the index behind the user's back
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_NO_LAZY_FETCH"] = "1"  # a partial clone must not fetch missing objects
    env["LC_ALL"] = "C"
    return env


def _one_line(text: bytes) -> str:
    lines = [line.strip() for line in text.decode("utf-8", "replace").splitlines()]
    lines = [line.removeprefix("fatal: ").removeprefix("error: ") for line in lines if line]
    return lines[0] if lines else "no message"


@dataclass
class Repository:
    """A git work tree: its top directory and a way to ask git about its objects."""

    top: Path
    object_format: str = "sha1"
    _env: dict[str, str] = field(default_factory=clean_environment, repr=False)
    _batch: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def oid_size(self) -> int:
        """Bytes of a raw object id (in tree objects)."""
        return 32 if self.object_format == "sha256" else 20

    def run(
        self,
        args: Sequence[str],
        *,
        ok: Sequence[int] = (0,),
        timeout: float | None = 60,
    ) -> bytes:
        """Standard output of ``git ARGS`` in the top directory; GitError otherwise."""
        proc = _spawn(["git", *_SAFE, *args], self.top, self._env, timeout)
        if proc.returncode not in ok:
            raise GitError(f"git {args[0]}: {_one_line(proc.stderr)}")
        return proc.stdout

    # ------------------------------------------------------------------ objects

    def read_object(self, name: str) -> tuple[str, str, bytes] | None:
        """(id, type, content) of an object, or None when it does not exist. ``name`` is an
        object id or a revision expression; all objects of a run come through one
        ``git cat-file --batch`` process."""
        if "\n" in name or "\0" in name:
            return None
        proc = self._batch_process()
        stdin, stdout = _pipes(proc)
        try:
            stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            stdin.flush()
            header = stdout.readline()
        except OSError as exc:
            raise GitError(f"git cat-file stopped: {exc.strerror or exc}") from None
        parts = header.split()
        if len(parts) != 3:
            if not header:
                raise GitError("git cat-file stopped unexpectedly")
            return None  # "<name> missing" / "ambiguous"
        oid, kind, size = parts[0].decode("ascii"), parts[1].decode("ascii"), int(parts[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        if len(data) != size:
            raise GitError("git cat-file stopped unexpectedly")
        return oid, kind, data

    def _batch_process(self) -> subprocess.Popen[bytes]:
        if self._batch is None or self._batch.poll() is not None:
            try:
                self._batch = subprocess.Popen(
                    ["git", *_SAFE, "cat-file", "--batch"],
                    cwd=self.top,
                    env=self._env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except FileNotFoundError:
                raise GitError(_NO_GIT) from None
        return self._batch

    def close(self) -> None:
        proc, self._batch = self._batch, None
        if proc is not None:
            stdin, stdout = _pipes(proc)
            try:
                stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            stdout.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ revisions

    def commit(self, revision: str) -> str | None:
        """The commit a revision names (any of git's revision syntax), or None. The name is
        given to ``cat-file --batch`` as a line of input, never as an argument: a name like
        ``--output=x`` cannot become an option."""
        found = self.read_object(f"{revision}^{{commit}}")
        return found[0] if found is not None else None

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor of two commits (ids), or None when there is none."""
        out = self.run(["merge-base", "--end-of-options", one, other], ok=(0, 1))
        return out.decode("ascii").strip() or None

    def is_shallow(self) -> bool:
        return self.run(["rev-parse", "--is-shallow-repository"]).strip() == b"true"


_NO_GIT = "git is not installed (or not on PATH); --against reads the history with it"


def _pipes(proc: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    assert proc.stdin is not None and proc.stdout is not None
    return proc.stdin, proc.stdout


def _spawn(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float | None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise GitError(_NO_GIT) from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {argv[len(_SAFE) + 1]} took more than {timeout:.0f} s") from None


def open_repository(path: Path) -> Repository:
    """The git work tree holding ``path`` (a directory); GitError when there is none."""
    env = clean_environment()
    start = path if path.is_dir() else path.parent
    proc = _spawn(
        ["git", *_SAFE, "rev-parse", "--show-toplevel", "--show-object-format"], start, env, 60
    )
    if proc.returncode != 0:
        message = _one_line(proc.stderr)
        if "not a git repository" in message:
            raise GitError(f"{path}: not in a git repository (--against compares with git)")
        if "work tree" in message:
            raise GitError(f"{path}: --against needs a git work tree (this is a bare repository)")
        raise GitError(f"git rev-parse: {message}")
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 2 or not lines[0]:
        raise GitError(f"{path}: --against needs a git work tree")
    return Repository(Path(lines[0]), lines[1].strip(), env)


def merge_text(repo: Repository, base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """git's three-way text merge of one file (``git merge-file -p``, the algorithm
    ``git merge`` uses), on copies in a temporary directory outside the repository:
    the merged bytes, or None when it conflicts."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="alembic-lint-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = os.path.join(tmp, name)
            with open(path, "wb") as handle:
                handle.write(data)
            names.append(path)
        proc = _spawn(
            ["git", *_SAFE, "merge-file", "-p", "-q", "--", *names], Path(tmp), repo._env, 60
        )
    return proc.stdout if proc.returncode == 0 else None


def detect_renames(old: dict[str, bytes], new: dict[str, bytes]) -> dict[str, str]:
    """git's rename detection (``git diff -M``, the default 50% similarity, as ``git
    merge`` uses it) between deleted files (``old``) and added ones (``new``), run on
    copies in a temporary directory outside the repository: old path -> new path."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="alembic-lint-renames-") as tmp:
        for side, files in (("a", old), ("b", new)):
            for rel, data in files.items():
                path = os.path.join(tmp, side, *rel.split("/"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as handle:
                    handle.write(data)
            os.makedirs(os.path.join(tmp, side), exist_ok=True)
        options = ["--no-index", "--no-ext-diff", "--no-textconv", "-M", "--name-status", "-z"]
        proc = _spawn(
            ["git", *_SAFE, "diff", *options, "--", "a", "b"],
            Path(tmp),
            clean_environment(),
            60,
        )
    if proc.returncode not in (0, 1):
        raise GitError(f"git diff: {_one_line(proc.stderr)}")
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    found: dict[str, str] = {}
    at = 0
    while at < len(fields) - 1:
        status = fields[at]
        if status.startswith(("R", "C")):
            source, target = fields[at + 1], fields[at + 2]
            if status.startswith("R"):
                found[source.removeprefix("a/")] = target.removeprefix("b/")
            at += 3
        else:
            at += 2
    return found
