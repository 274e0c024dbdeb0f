"""Write files atomically (a temporary file in the same directory, then a rename), safely."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import time
from pathlib import Path

#: Our temporary files: ``.alembic-lint-<pid>-<random>.tmp``. A name ending in ``.tmp`` can
#: never be taken for a migration (Alembic loads ``*.py``, sourceless also ``*.pyc``/``*.pyo``),
#: and the writer's pid tells a later run whether the file was orphaned. The name without a
#: pid is what versions before 0.2 left behind.
TEMPORARY = re.compile(r"\.alembic-lint-(?:(\d{1,10})-)?[0-9a-f]{12}\.tmp")
#: A temporary file this old is stale whatever its writer's pid says (pids are reused,
#: and a writer in another pid namespace or on another host cannot be asked).
STALE_AFTER = 3600.0
#: A dead writer's file is removed once it is this old (a short grace for clocks and for
#: writers whose pid means something else here).
DEAD_WRITER_GRACE = 10.0

_swept: set[str] = set()


class RefusedWrite(Exception):
    """A file we will not replace (hard-linked, read-only, foreign owner, link leaving the
    tree...): why, in a few words the caller completes ("...; not fixed"). Nothing changed."""


def write_atomic(
    path: str | Path,
    data: bytes,
    *,
    mode: int | None = None,
    exclusive: bool = False,
    create_mode: int = 0o600,
    owner: tuple[int, int] | None = None,
    xattrs: dict[str, bytes] | None = None,
) -> None:
    """Readers see the old file or the new one, never half of it.

    The new file is created with ``create_mode`` less the umask, as ``open()`` would
    (the default, 0600, suits the cache; files meant to be committed pass 0o666); ``mode``
    sets exact permissions instead, ``owner`` a (uid, gid) and ``xattrs`` the extended
    attributes (ACLs among them), for replacing a file as it was. ``exclusive`` refuses
    (FileExistsError) to replace an existing file, atomically too.
    ``path`` itself is replaced: resolve a symlink first (see :func:`rewrite`).
    """
    directory = os.path.dirname(os.path.abspath(path))
    sweep(directory)
    # tempfile.mkstemp, without importing tempfile (it costs a warm run several ms):
    # a random name, created exclusively, never through a symlink.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        name = f".alembic-lint-{os.getpid()}-{os.urandom(6).hex()}.tmp"
        temporary = os.path.join(directory, name)
        try:
            handle = os.open(temporary, flags, create_mode)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"no free temporary name in {directory}")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if owner is not None:
                _chown(out.fileno(), owner, path)
            if mode is not None:
                os.chmod(temporary, mode)  # after chown, which clears set-id bits
            if xattrs is not None:
                _set_xattrs(out.fileno(), xattrs, path)  # after chmod, which sets an ACL's mask
        if exclusive:
            os.link(temporary, path)  # fails if the file exists, unlike a rename
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _chown(handle: int, owner: tuple[int, int], path: str | Path) -> None:
    if not hasattr(os, "fchown"):
        return
    current = os.fstat(handle)
    if (current.st_uid, current.st_gid) == owner:
        return
    try:
        os.fchown(handle, *owner)
    except PermissionError:
        raise RefusedWrite(
            f"{path}: owned by user {owner[0]}, group {owner[1]}, which a replaced file "
            "could not keep"
        ) from None


def _xattrs(path: str) -> dict[str, bytes]:
    """The extended attributes of ``path`` (POSIX ACLs are some), where there are any."""
    if not hasattr(os, "listxattr"):
        return {}
    try:
        names = os.listxattr(path)
    except OSError:
        return {}  # a filesystem without them
    found: dict[str, bytes] = {}
    for name in names:
        try:
            found[name] = os.getxattr(path, name)
        except OSError as exc:
            raise RefusedWrite(
                f"{path}: its extended attribute {name} cannot be read ({exc.strerror or exc}), "
                "so a replaced file could not keep it"
            ) from None
    return found


def _set_xattrs(handle: int, wanted: dict[str, bytes], path: str | Path) -> None:
    """Give the open file ``handle`` exactly the extended attributes ``wanted`` (a new file
    may have inherited a default ACL, or been labelled, differently)."""
    if not hasattr(os, "listxattr"):
        return
    try:
        present = {name: os.getxattr(handle, name) for name in os.listxattr(handle)}
    except OSError:
        present = {}
    changes: list[tuple[str, bytes | None]] = [
        (n, v) for n, v in wanted.items() if present.get(n) != v
    ]
    changes += [(n, None) for n in present if n not in wanted]
    for name, value in changes:
        try:
            if value is None:
                os.removexattr(handle, name)
            else:
                os.setxattr(handle, name, value)
        except OSError as exc:
            raise RefusedWrite(
                f"{path}: has extended attribute {name}, which a replaced file could not keep "
                f"({exc.strerror or exc})"
            ) from None


def rewrite(path: str | Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace the contents of the existing file ``path`` atomically, as an edit in place
    would leave it: a symlink keeps pointing at its target, which gets the new contents;
    owner, group, permissions and extended attributes (ACLs) stay. Raises
    :class:`RefusedWrite` (file unchanged) for a file with other hard links (a rename
    would split them), a read-only file, a file owned by someone we cannot give it back
    to, one whose extended attributes could not be kept, a file that is not ``expected``
    any more, and a path that leads out of the repository holding it (see
    :func:`leaves_tree`).
    """
    shown = str(path)
    real = os.path.realpath(path)
    leaving = leaves_tree(path)
    if leaving is not None:
        raise RefusedWrite(f"{shown}: {leaving}")
    info = os.stat(real)
    if not stat.S_ISREG(info.st_mode):
        raise RefusedWrite(f"{shown}: not a regular file")
    if info.st_nlink > 1:
        raise RefusedWrite(
            f"{shown}: has {info.st_nlink} hard links, which replacing it would split"
        )
    if _read_only(real, info):
        raise RefusedWrite(f"{shown}: read-only")
    if expected is not None:
        with open(real, "rb") as handle:
            if handle.read() != expected:
                raise RefusedWrite(f"{shown}: changed since it was read")
    write_atomic(
        real,
        data,
        mode=stat.S_IMODE(info.st_mode),
        owner=(info.st_uid, info.st_gid),
        xattrs=_xattrs(real),
    )


