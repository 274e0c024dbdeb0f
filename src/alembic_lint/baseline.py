"""Baselines: record today's findings by revision, rule and statement, and hold them back later."""

from __future__ import annotations

import ast
import json
import os
import stat
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from alembic_lint.atomic import RefusedWrite, rewrite, write_atomic
from alembic_lint.diagnostics import Diagnostic, Location
from alembic_lint.inputs import open_text

#: Version 1 recorded a count per revision and code; 2 adds the statement at fault.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
#: How ``about`` starts in every baseline alembic-lint writes, whatever its version or entry
#: shape: what tells a baseline from a file --write-baseline must never overwrite.
MARKER = "alembic-lint baseline"
ABOUT = (
    f"{MARKER}: findings recorded by revision id, rule code and the statement at fault "
    "(normalised: layout, quotes and comments do not count), not by line, so edits and moves "
    "do not invalidate it. Regenerate with `alembic-lint --write-baseline`."
)
#: Longer statements are recorded by their start and a hash of the whole.
STATEMENT_MAX = 200
#: Larger than any baseline we write; a bigger file is not one (and is not read whole).
MAX_BYTES = 64 * 1024 * 1024


class BaselineError(Exception):
    """An unreadable or malformed baseline file (exit status 2)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """How many findings of one rule on one statement a baseline holds back for one revision.

    ``statement`` is None in a version 1 baseline: the entry then holds back that many
    findings of the code in the revision, whichever statements they are on.
    """

    revision: str  # the revision id, or "file:<path>" when the file's id is unknown
    code: str
    statement: str | None
    count: int
    file: str  # informational: where the findings were when recorded

    def sort_key(self) -> tuple[str, str, str, int, str]:
        return (self.revision, self.code, self.statement or "", self.count, self.file)

    def describe(self) -> str:
        return " ".join(p for p in (self.revision, self.code, self.statement) if p)


def key(diagnostic: Diagnostic, root: str) -> str:
    if diagnostic.revision is not None:
        return diagnostic.revision
    return "file:" + _relative(diagnostic.location.path, root)


def _relative(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


# --------------------------------------------------------------------------- statements


def statements(diagnostics: Sequence[Diagnostic], read: Callable[[str], str | None]) -> list[str]:
    """The normalised text each finding points at (see :func:`normalise`), from its
    file's current text (``read``, None when unreadable): positions are what every run
    agrees on, cached or not, so the text never needs to be cached."""
    return Statements(read)(diagnostics)


class Statements:
    """:func:`statements`, remembering each file's while its text stays the same (a
    language server asks again after every edit, mostly about unchanged files)."""

    def __init__(self, read: Callable[[str], str | None]) -> None:
        self.read = read
        self._files: dict[str, tuple[str | None, dict[tuple[int, int, int, int], str]]] = {}

    def __call__(self, diagnostics: Sequence[Diagnostic]) -> list[str]:
        current: dict[str, tuple[list[str] | None, dict[tuple[int, int, int, int], str]]] = {}
        found: list[str] = []
        for diagnostic in diagnostics:
            path = diagnostic.location.path
            if path not in current:
                text = self.read(path)
                known = self._files.get(path)
                if known is None or known[0] != text:
                    known = self._files[path] = (text, {})
                current[path] = (None if text is None else _lines(text), known[1])
            lines, memo = current[path]
            loc = diagnostic.location
            span = (loc.line, loc.column, loc.end_line, loc.end_column)
            text_at = memo.get(span)
            if text_at is None:
                text_at = memo[span] = "" if lines is None else normalise(_span(lines, loc))
            found.append(text_at)
        return found

    def forget(self, path: str) -> None:
        """Drop what is remembered of ``path`` (it left the history)."""
        self._files.pop(path, None)

    def kept(self) -> int:
        return len(self._files)


def _lines(text: str) -> list[str]:
    from alembic_lint.fixes import lines_of

    return lines_of(text)


def _span(lines: list[str], location: Location) -> str:
    """The text between a location's start and end (1-based, end column exclusive)."""
    if not 1 <= location.line <= location.end_line <= len(lines):
        return ""
    if location.line == location.end_line:
        return lines[location.line - 1][location.column - 1 : location.end_column - 1]
    parts = [lines[location.line - 1][location.column - 1 :]]
    parts += lines[location.line : location.end_line - 1]
    parts.append(lines[location.end_line - 1][: location.end_column - 1])
    return "".join(parts)


def normalise(text: str) -> str:
    """``text`` as Python writes it back from its syntax tree (one layout, single quotes,
    no comments, no trailing commas); text that is not a statement of its own (a docstring
    line, a ``def`` header) with its whitespace collapsed. Long results are cut, with a
    hash of the whole."""
    try:
        tree = ast.parse(text.strip())
        quick = _quick(tree)
        canonical = quick if quick is not None else ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        canonical = " ".join(text.split())
    canonical = " ".join(canonical.split())  # a multi-line unparse on one line
    if len(canonical) <= STATEMENT_MAX:
        return canonical
    from alembic_lint.source import blake2b

    tail = blake2b(canonical.encode("utf-8"), digest_size=8).hexdigest()
    return f"{canonical[: STATEMENT_MAX - 20]}... {tail}"


