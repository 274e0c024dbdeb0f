"""Cache files only this user's alembic-lint can have written: sealed, unlinked, bounded."""

from __future__ import annotations

import os
import stat

try:
    # The module hashlib takes BLAKE2 from: hashlib itself first loads OpenSSL's bindings,
    # which cost every run 3 to 10 ms for hashes alembic-lint never uses.
    from _blake2 import blake2b as blake2b
except ImportError:  # another Python than CPython
    from hashlib import blake2b as blake2b
try:
    from _operator import _compare_digest as compare_digest  # what hmac uses, sans hashlib
except ImportError:  # pragma: no cover (another Python than CPython)
    from hmac import compare_digest  # type: ignore[no-redef]

#: The key's file in :func:`home`: 32 random bytes, mode 0600, made on first use.
KEY_NAME = "key"
KEY_BYTES = 32
#: Replay records (see replay.py) of runs that use the default cache.
REPLAY_DIR = "replay"
#: One cache directory per project (see :func:`project_dir`).
PROJECTS_DIR = "projects"
#: A project cache not written for this long is removed when another project's is made.
STALE_NS = 30 * 24 * 3600 * 1_000_000_000
#: No cache file is read past this size: a bigger one is not one alembic-lint wrote for a
#: history it can lint in reasonable time, and reading it whole would cost its size in memory.
MAX_BYTES = 256 << 20
#: A sealed file's first line: the hex of a keyed BLAKE2b of its name and the rest.
SEAL_HEX = 64
TAG_NAME = "CACHEDIR.TAG"
#: The standard cache-directory tag (https://bford.info/cachedir/): backup and archiving
#: tools that honour it skip the directory.
TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This directory is a cache of alembic-lint: deleting it loses nothing but time.\n"
    b"# About cache directory tags: https://bford.info/cachedir/\n"
)
IGNORE = b"# Created by alembic-lint.\n*\n"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_READ = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_KEYS: dict[str, bytes] = {}  # by home: read once per process


def home() -> str | None:
    """alembic-lint's directory in the user's cache home: ``$XDG_CACHE_HOME/alembic-lint``,
    else ``~/.cache/alembic-lint`` (None when neither is an absolute path)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is to be ignored
        user = os.environ.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(user):
            return None
        base = os.path.join(user, ".cache")
    return os.path.join(base, "alembic-lint")


def project_dir(project: str) -> str | None:
    """The default cache directory of the project at ``project`` (an absolute path)."""
    where = home()
    if where is None:
        return None
    name = blake2b(os.fsencode(project), digest_size=16).hexdigest()
    return os.path.join(where, PROJECTS_DIR, name)


def key(*, create: bool = True) -> bytes | None:
    """The user's key, made on first use (``create``); None when there is none that only
    this user can read and write (then nothing is cached: see cli/check.py)."""
    where = home()
    if where is None:
        return None
    known = _KEYS.get(where)
    if known is None:
        known = _read_key(where)
        if known is None and create:
            known = _make_key(where)
            if known is None:
                known = b""  # unusable: do not try again in this process
        if known is not None:
            _KEYS[where] = known
    return known or None


def _private(info: os.stat_result) -> bool:
    """Owned by this user, and nobody else may write it (nor read it, if a file)."""
    if not hasattr(os, "geteuid"):
        return True  # Windows: ACLs, which the mode bits do not show, guard the profile
    others = 0o077 if stat.S_ISREG(info.st_mode) else 0o022
    return info.st_uid == os.geteuid() and not info.st_mode & others


def _read_key(where: str) -> bytes | None:
    try:
        if not _private(os.stat(where)):
            return None  # someone else could replace the key
        fd = os.open(os.path.join(where, KEY_NAME), _READ)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info):
            return None
        data = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == KEY_BYTES else None


def _make_key(where: str) -> bytes | None:
    from alembic_lint.atomic import write_atomic

    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        if not _private(os.stat(where)):
            return None  # a key there could be replaced by someone else
        _tag(where)
        write_atomic(os.path.join(where, KEY_NAME), os.urandom(KEY_BYTES), exclusive=True)
    except FileExistsError:
        pass  # another run made it first: use that one
    except OSError:
        return None
    return _read_key(where)


# --------------------------------------------------------------------------- files


def seal(name: str, payload: bytes) -> bytes:
    """``payload`` with the seal of the file ``name`` (a base name) as its first line."""
    secret = key()
    if secret is None:
        raise PermissionError("no key to seal a cache file with")
    return _mac(secret, name, payload) + b"\n" + payload


def unseal(name: str, data: bytes) -> bytes | None:
    """What a sealed file holds, when its seal is this user's for ``name``; else None."""
    secret = key(create=False)
    if secret is None or len(data) <= SEAL_HEX or data[SEAL_HEX] != 0x0A:
        return None
    payload = memoryview(data)[SEAL_HEX + 1 :]
    if not compare_digest(_mac(secret, name, payload), data[:SEAL_HEX]):
        return None
    return bytes(payload)