def _read_only(real: str, info: os.stat_result) -> bool:
    """Nobody may write it, or we may not: root may write anything, but a file without a
    write bit says "leave me alone" to root too."""
    if not info.st_mode & 0o222:
        return True
    if hasattr(os, "geteuid") and info.st_uid == os.geteuid() and not info.st_mode & 0o200:
        return True
    effective = os.access in os.supports_effective_ids
    return not os.access(real, os.W_OK, effective_ids=effective)


def leaves_tree(path: str | Path, within: str | Path | None = None) -> str | None:
    """Why writing ``path`` would write outside the repository holding it as named (a
    symlink, of the file or of a directory on the way, leads out: one committed to a
    repository must not make us write elsewhere), or outside the one holding ``within``
    (where the setting that named ``path`` lives); None when it stays inside."""
    absolute = os.path.abspath(path)
    boundary = os.path.realpath(work_tree(os.fspath(within or os.path.dirname(absolute))))
    real = os.path.realpath(absolute)
    if real.startswith(boundary.rstrip(os.sep) + os.sep):
        return None
    how = "a symlink to" if os.path.islink(absolute) else "through a symlinked directory, leads to"
    return f"{how} {real}, outside {boundary}"


def work_tree(start: str) -> str:
    """The nearest directory at or above ``start`` holding ``.git``; else ``start``."""
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return os.path.abspath(start)
        current = parent


def sweep(directory: str) -> None:
    """Remove the temporary files an interrupted run (SIGKILL, power loss) left in
    ``directory``: only regular files with our name, owned by us, whose writer is dead or
    that are too old to be in use; symlinks are never followed. Once per directory and
    process; errors are ignored (a read-only checkout still lints)."""
    if directory in _swept:
        return
    _swept.add(directory)
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if e.name.startswith(".alembic-lint-")]
    except OSError:
        return
    if not names:
        return
    now = time.time()
    for name in names:
        match = TEMPORARY.fullmatch(name)
        if match is None:
            continue
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue  # a symlink or a directory with our name is not ours
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            continue
        age = now - info.st_mtime
        pid = int(match.group(1)) if match.group(1) else None
        if age > STALE_AFTER or (age > DEAD_WRITER_GRACE and pid is not None and _dead(pid)):
            with contextlib.suppress(OSError):
                os.unlink(path)


def _dead(pid: int) -> bool:
    if sys.platform == "win32" or pid == os.getpid() or pid <= 0:
        return False  # Windows' os.kill terminates; our own files are in use
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False
    return False
