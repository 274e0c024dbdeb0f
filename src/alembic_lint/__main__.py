"""``python -m alembic_lint``."""

import sys

# `python -m` puts the current directory first on sys.path: a json.py (or any other module
# name) there would be run in place of the standard library's on the first import of that
# name. Drop it before importing anything from the path (the package's __init__ imports
# nothing; `sys` and `posix`/`nt` are built in, no file can shadow them).
if not sys.flags.safe_path and sys.path:
    _here = __import__("nt" if sys.platform == "win32" else "posix").getcwd
    try:
        _cwd = _here()
    except OSError:  # the directory was removed: then nothing can be imported from it
        _cwd = sys.path[0]
    if sys.path[0] in ("", _cwd):
        del sys.path[0]

from alembic_lint.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