def _mac(secret: bytes, name: str, payload: bytes | memoryview) -> bytes:
    mac = blake2b(name.encode("utf-8", "surrogateescape") + b"\0", key=secret, digest_size=32)
    mac.update(payload)
    return mac.hexdigest().encode("ascii")


def read_raw(path: str, limit: int = MAX_BYTES) -> bytes | None:
    """The bytes of ``path`` when it is a regular file (not a link, a FIFO or a device)
    of at most ``limit`` bytes; else None."""
    try:
        fd = os.open(path, _READ)
    except (OSError, ValueError):
        return None  # missing, a symbolic link (ELOOP), unreadable, a bad name
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, max(info.st_size - size, 0) + 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > limit else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def read(path: str) -> bytes | None:
    """What the sealed file ``path`` holds (see :func:`unseal`), else None."""
    data = read_raw(path)
    return None if data is None else unseal(os.path.basename(path), data)


def write(path: str, payload: bytes) -> None:
    """Seal ``payload`` and write it to ``path`` atomically: a link or anything else at
    ``path`` is replaced, never written through. The directory must have passed
    :func:`prepare`. Raises OSError."""
    from alembic_lint.atomic import write_atomic

    write_atomic(path, seal(os.path.basename(path), payload))


def real_directory(path: str) -> bool | None:
    """True for a directory, None when nothing is there, False for anything else (a
    symbolic link, even to a directory, is not followed into)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return False


def prepare(directory: str) -> bool:
    """Make ``directory`` a cache directory, if it is not one yet; whether it may be
    written. A symbolic link there (or a file) is left alone and the answer is no."""
    found = real_directory(directory)
    if found is None:
        try:
            os.makedirs(directory, mode=0o700)
        except FileExistsError:
            pass  # a concurrent run made it
        except OSError:
            return False
        found = real_directory(directory)
        if found and os.path.dirname(directory) == os.path.join(home() or "", PROJECTS_DIR):
            _prune_projects(os.path.dirname(directory), directory)
    if not found:
        return False
    try:
        _tag(directory)
    except OSError:
        return False
    return True


def _tag(directory: str) -> None:
    """CACHEDIR.TAG and a .gitignore (a cache directory given inside a repository)."""
    from alembic_lint.atomic import write_atomic

    for name, text in ((TAG_NAME, TAG), (".gitignore", IGNORE)):
        path = os.path.join(directory, name)
        if real_directory(path) is None:  # (os.path.exists would follow a link)
            write_atomic(path, text, mode=0o644)


def _prune_projects(parent: str, keep: str) -> None:
    """Remove the project caches nobody has written for :data:`STALE_NS` (each save
    renames files into its directory, so the directory's mtime is its last save)."""
    import shutil
    import time

    limit = time.time_ns() - STALE_NS
    try:
        with os.scandir(parent) as entries:
            stale = [
                e.path
                for e in entries
                if e.path != keep
                and e.is_dir(follow_symlinks=False)
                and e.stat(follow_symlinks=False).st_mtime_ns < limit
            ]
    except OSError:
        return
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
