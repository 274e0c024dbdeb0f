"""What software a run is made of: Python and the libraries that read and report."""

from __future__ import annotations

import os
import sys
from functools import cache

#: The libraries whose behaviour shows in facts or reports.
LIBRARIES = ("libcst", "networkx", "click")


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
