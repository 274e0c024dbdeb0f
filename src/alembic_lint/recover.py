"""Line-based recovery of the four revision variables, where a file is not parsed whole.

Used for a file that does not parse (parse.fallback, on its text) and for one too large to
analyse (:func:`oversized`, streamed: memory stays bounded whatever the file's size). Only
plain literals assigned at column 0 are taken (``ast.literal_eval`` evaluates literals
and nothing else), so one broken file does not turn into false missing parents.
"""

from __future__ import annotations

import ast
import codecs
import os
import re
import tokenize
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

from alembic_lint.inputs import TooLarge
from alembic_lint.model import (
    REVISION_VARS,
    Binding,
    Element,
    Migration,
    Span,
    Status,
    Suppression,
    SyntaxProblem,
    normalise,
    pack_spans,
)
from alembic_lint.suppressions import _MAY_SUPPRESS, suppressions

ASSIGN = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=]*)?=(?!=)\s*(.*)$"
)


def binding(name: str, value_text: str, ref: int) -> Binding:
    """The binding of ``name = value_text`` if the value is a plain literal."""
    try:
        value = ast.literal_eval(value_text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return Binding(name, Status.UNRESOLVED, reason="not a plain literal", ref=ref)
    elements = tuple(Element(v, ref) for v in normalise(name, value))
    return Binding(name, Status.LITERAL, value, elements, ref=ref)


def strip_comment(line: str) -> str:
    # Good enough for literal revision values: ids never contain '#'.
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def balance(text: str) -> int:
    """Brackets ``text`` opens and leaves open (negative: closes more than it opens)."""
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


def migration_of(
    path: str,
    filename: str,
    bindings: dict[str, Binding],
    spans: list[Span],
    problem: SyntaxProblem,
    text: str = "",
) -> Migration:
    """A file's recovered facts; ``text``: its text, for its suppression comments."""
    noqa, file_ignores = suppressions(text) if "#" in text else ((), ())
    return Migration(
        path=path,
        filename=filename,
        **{n: bindings.get(n, Binding(n, Status.ABSENT)) for n in REVISION_VARS},  # type: ignore[arg-type]
        syntax_error=problem,
        noqa=noqa,
        file_ignores=file_ignores,
        spans=pack_spans(spans),
    )


# --------------------------------------------------------------------------- too large

#: A streamed file is read in chunks of this many bytes.
_CHUNK = 1024 * 1024
#: The first lines, for a coding cookie, are read in pieces of at most this many bytes.
_PIECE = 4096
#: A value longer than this is not a plain revision literal (nor kept in memory).
_MAX_VALUE = 64 * 1024
#: How much of a file a scan reads (about a second); what lies beyond could reassign a
#: variable, so the variables of a larger file are not taken at all.
SCAN_LIMIT = 128 * 1024 * 1024
#: Suppression comments kept from one file.
_MAX_COMMENTS = 1000


def oversized(path: str, problem: TooLarge) -> Migration:
    """The facts of a file too large to analyse: its revision variables, recovered from a
    stream of its lines (bounded memory), so that it keeps its place in the graph; the
    reason, reported once (AL100). Were a variable missed (or the file larger than a scan
    reads), the graph treats the file as one whose id is unknown: no false finding."""
    spans: list[Span] = [Span(1, 1, 1, 1)]
    bindings: dict[str, Binding] = {}
    scan = _Scan()
    if problem.head is not None:
        try:
            with problem.head() as stream:
                for start, lines in scan.statements(stream):
                    match = ASSIGN.match(lines[0])
                    if match is None:
                        continue
                    ref = len(spans)
                    spans.append(Span(start, 1, start + len(lines) - 1, len(lines[-1]) + 1))
                    value = "\n".join(map(strip_comment, [match.group(2), *lines[1:]]))
                    bindings[match.group(1)] = binding(match.group(1), value, ref)
        except OSError:
            scan.complete = False  # it changed or went away while being read
        if not (scan.complete and problem.whole):
            bindings.clear()  # what was not read could assign them again
    # The file may define a revision this run did not find: never "defines nothing".
    reason = SyntaxProblem(problem.strerror or str(problem), 0, defines_nothing=False)
    return replace(
        migration_of(path, os.path.basename(path), bindings, spans, reason),
        noqa=tuple(scan.noqa),
        file_ignores=tuple(scan.file_ignores),
    )


class _Scan:
    """One pass over a stream of source bytes in chunks: only the lines that may matter (an
    assignment at column 0, a suppression comment) are looked at in Python."""

    def __init__(self) -> None:
        self.complete = False
        self.noqa: list[Suppression] = []
        self.file_ignores: list[Suppression] = []

    def statements(self, stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
        """Each assignment that may be a revision variable: its first line number and its
        lines (comments stripped; continued while brackets are open)."""
        decoder = codecs.getincrementaldecoder(_encoding(stream))("replace")
        buffer = b""
        number = 1  # the line number of buffer[0]
        mid_line = False  # buffer[0] is inside a line whose start was dropped
        read = 0
        while True:
            chunk = stream.read(_CHUNK)
            read += len(chunk)
            if read > SCAN_LIMIT:
                return
            final = not chunk
            buffer += chunk
            end = len(buffer) if final else buffer.rfind(b"\n") + 1
            if end == 0 and not final:  # no line ends in the buffer yet
                if len(buffer) > _MAX_VALUE:  # a line that long assigns no revision id
                    buffer, mid_line = b"", True
                continue
            region = buffer[:end]
            pos = 0
            if mid_line:
                newline = region.find(b"\n")
                pos, mid_line = (end, True) if newline < 0 else (newline + 1, False)
                number += newline >= 0
            carry = end
            for start, assigns in _candidates(region, pos):
                if start < pos:
                    continue  # inside the assignment just read
                number += region.count(b"\n", pos, start)
                pos = start
                if not assigns:  # a line whose comment may suppress
                    line_end = region.find(b"\n", start)
                    self._comment(
                        number, _text(region[start : end if line_end < 0 else line_end], decoder)
                    )
                    continue
                lines, after = _assignment(region, start, final, decoder)
                if lines is None:
                    if end - start <= _MAX_VALUE:
                        carry = start  # it goes on in the next chunk: read it again then
                        break
                    lines, after = _assignment(region, start, True, decoder)
                    assert lines is not None
                for offset, raw in enumerate(region[start:after].split(b"\n")):
                    if b"#" in raw and _MAY_SUPPRESS.search(raw):
                        self._comment(number + offset, _text(raw, decoder))
                yield number, lines
                number += region.count(b"\n", start, after)
                pos = after
            number += region.count(b"\n", pos, carry)
            buffer = buffer[carry:]
            if final:
                self.complete = True
                return

    def _comment(self, number: int, line: str) -> None:
        if len(self.noqa) + len(self.file_ignores) >= _MAX_COMMENTS:
            return
        noqa, file_ignores = suppressions(line)
        self.noqa += [replace(s, line=number) for s in noqa]
        self.file_ignores += [replace(s, line=number) for s in file_ignores]


_NAMES = (b"revision", b"down_revision", b"branch_labels", b"depends_on")
_ASSIGNMENT = re.compile(rb"(?:revision|down_revision|branch_labels|depends_on)[ \t]*[:=]")


def _candidates(region: bytes, pos: int) -> list[tuple[int, bool]]:
    """The starts of the lines from ``pos`` on that may matter, in order, and whether each
    assigns a revision variable at column 0 (else it mentions a suppression). Found with
    ``bytes.find``, which skips the other lines at the speed of memchr."""
    found: dict[int, bool] = {}
    if _ASSIGNMENT.match(region, pos):
        found[pos] = True
    for name in _NAMES:
        needle = b"\n" + name
        at = region.find(needle, pos)
        while at >= 0:
            if _ASSIGNMENT.match(region, at + 1):
                found[at + 1] = True
            at = region.find(needle, at + 1)
    lowered = region.lower()
    for word in (b"noqa", b"alembic-lint:"):
        at = lowered.find(word, pos)
        while at >= 0:
            found.setdefault(region.rfind(b"\n", 0, at) + 1, False)
            at = lowered.find(word, at + 1)
    return sorted(found.items())


def _assignment(
    region: bytes, start: int, final: bool, decoder: codecs.IncrementalDecoder
) -> tuple[list[str] | None, int]:
    """The lines of the assignment at ``start`` (comments stripped, continued while
    brackets are open; the last one whole, as the span ends there) and where it ends;
    None when ``region`` ends first (and is not ``final``)."""
    lines: list[str] = []
    depth = 0
    at = start
    while True:
        newline = region.find(b"\n", at)
        stop = len(region) if newline < 0 else newline + 1
        whole = _text(region[at:stop], decoder)
        line = strip_comment(whole)
        lines.append(line)
        depth += balance(line)
        at = stop
        if depth <= 0 or at - start > _MAX_VALUE or (at >= len(region) and final):
            return [*lines[:-1], whole], at
        if at >= len(region):
            return None, at


def _encoding(stream: BinaryIO) -> str:
    """The PEP 263 coding of the stream, which is left at its start."""
    try:
        encoding, _ = tokenize.detect_encoding(lambda: stream.readline(_PIECE))
        codecs.lookup(encoding)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    stream.seek(0)
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _text(piece: bytes, decoder: codecs.IncrementalDecoder) -> str:
    decoder.reset()
    return decoder.decode(piece, final=True).rstrip("\r\n").lstrip("\ufeff")
