"""Write a file atomically: a temporary file in the same directory, then a rename."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomic(
    path: str | Path, data: bytes, *, mode: int | None = None, exclusive: bool = False
) -> None:
    """Readers see the old file or the new one, never half of it.

    ``mode`` sets the permissions of the result; ``exclusive`` refuses (FileExistsError)
    to replace an existing file, atomically too.
    """
    directory = os.path.dirname(os.path.abspath(path))
    # tempfile.mkstemp, without importing tempfile (it costs a warm run several ms):
    # a random name, created exclusively, readable by the owner only.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = os.path.join(directory, f".alembic-lint-{os.urandom(6).hex()}.tmp")
        try:
            handle = os.open(temporary, flags, 0o600)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"no free temporary name in {directory}")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        if exclusive:
            os.link(temporary, path)  # fails if the file exists, unlike a rename
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
