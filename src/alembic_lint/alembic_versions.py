"""Work out which Alembic version a project targets from its lock files and pins, statically."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic_lint.inputs import read_regular

if TYPE_CHECKING:
    from alembic_lint.config import Settings
    from alembic_lint.discover import HistorySpec

__all__ = ["NEWEST", "Pin", "Version", "detect_alembic_version", "target_version"]


@functools.cache
def _compiled(pattern: tuple[Any, ...]) -> re.Pattern[str]:
    """Compile a pattern on first use: this module is imported on every run, and most runs
    read no version pin."""
    return re.compile(*pattern)


# PEP 440, loosely: pre-, post- and dev-release suffixes and local labels are accepted but ignored,
# so "1.16.0rc1" is approximated as 1.16.0 (it really sorts just below it).
_VERSION = (
    r"""
    ^\s*v?
    (?:(?P<epoch>\d+)!)?
    (?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?
    (?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?
    (?:[-_.]?dev[-_.]?\d*)?
    (?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?
    \s*$
    """,
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True, order=True, slots=True)
class Version:
    """A release version such as 1.13.3, compared numerically ("1.13" == "1.13.0" < "1.13.3").

    Trailing zero components are dropped on construction so that equal releases compare equal.
    """

    parts: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.parts or any(part < 0 for part in self.parts):
            raise ValueError(f"invalid version parts {self.parts!r}: need non-negative integers")
        parts = self.parts
        while len(parts) > 1 and parts[-1] == 0:
            parts = parts[:-1]
        object.__setattr__(self, "parts", parts)

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse "1.13", "1.13.3", "v1.16.0" or "1.16.0rc1" (read as its release, 1.16.0)."""
        match = _compiled(_VERSION).match(text)
        if match is None:
            raise ValueError(f"invalid version {text!r}: expected a release number like 1.13.3")
        if int(match["epoch"] or 0) != 0:
            raise ValueError(f"invalid version {text!r}: version epochs are not supported")
        try:
            return cls(tuple(int(part) for part in match["release"].split(".")))
        except ValueError:  # e.g. an absurdly long component
            raise ValueError(f"invalid version {text!r}: release number out of range") from None

    def __str__(self) -> str:
        parts = self.parts + (0,) * (3 - len(self.parts))
        return ".".join(str(part) for part in parts)


NEWEST = Version((9999,))
"""Stands for "assume the newest Alembic" when nothing pins the version."""


@dataclass(frozen=True, slots=True)
class Pin:
    """The lowest Alembic version a project admits, and where that came from."""

    version: Version
    source: str


def detect_alembic_version(start: Path) -> Pin | None:
    """Find the lowest Alembic version the project in `start` admits, or None if nothing pins it.

    Looks only in `start` (no walking up), in order of precedence: uv.lock, poetry.lock,
    pyproject.toml, then requirements*.txt and requirements/*.txt. Nothing is imported or run,
    and unreadable or malformed files are skipped.
    """
    root = Path(start)
    finders: tuple[Callable[[Path], Pin | None], ...] = (
        lambda r: _from_lock(r, "uv.lock"),
        lambda r: _from_lock(r, "poetry.lock"),
        _from_pyproject,
        _from_requirements,
    )
    for finder in finders:
        try:
            pin = finder(root)
        except (OSError, ValueError, RecursionError):  # defensive: a bad file never breaks linting
            pin = None
        if pin is not None:
            return pin
    return None


def target_version(
    settings: Settings, specs: Sequence[HistorySpec], cwd: Path
) -> tuple[Version | None, str]:
    """The oldest Alembic the project may run, and where that came from: the setting, else
    the pins beside the settings file, beside each history's config, then in ``cwd``."""
    if settings.target_alembic_version is not None:
        return Version.parse(settings.target_alembic_version), f"{settings.where()}"
    places = [settings.root] if settings.path else []
    places += [s.config.parent for s in specs if s.config is not None]
    places.append(cwd)
    for place in dict.fromkeys(places):
        pin = detect_alembic_version(place)
        if pin is not None:
            return pin.version, pin.source
    return None, "no pin found: the newest Alembic is assumed"


# --------------------------------------------------------------------------------------------
# Constraints

_MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Entry:
    """One mention of alembic: its lower bound (None if it has none) and where it was."""

    bound: Version | None
    source: str
    conditional: bool  # has environment markers, or sits in an optional extra / group


def _is_alembic(name: str) -> bool:
    return re.sub(r"[-_.]+", "-", name).lower() == "alembic"  # PEP 503


_CLAUSE = (r"[\s,]*(?P<op>===|==|~=|!=|<=|>=|<|>|\^|~|=)?\s*(?P<version>[^\s,<>=!~^]+)",)
# Operators whose version is a lower bound. ">X" really admits only releases after X, but X is
# close enough (and errs low, the safe side: the linter never demands a feature X lacks).
_LOWER_BOUND_OPS = frozenset({None, "=", "==", "===", ">=", ">", "~=", "^", "~"})


def _lower_bound(specifier: str) -> Version | None:
    """The lowest version a PEP 440 or Poetry constraint admits, or None if it is unbounded below.

    Comma- or space-separated clauses must all hold (the highest lower bound wins); Poetry's
    "||" alternatives may each hold (the lowest wins, and one unbounded alternative unbounds all).
    """
    specifier = specifier.strip()
    if specifier.startswith("(") and specifier.endswith(")"):
        specifier = specifier[1:-1]
    bounds: list[Version] = []
    for alternative in re.split(r"\|\|?", specifier):
        bound: Version | None = None
        for clause in _compiled(_CLAUSE).finditer(alternative):
            if clause["op"] not in _LOWER_BOUND_OPS:
                continue
            text = clause["version"].removesuffix(".*")  # "==1.12.*" admits 1.12 upwards
            try:
                version = Version.parse(text)
            except ValueError:  # "*", an "===" arbitrary string, junk: no bound from this clause
                continue
            bound = version if bound is None else max(bound, version)
        if bound is None:
            return None
        bounds.append(bound)
    return min(bounds) if bounds else None


_REQUIREMENT = (
    r"""
    ^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)
    \s*(?:\[[^\]]*\])?
    \s*(?P<rest>.*)$
    """,
    re.VERBOSE | re.DOTALL,
)


def _requirement_entry(text: str, source: str, *, conditional: bool) -> _Entry | None:
    """An entry for a PEP 508 requirement string if it names alembic, else None."""
    match = _compiled(_REQUIREMENT).match(text)
    if match is None or not _is_alembic(match["name"]):
        return None
    rest = match["rest"]
    if rest.startswith("@"):  # a direct URL reference: no version to read
        specifier, _, marker = "", "", ""
        if " ;" in rest or "; " in rest:
            marker = re.split(r"\s;|;\s", rest, maxsplit=1)[1]
    else:
        specifier, _, marker = rest.partition(";")
    return _Entry(_lower_bound(specifier), source, conditional or bool(marker.strip()))


def _combine(entries: list[_Entry]) -> Pin | None:
    """The lowest version that all the constraints in one source admit.

    Unconditional constraints always apply together, so the highest of their lower bounds holds.
    Conditional ones (markers, extras, groups) might not apply; they only count when alembic has
    no unconditional mention, and then the lowest of them is all that is certain.
    """
    unconditional = [entry for entry in entries if not entry.conditional]
    candidates = unconditional or entries
    bounded = [(entry.bound, entry.source) for entry in candidates if entry.bound is not None]
    if not bounded:
        return None
    pick = max if unconditional else min
    version, source = pick(bounded, key=lambda item: item[0])
    return Pin(version, source)


# --------------------------------------------------------------------------------------------
# Reading files


def _read_text(path: Path) -> str | None:
    try:
        data = read_regular(path, _MAX_FILE_BYTES)
    except OSError:
        return None
    if b"\x00" in data:  # binary
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _load_toml(path: Path) -> dict[str, Any] | None:
    text = _read_text(path)
    if text is None:
        return None
    import tomllib  # only when there is TOML to read

    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return None


def _from_lock(root: Path, filename: str) -> Pin | None:
    """The locked alembic version in a uv.lock or poetry.lock (both use [[package]] tables)."""
    data = _load_toml(root / filename)
    if data is None:
        return None
    packages = data.get("package")
    if not isinstance(packages, list):
        return None
    versions: list[Version] = []
    for package in packages:
        if not isinstance(package, dict):
            continue
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str) and _is_alembic(name):
            try:
                versions.append(Version.parse(version))
            except ValueError:
                continue
    # uv may lock several versions for different environments; any of them may be installed.
    return Pin(min(versions), filename) if versions else None


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _from_pyproject(root: Path) -> Pin | None:
    data = _load_toml(root / "pyproject.toml")
    if data is None:
        return None
    entries: list[_Entry] = []

    def add_requirements(value: object, source: str, *, conditional: bool) -> None:
        if not isinstance(value, list):
            return
        for item in value:  # dependency-groups may also hold {include-group = ...} tables
            if isinstance(item, str):
                entry = _requirement_entry(item, source, conditional=conditional)
                if entry is not None:
                    entries.append(entry)

    project = _table(data.get("project"))
    add_requirements(
        project.get("dependencies"), "pyproject.toml [project.dependencies]", conditional=False
    )
    for extra, value in _table(project.get("optional-dependencies")).items():
        source = f"pyproject.toml [project.optional-dependencies] {extra}"
        add_requirements(value, source, conditional=True)
    for group, value in _table(data.get("dependency-groups")).items():
        add_requirements(value, f"pyproject.toml [dependency-groups] {group}", conditional=True)

    poetry = _table(_table(data.get("tool")).get("poetry"))
    sections: list[tuple[object, str, bool]] = [
        (poetry.get("dependencies"), "[tool.poetry.dependencies]", False),
        (poetry.get("dev-dependencies"), "[tool.poetry.dev-dependencies]", True),
    ]
    for group, value in _table(poetry.get("group")).items():
        sections.append(
            (_table(value).get("dependencies"), f"[tool.poetry.group.{group}.dependencies]", True)
        )
    for section, name, conditional in sections:
        for package, spec in _table(section).items():
            if _is_alembic(package):
                entries.extend(_poetry_entries(spec, f"pyproject.toml {name}", conditional))
    return _combine(entries)


def _poetry_entries(spec: object, source: str, conditional: bool) -> Iterator[_Entry]:
    """Entries for a Poetry dependency: "^1.12", {version = "..."} or a list of such tables."""
    if isinstance(spec, str):
        yield _Entry(_lower_bound(spec), source, conditional)
    elif isinstance(spec, dict):
        version = spec.get("version")
        bound = _lower_bound(version) if isinstance(version, str) else None  # git/path/url
        restricted = any(key in spec for key in ("markers", "python", "platform", "optional"))
        yield _Entry(bound, source, conditional or restricted)
    elif isinstance(spec, list):  # multiple-constraint dependencies: each applies conditionally
        for item in spec:
            if isinstance(item, dict):
                yield from _poetry_entries(item, source, True)


# pip's requirements-file syntax: comments, continuations, -r/-c includes, per-line options.
_COMMENT = (r"(^|\s+)#.*$",)
_INCLUDE = (r"^(?:--requirement|--constraint|-r|-c)(?:\s*=\s*|\s+)?(?P<path>\S.*)$",)
_LINE_OPTIONS = (r"\s+--?[A-Za-z]",)  # e.g. "alembic==1.12.1 --hash=sha256:..."


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line number, text) per logical line, continuations joined."""
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield start, _compiled(_COMMENT).sub("", "".join(pending)).strip()
        pending = []
    if pending:
        yield start, _compiled(_COMMENT).sub("", "".join(pending)).strip()


def _label(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix()  # lexical: keeps symlinked names
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _read_requirements(path: Path, root: Path, seen: set[Path], entries: list[_Entry]) -> None:
    """Collect alembic entries from a requirements file and the files it includes."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return
    if resolved in seen:  # include cycles, and files included twice
        return
    seen.add(resolved)
    text = _read_text(path)
    if text is None:
        return
    for number, line in _logical_lines(text):
        include = _compiled(_INCLUDE).match(line)
        if include is not None:
            target = include["path"].strip().strip("\"'")
            if "://" not in target:  # remote includes are not fetched
                _read_requirements(path.parent / target, root, seen, entries)
            continue
        if not line or line.startswith("-"):  # blank, or an option such as -e / --index-url
            continue
        requirement = _compiled(_LINE_OPTIONS).split(line, maxsplit=1)[0]
        source = f"{_label(path, root)} line {number}"
        entry = _requirement_entry(requirement, source, conditional=False)
        if entry is not None:
            entries.append(entry)


def _listing(directory: Path, keep: Callable[[str], bool]) -> list[Path]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(directory / name for name in names if keep(name))


def _from_requirements(root: Path) -> Pin | None:
    """The lowest pin over all requirements files: any one of them may be what gets installed."""
    # What root.glob("requirements*.txt") and root.glob("requirements/*.txt") list, without
    # the pattern compilation that made this a noticeable share of a warm run.
    prefix, suffix = "requirements", ".txt"
    files = _listing(
        root, lambda n: n.startswith(prefix) and n.endswith(suffix) and len(n) >= 16
    ) + _listing(root / prefix, lambda n: n.endswith(suffix))
    pins: list[Pin] = []
    for path in files:
        entries: list[_Entry] = []
        _read_requirements(path, root, set(), entries)
        pin = _combine(entries)
        if pin is not None:
            pins.append(pin)
    return min(pins, key=lambda pin: pin.version) if pins else None