def _quick(tree: ast.Module) -> str | None:
    """ast.unparse's text for a module of one expression that :func:`_render` writes (not
    a lone string: ast.unparse writes that as a docstring)."""
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return None
    value = body[0].value
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return None
    return _render(value)


def _render(node: ast.expr) -> str | None:
    """The source of the expressions most findings point at (calls of names and attributes
    on literals), written the way ast.unparse writes them at a fraction of its cost; None
    for anything else (ast.unparse then writes it)."""
    if isinstance(node, ast.Constant):
        return "..." if node.value is ... else repr(node.value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Constant):
            return None  # `1 .real` needs its space
        owner = _render(node.value)
        return None if owner is None else f"{owner}.{node.attr}"
    if isinstance(node, ast.Call):
        parts = [_render(node.func), *map(_render, node.args)]
        for keyword in node.keywords:
            value = _render(keyword.value)
            parts.append(None if keyword.arg is None or value is None else f"{keyword.arg}={value}")
        written = [part for part in parts if part is not None]
        if len(written) < len(parts):  # `*args`, `**kw`, or something else
            return None
        return f"{written[0]}({', '.join(written[1:])})"
    if isinstance(node, ast.Tuple | ast.List):
        items = [item for item in map(_render, node.elts) if item is not None]
        if len(items) < len(node.elts):
            return None
        if isinstance(node, ast.List):
            return f"[{', '.join(items)}]"
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return None


# --------------------------------------------------------------------------- the file


def entries(
    diagnostics: Sequence[Diagnostic], texts: Sequence[str], root: str, never: set[str]
) -> list[Entry]:
    """Entries for ``diagnostics`` (``texts``: their statements, see :func:`statements`)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    files: dict[tuple[str, str, str], str] = {}
    for diagnostic, text in zip(diagnostics, texts, strict=True):
        if diagnostic.code in never:
            continue
        triple = (key(diagnostic, root), diagnostic.code, text)
        counts[triple] += 1
        files.setdefault(triple, _relative(diagnostic.location.path, root))
    found = [Entry(*triple[:3], n, files[triple]) for triple, n in counts.items()]
    return sorted(found, key=Entry.sort_key)


def write(path: str, items: Sequence[Entry]) -> None:
    """Write atomically; the output is sorted and stable so it diffs well in git."""
    document = {
        "about": ABOUT,
        "version": FORMAT_VERSION,
        "findings": [
            {
                "revision": e.revision,
                "code": e.code,
                "statement": e.statement,
                "count": e.count,
                "file": e.file,
            }
            for e in sorted(items, key=Entry.sort_key)
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
        with open_text(path) as handle:
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
        version = document["version"]
        if version not in READABLE_VERSIONS:
            raise BaselineError(f"{path}: unsupported baseline version {version!r}")
        return [_entry(f, version) for f in document["findings"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BaselineError(f"{path}: malformed baseline entry ({exc})") from None


def _entry(item: dict[str, object], version: int) -> Entry:
    statement = item.get("statement") if version >= 2 else None
    if statement is not None and not isinstance(statement, str):
        raise TypeError("statement must be a string")
    count = item["count"]
    if not isinstance(count, int | str):
        raise TypeError("count must be a number")
    file = str(item.get("file", ""))
    return Entry(str(item["revision"]), str(item["code"]), statement, int(count), file)


# --------------------------------------------------------------------------- matching


def apply(
    diagnostics: Sequence[Diagnostic],
    texts: Sequence[str],
    baseline: Iterable[Entry],
    root: str,
    never: set[str],
) -> tuple[list[Diagnostic], int, list[Entry]]:
    """Hold back recorded findings; returns (kept, held back, entries that matched nothing).

    A finding is held back by an entry for its revision, code and statement (``texts``, see
    :func:`statements`), so a new drop in an old migration is the one reported wherever it
    is; only among identical statements do counts decide (the ones after the recorded
    count, in file order, are new). Version 1 entries (no statement) then hold back up to
    their count of what is left of their revision and code, in file order.
    """
    recorded = list(baseline)
    allowance: dict[tuple[str, str, str | None], int] = defaultdict(int)
    for entry in recorded:
        allowance[(entry.revision, entry.code, entry.statement)] += entry.count
    used: dict[tuple[str, str, str | None], int] = defaultdict(int)
    order = sorted(range(len(diagnostics)), key=lambda i: diagnostics[i])
    held: set[int] = set()
    for by_statement in (True, False):
        for index in order:
            diagnostic = diagnostics[index]
            if index in held or diagnostic.code in never:
                continue
            wanted = (
                key(diagnostic, root),
                diagnostic.code,
                texts[index] if by_statement else None,
            )
            if used[wanted] < allowance[wanted]:
                used[wanted] += 1
                held.add(index)
    kept = [diagnostics[i] for i in order if i not in held]
    stale: list[Entry] = []
    for entry in recorded:  # several entries of one key (hand-edited): fill them in turn
        triple = (entry.revision, entry.code, entry.statement)
        matched = min(entry.count, used[triple])
        used[triple] -= matched
        if matched < entry.count:
            left = entry.count - matched
            stale.append(Entry(entry.revision, entry.code, entry.statement, left, entry.file))
    return kept, len(held), stale
