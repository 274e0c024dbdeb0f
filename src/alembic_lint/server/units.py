"""Positions between alembic-lint (1-based lines, columns in code points) and an LSP client
(0-based lines, columns in the negotiated code units: UTF-16 by default, UTF-8 or UTF-32)."""

from __future__ import annotations

from alembic_lint.fixes import lines_of

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def units(text: str, encoding: str) -> int:
    """How many code units of ``encoding`` ``text`` takes."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    # UTF-16: two units for a character outside the Basic Multilingual Plane.
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


class Lines:
    """A text's lines, split as LSP splits them (``\\n``, ``\\r\\n``, ``\\r``), for
    converting positions in both directions."""

    def __init__(self, text: str, encoding: str) -> None:
        self.encoding = encoding
        self.lines = [line.rstrip("\r\n") for line in lines_of(text)]

    def to_client(self, line: int, column: int) -> tuple[int, int]:
        """(1-based line, 1-based code-point column) -> (0-based line, code units)."""
        if line < 1:
            return 0, 0
        if line > len(self.lines):
            return len(self.lines), 0
        text = self.lines[line - 1]
        return line - 1, units(text[: max(column - 1, 0)], self.encoding)

    def from_client(self, line: int, character: int) -> tuple[int, int]:
        """(0-based line, code units) -> (1-based line, 1-based code-point column); a
        position inside a character is taken as the start of that character."""
        if line >= len(self.lines):
            return line + 1, 1
        text = self.lines[max(line, 0)]
        count = 0
        for index, char in enumerate(text):
            width = units(char, self.encoding)
            if count + width > character:
                return line + 1, index + 1
            count += width
        return line + 1, len(text) + 1

    def line(self, number: int) -> str:
        """The 1-based line ``number`` without its ending ("" past the end)."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""
