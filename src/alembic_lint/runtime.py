"""What software a run is made of: Python and the libraries that read and report."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

#: The libraries whose behaviour shows in facts or reports.
LIBRARIES = ("libcst", "networkx", "click")

#: Set once a process runs for long (the language server): the devices that speed up a
#: short run by changing process-wide state (the collector's threshold here, LibCST's node
#: checks in parse/trusted.py) are then never used.
_long_running = False


def become_long_running() -> None:
    global _long_running
    _long_running = True


def long_running() -> bool:
    return _long_running


@cache
def libraries() -> tuple[object, ...]:
    """Python's version and each library's ``__init__.py`` with its stat, found on
    ``sys.path`` without importing anything (the import system's own search costs a run
    more than 10 ms): reinstalling or upgrading one changes this."""
    found: list[object] = [sys.version]
    for name in LIBRARIES:
        for entry in sys.path:
            init = os.path.join(entry or ".", name, "__init__.py")
            try:
                info = os.stat(init)
            except OSError:
                continue
            found.append((name, init, info.st_mtime_ns, info.st_size))
            break
        else:
            found.append((name, None))
    return tuple(found)


def own_code() -> list[list[object]]:
    """alembic-lint's own sources with their stats (path, mtime, size): a checkout that was
    edited or pulled must not be answered from what the code before it worked out (the
    version string only changes with a release)."""
    package = os.path.dirname(os.path.abspath(__file__))
    found: list[list[object]] = []
    pending = [package]
    while pending:
        directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir() and entry.name != "__pycache__":
                    pending.append(entry.path)
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    found.append([entry.path, info.st_mtime_ns, info.st_size])
    return found


@contextmanager
def collecting() -> Iterator[None]:
    """The cyclic garbage collector on while LibCST parses many files (its trees leave
    cycles behind; a run keeps the collector off otherwise, see entry.main), running its
    youngest generation ten times less often than Python's default: every 700 of the
    great many objects LibCST allocates cost a tenth of a cold run, and peak memory did
    not move. (Pausing it altogether let the cycles pile up: a quarter more memory at
    10,000 files.) The collector's state is put back on exit. In a long-running process
    nothing changes: its collector stays as it is."""
    if _long_running:
        yield
        return
    threshold = gc.get_threshold()
    enabled = gc.isenabled()
    gc.set_threshold(threshold[0] * 10, *threshold[1:])
    gc.enable()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not enabled:
            gc.disable()
