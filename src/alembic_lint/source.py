"""Source bytes -> text, the way Python's import system decodes them (no LibCST here)."""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass

from alembic_lint.sealed import blake2b as blake2b


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text, with the encoding and byte-order mark it was read with."""

    text: str
    encoding: str
    bom: bool


class DecodeProblem(Exception):
    def __init__(self, message: str, line: int, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def decode(data: bytes) -> Decoded:
    """Decode source bytes the way Python's import system does (PEP 263 cookie, BOM)."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DecodeProblem("file contains null bytes (binary file?)", line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeProblem(str(exc).split(" (", 1)[0], exc.lineno or 1) from None
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        cookie = "" if encoding.startswith("utf-8") else f" ({encoding})"
        raise DecodeProblem(
            f"cannot decode byte 0x{data[exc.start]:02x} as {encoding}{cookie}: "
            "not valid UTF-8 and no coding cookie"
            if encoding.startswith("utf-8")
            else f"cannot decode byte 0x{data[exc.start]:02x} with the declared coding {encoding}",
            line,
        ) from None
    except LookupError:
        raise DecodeProblem(f"unknown encoding in coding cookie: {encoding}", 1) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return Decoded(text, encoding, bom)


def text_of(data: bytes) -> str:
    """The decoded text for display, even of a file that does not decode cleanly."""
    try:
        return decode(data).text
    except DecodeProblem:
        return data.decode("utf-8", errors="replace")


def digest(data: bytes) -> str:
    """The content hash that keys cached facts and guards position shortcuts."""
    return blake2b(data, digest_size=16).hexdigest()
