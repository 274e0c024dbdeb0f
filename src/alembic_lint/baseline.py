"""Baselines: record today's findings by revision id and rule code, and hold them back later."""

from __future__ import annotations

import json
import os
import stat
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alembic_lint.atomic import RefusedWrite, rewrite, write_atomic
from alembic_lint.diagnostics import Diagnostic

FORMAT_VERSION = 1
#: How ``about`` starts in every baseline alembic-lint writes, whatever its version or entry
#: shape: what tells a baseline from a file --write-baseline must never overwrite.
MARKER = "alembic-lint baseline"
ABOUT = (
    f"{MARKER}: findings recorded by revision id and rule code, not by line, so "
    "edits do not invalidate it. Regenerate with `alembic-lint --write-baseline`."
)
#: Larger than any baseline we write; a bigger file is not one (and is not read whole).
MAX_BYTES = 64 * 1024 * 1024


class BaselineError(Exception):
    """An unreadable or malformed baseline file (exit status 2)."""


@dataclass(frozen=True, slots=True, order=True)
class Entry:
    """How many findings of one rule a baseline holds back for one revision."""

    revision: str  # the revision id, or "file:<path>" when the file's id is unknown
    code: str
    count: int
    file: str  # informational: where the findings were when recorded


def key(diagnostic: Diagnostic, root: str) -> str:
    if diagnostic.revision is not None:
        return diagnostic.revision
    return "file:" + os.path.relpath(diagnostic.location.path, root).replace(os.sep, "/")


def entries(diagnostics: Iterable[Diagnostic], root: str, never: set[str]) -> list[Entry]:
    counts: Counter[tuple[str, str]] = Counter()
    files: dict[tuple[str, str], str] = {}
    for diagnostic in diagnostics:
        if diagnostic.code in never:
            continue
        pair = (key(diagnostic, root), diagnostic.code)
        counts[pair] += 1
        files.setdefault(pair, os.path.relpath(diagnostic.location.path, root).replace(os.sep, "/"))
    return sorted(Entry(rev, code, n, files[(rev, code)]) for (rev, code), n in counts.items())


def write(path: str, items: Sequence[Entry]) -> None:
    """Write atomically; the output is sorted and stable so it diffs well in git."""
    document = {
        "about": ABOUT,
        "version": FORMAT_VERSION,
        "findings": [
            {"revision": e.revision, "code": e.code, "count": e.count, "file": e.file}
            for e in items
        ],
    }
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if not os.path.lexists(path):
        try:  # a new file, with the permissions any new file gets (0644 under umask 022)
            write_atomic(path, data, create_mode=0o666, exclusive=True)
            return
        except FileExistsError:
            pass  # created meanwhile: it must pass the checks below
    existing = _existing(path)
    if existing and not is_baseline(existing):
        raise BaselineError(f"{path}: not a baseline written by alembic-lint; not overwritten")
    try:
        rewrite(path, data, expected=existing)
    except RefusedWrite as exc:
        raise BaselineError(f"{exc}; baseline not written") from None


def _existing(path: str) -> bytes:
    """The bytes of the file ``path`` names, if it is a regular file of a baseline's size."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
        raise BaselineError(f"{path}: not a baseline written by alembic-lint; not overwritten")
    with open(path, "rb") as handle:
        return handle.read(MAX_BYTES + 1)


def is_baseline(data: bytes) -> bool:
    """Whether ``data`` is a baseline alembic-lint wrote: a JSON object with ``findings``
    whose ``about`` starts with :data:`MARKER` (entries and version may be any)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return False
    about = document.get("about") if isinstance(document, dict) else None
    return isinstance(about, str) and about.startswith(MARKER) and "findings" in document


def read(path: str) -> list[Entry]:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: baseline file not found (create it with --write-baseline)"
        ) from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a baseline file: {exc}") from None
    except RecursionError:
        raise BaselineError(f"{path}: not a baseline file: nested too deeply") from None
    try:
        if document["version"] != FORMAT_VERSION:
            raise BaselineError(f"{path}: unsupported baseline version {document['version']!r}")
        return [
            Entry(str(f["revision"]), str(f["code"]), int(f["count"]), str(f.get("file", "")))
            for f in document["findings"]
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BaselineError(f"{path}: malformed baseline entry ({exc})") from None


def apply(
    diagnostics: Sequence[Diagnostic], baseline: Sequence[Entry], root: str, never: set[str]
) -> tuple[list[Diagnostic], int, list[Entry]]:
    """Hold back recorded findings; returns (kept, held back, entries that matched nothing).

    When a revision now has more findings of a code than were recorded, the ones after the
    recorded count (in file order) are new and are kept.
    """
    allowance = {(e.revision, e.code): e.count for e in baseline}
    used: dict[tuple[str, str], int] = defaultdict(int)
    kept: list[Diagnostic] = []
    held = 0
    for diagnostic in sorted(diagnostics):
        pair = (key(diagnostic, root), diagnostic.code)
        if diagnostic.code not in never and used[pair] < allowance.get(pair, 0):
            used[pair] += 1
            held += 1
            continue
        kept.append(diagnostic)
    stale = [
        Entry(e.revision, e.code, e.count - used[(e.revision, e.code)], e.file)
        for e in baseline
        if used[(e.revision, e.code)] < e.count
    ]
    return kept, held, stale
