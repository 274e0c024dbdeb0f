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
    import tempfile  # only when writing: it is slow to import

    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".alembic-lint-", suffix=".tmp", dir=directory)
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
