"""Apply fixes: text edits written atomically, keeping every other byte of the file."""

from __future__ import annotations

import bisect
import difflib
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from alembic_lint.atomic import RefusedWrite, rewrite, write_atomic
from alembic_lint.diagnostics import Applicability, Diagnostic, Edit
from alembic_lint.source import DecodeProblem, decode, digest

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


class FixError(Exception):
    """A file that cannot be fixed safely (changed since it was read, undecodable...)."""


@dataclass(frozen=True, slots=True)
class Planned:
    path: str
    before: str  # decoded text
    after: str
    count: int  # fixes applied


def lines_of(text: str) -> list[str]:
    """Lines with their own endings (CRLF, CR, LF are each kept as they are)."""
    found = _LINE.findall(text)
    return found[:-1] if found and found[-1] == "" else found


@dataclass(frozen=True, slots=True)
class TextIndex:
    """Where each line of a text starts, to turn 1-based (line, column) positions into
    character offsets and back without walking the lines each time: a file's fixes all
    use one index (hundreds of drops in a squashed migration made that walk quadratic)."""

    lines: tuple[str, ...]  # with their endings, as lines_of gives them
    starts: tuple[int, ...]  # offset of each line, then the length of the text

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based (line, column)."""
        return self.starts[min(max(line, 1), len(self.starts)) - 1] + column - 1

    def position(self, at: int) -> tuple[int, int]:
        """The 1-based (line, column) of character offset ``at``."""
        number = bisect.bisect_right(self.starts, at)
        if number == 0:  # a negative offset: before the text
            return 1, at + 1
        return number, at - self.starts[number - 1] + 1


@functools.lru_cache(maxsize=8)
def index(text: str) -> TextIndex:
    """The :class:`TextIndex` of ``text`` (cached: every fix of a file asks for it)."""
    lines = tuple(lines_of(text))
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return TextIndex(lines, tuple(starts))


def selected(diagnostics: Sequence[Diagnostic], unsafe: bool) -> dict[str, list[Diagnostic]]:
    by_path: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.fix is None:
            continue
        if d.fix.applicability is Applicability.UNSAFE and not unsafe:
            continue
        if d.fix.applicability is Applicability.DISPLAY_ONLY:
            continue
        by_path.setdefault(d.location.path, []).append(d)
    return by_path


def unsafe_count(diagnostics: Sequence[Diagnostic]) -> int:
    """How many findings carry a fix that only ``--unsafe-fixes`` applies."""
    return sum(
        1 for d in diagnostics if d.fix is not None and d.fix.applicability is Applicability.UNSAFE
    )


def plan(path: str, data: bytes, diagnostics: Sequence[Diagnostic]) -> Planned:
    """The file's text with the fixes of ``diagnostics`` applied (overlapping ones skipped).

    FixError when ``data`` are not the bytes the fixes were worked out on."""
    if any(d.fix is not None and d.fix.digest not in ("", digest(data)) for d in diagnostics):
        raise FixError(f"{path}: changed since it was linted; not fixed")
    try:
        text = decode(data).text
    except DecodeProblem as exc:
        raise FixError(f"{path}: cannot decode: {exc.message}") from None
    edits, count = chosen(text, diagnostics)
    pieces: list[str] = []
    done = 0
    for start, end, content in sorted(edits, key=lambda e: (e[0], e[1])):
        pieces += [text[done:start], content]
        done = max(done, end)
    pieces.append(text[done:])
    return Planned(path, text, "".join(pieces), count)


def chosen(text: str, diagnostics: Sequence[Diagnostic]) -> tuple[list[tuple[int, int, str]], int]:
    """The edits of the fixes of ``diagnostics`` that apply together to ``text``, as
    (start, end, content) character offsets, and how many fixes they make (a fix that
    overlaps one taken before is left for the next run)."""
    where = index(text)
    taken: list[tuple[int, int]] = []  # the chosen edits' (start, end), sorted
    edits: list[tuple[int, int, str]] = []
    count = 0
    for diagnostic in sorted(diagnostics):
        assert diagnostic.fix is not None
        spans = [_span(where, e) for e in diagnostic.fix.edits]
        if any(_overlaps(s, taken) for s in spans):
            continue  # the next --fix run will take it
        for start, end, _ in spans:
            bisect.insort(taken, (start, end))
        edits.extend(spans)
        count += 1
    return edits, count


def _span(where: TextIndex, edit: Edit) -> tuple[int, int, str]:
    start = where.offset(edit.start.line, edit.start.column)
    end = where.offset(edit.end.line, edit.end.column)
    return start, end, edit.content


def _overlaps(span: tuple[int, int, str], taken: list[tuple[int, int]]) -> bool:
    """Whether ``span`` overlaps one of the ``taken`` spans (or inserts where another does).

    ``taken`` is sorted and its spans do not overlap one another, so their ends are sorted
    too: only the neighbours of where ``span`` would go can overlap it.
    """
    start, end = span[0], span[1]
    at = bisect.bisect_left(taken, (start, start))
    return any(
        (start < other_end and other_start < end) or start == end == other_start == other_end
        for other_start, other_end in taken[max(at - 1, 0) : at + 2]
    )


def write(planned: Planned, original: bytes) -> None:
    """Atomically replace the file, refusing if it changed since it was read; keeps the
    encoding (cookie or BOM), the line endings (edits never touch them), and what
    :func:`atomic.rewrite` keeps (symlinks, owner, mode; hard-linked and read-only files
    are refused)."""
    if original == b"" and not os.path.lexists(planned.path):
        # A file the fix creates (the head file): refused if it appeared meanwhile.
        write_atomic(planned.path, planned.after.encode("utf-8"), mode=0o644, exclusive=True)
        return
    decoded = decode(original)
    encoding = "utf-8" if decoded.encoding == "utf-8-sig" else decoded.encoding
    data = planned.after.encode(encoding)
    if decoded.bom:
        data = b"\xef\xbb\xbf" + data
    try:
        rewrite(planned.path, data, expected=original)
    except RefusedWrite as exc:
        raise FixError(f"{exc}; not fixed") from None
    except OSError as exc:  # the directory refuses the temporary file: name the file
        raise FixError(f"{planned.path}: cannot write: {exc.strerror or exc}; not fixed") from None


def unified_diff(planned: Planned, display: str) -> str:
    return "".join(
        difflib.unified_diff(
            lines_of(planned.before),
            lines_of(planned.after),
            fromfile=f"a/{display}",
            tofile=f"b/{display}",
        )
    )
