"""Reading what a repository brings: regular files only, and never more than a limit.

A pull request can put anything where a migration or a config is expected: a named pipe
(reading it blocks forever), a symlink to ``/dev/zero`` (reading it never ends), a
symlink loop, a file of gigabytes. Every file alembic-lint reads from a project goes
through :func:`read_regular`, which opens without blocking, checks what it opened, and
reads at most the limit; anything else is an :class:`OSError` the callers already report.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Callable
from typing import BinaryIO

#: The largest migration that is analysed. Real migrations are far smaller: squashed
#: histories reach about 7,000 lines, a few hundred KB. Reading 1 MB of Python costs
#: LibCST about 5 s and 900 MB (superlinearly more beyond: 3 MB took 27 s and 2.6 GB),
#: CPython's ast about 0.7 s and 150 MB; so files above parse.LIBCST_MAX_BYTES are read
#: with CPython's ast, and this limit (about ten times the largest real migration) bounds
#: a file's reading at about 4 s and 600 MB (measured: a 4 MB autogenerate-shaped file).
MAX_MIGRATION_BYTES = 4 * 1024 * 1024
#: Configuration and pin files (alembic.ini, pyproject.toml, requirements, lock files,
#: script.py.mako, baselines): lock files of large projects reach a few MB.
MAX_CONFIG_BYTES = 64 * 1024 * 1024

#: Never wait for a writer (a named pipe), never adopt a terminal; binary on Windows.
_FLAGS = os.O_RDONLY
for _name in ("O_NONBLOCK", "O_CLOEXEC", "O_NOCTTY", "O_BINARY"):
    _FLAGS |= getattr(os, _name, 0)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path names a pipe, a device, a socket or a directory: not read."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", path)

    def __str__(self) -> str:  # callers name the file themselves
        return str(self.strerror)


class TooLarge(OSError):
    """The file is larger than the limit: not read. ``head`` gives a stream of its bytes
    for a bounded line-by-line look: all of them, or (``whole=False``) the first ones."""

    def __init__(
        self,
        path: str,
        size: int,
        limit: int,
        head: Callable[[], BinaryIO] | None = None,
        *,
        whole: bool = True,
    ) -> None:
        super().__init__(
            errno.EFBIG,
            f"file is too large to analyse ({_size(size)}; the limit is {_size(limit)})",
        )
        self.filename = path
        self.size = size
        self.limit = limit
        self.head = head
        self.whole = whole

    def __str__(self) -> str:  # callers name the file themselves
        return str(self.strerror)


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.1f} KB" if count >= 1024 else f"{count} bytes"


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (symlinks followed), without
    blocking on a pipe and without opening a device at all; else :class:`NotRegularFile`."""
    name = os.fspath(path)
    kind = _kind(os.stat(name).st_mode)  # devices are not even opened (some act on open)
    if kind is not None:
        raise NotRegularFile(name, kind)
    fd = os.open(name, _FLAGS)
    try:
        kind = _kind(os.fstat(fd).st_mode)  # what was opened, whatever the path names now
        if kind is not None:
            raise NotRegularFile(name, kind)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; else an OSError
    (:class:`NotRegularFile`, :class:`TooLarge`, or what the OS said)."""
    name = os.fspath(path)
    with open_regular(name) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size <= limit:
            data = handle.read(limit + 1)  # the file may grow after the fstat
            if len(data) <= limit:
                return data
            size = max(size, len(data))
    raise TooLarge(name, size, limit, head=lambda: open_regular(name))


def read_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
    """A configuration file's text, as ``Path.read_text(encoding)`` (universal newlines)."""
    with open_text(path, encoding) as handle:
        return handle.read()


def open_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> io.TextIOWrapper:
    """A configuration file as a text stream, as ``open(path, encoding=encoding)``."""
    buffer = io.BytesIO(read_regular(path))
    buffer.name = os.fspath(path)  # what configparser names in its errors, as with open()
    return io.TextIOWrapper(buffer, encoding=encoding)


def read_stream(stream: BinaryIO, name: str, limit: int | None = None) -> bytes:
    """At most ``limit`` bytes (default: a migration's limit) of ``stream`` (standard input);
    a larger one is drained in chunks and its first ``limit`` bytes kept for
    :class:`TooLarge`'s ``head``."""
    limit = MAX_MIGRATION_BYTES if limit is None else limit
    data = stream.read(limit + 1)
    if len(data) <= limit:
        return data
    size = len(data)
    while chunk := stream.read(1024 * 1024):
        size += len(chunk)
    kept = data[:limit]

    def head() -> BinaryIO:
        return io.BytesIO(kept)

    raise TooLarge(name, size, limit, head=head, whole=False)
