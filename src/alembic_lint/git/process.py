"""Run git as plumbing only: a clean environment, no hooks, no pager, no locks, no network."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

__all__ = [
    "LOG_FORMAT",
    "GitError",
    "Repository",
    "clean_environment",
    "log_records",
    "open_repository",
]

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
    # Output alembic-lint parses: in UTF-8 whatever the repository's config says.
    "-c",
    "i18n.logOutputEncoding=UTF-8",
)


#: ``git log`` records as log_records reads them (with ``--name-only -z``).
LOG_FORMAT = "--format=%x01%H%x00%h%x00%as%x00%s"
#: Where a record starts: a commit's full id and date, which neither a subject (no NUL
#: in it) nor a file name (no NUL; under the pathspec's directory) can imitate.
_RECORD = re.compile(
    rb"(?:^|(?<=\x00))\x01(?=[0-9a-f]{40}(?:[0-9a-f]{24})?\x00[0-9a-f]+\x00"
    rb"\d{4}-\d\d-\d\d\x00)"
)


def log_records(out: bytes) -> list[tuple[str, str, str, str, list[str]]]:
    """(full id, short id, date, subject, paths) of each commit in ``git log LOG_FORMAT
    --name-only -z`` output, newest first."""
    found = []
    for record in _RECORD.split(out)[1:]:
        fields = record.split(b"\0", 4)
        if len(fields) < 5:
            continue
        oid, short, date, subject = (f.decode("utf-8", "replace") for f in fields[:4])
        names = fields[4].removeprefix(b"\n").split(b"\0")
        found.append(
            (oid, short, date, subject, [n.decode("utf-8", "surrogateescape") for n in names if n])
        )
    return found


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
    # And, for a git older than that variable (2.44, or its backports): no transport at
    # all, whatever `protocol.<name>.allow` the repository's config sets (a lazy fetch
    # runs the remote's `uploadpack` command).
    env["GIT_ALLOW_PROTOCOL"] = ""
    env["LC_ALL"] = "C"
    return env


def _one_line(text: bytes) -> str:
    lines = [line.strip() for line in text.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    # The reason git stopped, rather than a warning before it; with what it names on the
    # next line ("unknown repository extension found:\n\tweird").
    at = next((i for i, line in enumerate(lines) if line.startswith(("fatal: ", "error: "))), 0)
    if not lines:
        return "no message"
    line = lines[at].removeprefix("fatal: ").removeprefix("error: ")
    if line.endswith(":") and at + 1 < len(lines):
        line += " " + lines[at + 1]
    return line


@dataclass
class Repository:
    """A git work tree: its top directory and a way to ask git about its objects."""

    top: Path
    object_format: str = "sha1"
    _env: dict[str, str] = field(default_factory=clean_environment, repr=False)
    #: git's index file (of this work tree: a linked worktree has its own).
    index: Path | None = None
    _batch: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _batch_errors: IO[bytes] | None = field(default=None, repr=False)
    _answers: _Answers | None = field(default=None, repr=False)

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

    def read_object(self, name: str, limit: int | None = None) -> tuple[str, str, bytes] | None:
        """(id, type, content) of an object, or None when it does not exist. ``name`` is an
        object id or a revision expression; all objects of a run come through one
        ``git cat-file --batch`` process. An object over ``limit`` bytes is not kept in
        memory: TooLarge (an OSError) names its size."""
        if "\n" in name or "\0" in name or name.endswith("\r"):
            return None  # one line of input each (git drops a line's final CR)
        proc = self._batch_process()
        stdin, _ = _pipes(proc)
        answers = self._answers
        assert answers is not None
        try:
            stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            stdin.flush()
            header = answers.line()
        except TimeoutError:  # (an OSError)
            self._stalled(name)
        except OSError:
            header = b""
        if not header:
            raise GitError(f"git cat-file stopped: {self._batch_message()}")
        # "<name> missing" / "<name> ambiguous": the name (a revision expression, which
        # may hold spaces) is echoed back, so the verdict is read from the end of the line.
        if header.endswith((b" missing\n", b" ambiguous\n")):
            return None
        parts = header.split()
        if len(parts) != 3 or not parts[2].isdigit() or not _is_hex(parts[0]):
            raise GitError(f"git cat-file answered {header[:80]!r}")
        oid, kind, size = parts[0].decode("ascii"), parts[1].decode("ascii"), int(parts[2])
        keep = limit is None or size <= limit
        try:
            data = answers.exact(size + 1, keep=keep)  # and the newline after the content
        except TimeoutError:
            self._stalled(name)
        if data is None:
            raise GitError(f"git cat-file stopped: {self._batch_message()}")
        if not keep:
            from alembic_lint.inputs import TooLarge

            raise TooLarge(name, size, limit or 0)
        return oid, kind, data[:-1]

    def _stalled(self, name: str) -> NoReturn:
        if self._batch is not None:
            self._batch.kill()  # stuck in a read of its own: close() would wait for it
        self.close()
        raise GitError(
            f"git cat-file gave no answer in {BATCH_TIMEOUT:.0f} s for {name} (a named pipe "
            "or a stalled file system in the repository?)"
        )

    def _batch_message(self) -> str:
        """Why the ``cat-file`` process stopped, as it said on standard error (a partial
        clone's missing object: with the fix)."""
        errors = self._batch_errors
        if errors is None:
            return "no message"
        if self._batch is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._batch.wait(timeout=10)
        errors.seek(0)
        message = _one_line(errors.read(4096))
        if "promisor" in message or "lazy fetching" in message:
            message += (
                " (a partial clone: objects are missing and --against fetches nothing; "
                "fetch them, e.g. actions/checkout without filter, or a full clone)"
            )
        return message

    def _batch_process(self) -> subprocess.Popen[bytes]:
        if self._batch is None or self._batch.poll() is not None:
            if self._batch_errors is None:
                import tempfile

                # What git says when it stops (closed in close()).
                self._batch_errors = tempfile.TemporaryFile()  # noqa: SIM115
            self._batch_errors.seek(0)
            self._batch_errors.truncate()
            try:
                self._batch = subprocess.Popen(
                    ["git", *_SAFE, "cat-file", "--batch"],
                    cwd=self.top,
                    env=self._env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._batch_errors,
                )
            except FileNotFoundError:
                raise GitError(_NO_GIT) from None
            self._answers = _Answers(_pipes(self._batch)[1].fileno())
        return self._batch

    def close(self) -> None:
        proc, self._batch, self._answers = self._batch, None, None
        if proc is not None:
            stdin, stdout = _pipes(proc)
            try:
                stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
            stdout.close()
        if self._batch_errors is not None:
            self._batch_errors.close()
            self._batch_errors = None

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

    def kind(self, revision: str) -> str | None:
        """The type of object a revision names when not a commit (blob, tree), else None;
        for messages only (``cat-file --batch-check``: the name is input, not an argument)."""
        if "\n" in revision or "\0" in revision or revision.endswith("\r"):
            return None
        try:
            proc = subprocess.run(
                ["git", *_SAFE, "cat-file", "--batch-check"],
                cwd=self.top,
                env=self._env,
                # And the tag's object, when it names a tag (``X^{}`` peels tags only).
                input=b"%s\n%s^{}\n" % ((revision.encode("utf-8", "surrogateescape"),) * 2),
                capture_output=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        for line in proc.stdout.splitlines():
            parts = line.split()
            if len(parts) != 3 or not _is_hex(parts[0]) or line.endswith(b" missing"):
                return None
            kind = parts[1].decode("ascii", "replace")
            if kind != "tag":
                return kind if kind != "commit" else None
        return None

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor of two commits (ids), or None when there is none."""
        out = self.run(["merge-base", "--end-of-options", one, other], ok=(0, 1))
        return out.decode("ascii").strip() or None

    def is_shallow(self) -> bool:
        return self.run(["rev-parse", "--is-shallow-repository"]).strip() == b"true"


#: Seconds ``cat-file`` may take to answer for one object.
BATCH_TIMEOUT = 60.0


class _Answers:
    """What ``cat-file --batch`` writes, read with a deadline per object: an object that
    never comes (a named pipe where git keeps a loose object) stops the run with
    TimeoutError instead of hanging it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def _fill(self, deadline: float) -> bool:
        """More bytes into the buffer; False at the end of the stream."""
        import select
        import time

        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(self.fd, 1 << 16)
        self.buffer += chunk
        return bool(chunk)

    def line(self) -> bytes:
        """The next line, with its newline (empty at the end of the stream)."""
        import time

        deadline = time.monotonic() + BATCH_TIMEOUT
        end = self.buffer.find(b"\n")
        while end < 0:
            if not self._fill(deadline):
                return b""
            end = self.buffer.find(b"\n")
        found = bytes(self.buffer[: end + 1])
        del self.buffer[: end + 1]
        return found

    def exact(self, size: int, *, keep: bool = True) -> bytes | None:
        """The next ``size`` bytes (dropped as they come unless ``keep``: then b""), or
        None when the stream ends before."""
        import time

        deadline = time.monotonic() + BATCH_TIMEOUT
        pieces: list[bytes] = []
        while size > 0:
            if not self.buffer and not self._fill(deadline):
                return None
            piece = bytes(self.buffer[:size])
            del self.buffer[:size]
            size -= len(piece)
            if keep:
                pieces.append(piece)
        return b"".join(pieces)


_NO_GIT = "git is not installed (or not on PATH); --against reads the history with it"


def _is_hex(text: bytes) -> bool:
    return len(text) in (40, 64) and all(c in b"0123456789abcdef" for c in text)


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
        [
            "git",
            *_SAFE,
            "rev-parse",
            "--show-toplevel",
            "--show-object-format",
            "--git-path",
            "index",
        ],
        start,
        env,
        60,
    )
    if proc.returncode != 0:
        message = _one_line(proc.stderr)
        if "not a git repository" in message:
            raise GitError(f"{path}: not in a git repository (--against compares with git)")
        if "work tree" in message:
            raise GitError(f"{path}: --against needs a git work tree (this is a bare repository)")
        raise GitError(f"git rev-parse: {message}")
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 3 or not lines[0]:
        raise GitError(f"{path}: --against needs a git work tree")
    if not Path(os.path.realpath(start)).is_relative_to(os.path.realpath(lines[0])):
        raise GitError(
            f"{path}: git says the work tree of its repository is {lines[0]} "
            "(core.worktree), which does not hold it"
        )
    return Repository(Path(lines[0]), lines[1].strip(), env, index=start.absolute() / lines[2])


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
                parts = rel.split("/")
                if any(part in ("", ".", "..") for part in parts):  # never out of tmp
                    raise GitError(f"{rel!r}: not a path git checks out")
                path = os.path.join(tmp, side, *parts)
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
