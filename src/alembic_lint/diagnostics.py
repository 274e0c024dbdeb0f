"""Findings as plain data: what reporters render and what the engine sorts and filters."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Applicability(Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a file: absolute path, 1-based line/column, exclusive end column.

    ``ref`` is the extractor's reference number of the fact while the position is not
    yet known; the engine resolves it (only for files that have findings).
    """

    path: str
    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    ref: int = field(default=-1, compare=False)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text between two (1-based, end-exclusive) positions with ``content``."""

    content: str
    start: Location
    end: Location


@dataclass(frozen=True, slots=True)
class Fix:
    """Edits that resolve a finding, and how safe they are to apply."""

    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    #: The edits write a file that may not exist yet (it is created).
    creates: bool = False
    #: The hash (source.digest) of the bytes the edits were worked out on: applied to
    #: other bytes (the file was saved meanwhile), the same offsets would corrupt it.
    digest: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Related:
    """Another place involved in a finding (e.g. the other head), with a short label."""

    location: Location
    message: str


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One finding: where, which rule, what it says."""

    location: Location
    code: str
    name: str
    message: str
    severity: Severity = field(compare=False)
    fix: Fix | None = field(default=None, compare=False)
    related: tuple[Related, ...] = field(default=(), compare=False)
    #: The revision id of the file at fault, when known (baseline key, SARIF properties).
    revision: str | None = field(default=None, compare=False)

    def at(self, location: Location) -> Diagnostic:
        return replace(self, location=location)


def sort_key(d: Diagnostic) -> tuple[str, int, int, int, int, str, str, str]:
    """The order of ``Diagnostic`` comparisons (place, code, name, message), as a key:
    sorting thousands of findings by it costs a fraction of their generated ``__lt__``."""
    loc = d.location
    return (loc.path, loc.line, loc.column, loc.end_line, loc.end_column, d.code, d.name, d.message)
